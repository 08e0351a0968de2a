//! The local API's bearer token, kept in the secret vault (never in a plain
//! file): created on first start, read by the CLI with the same master key.

use molten_core::{SecretVault, Sensitive, VaultError};

/// The vault entry holding the token.
pub const API_TOKEN_SECRET: &str = "api.token";

/// The token, created (32 random bytes, hex) when the vault has none.
pub async fn load_or_create(vault: &dyn SecretVault) -> Result<Sensitive<String>, VaultError> {
    if let Some(t) = vault.get(API_TOKEN_SECRET).await? {
        if t.expose().len() >= 32 {
            return Ok(t);
        }
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    vault
        .set(API_TOKEN_SECRET, Sensitive::new(token.clone()))
        .await?;
    Ok(Sensitive::new(token))
}

/// Removes the plain `api-token` file older versions wrote.
pub fn remove_legacy_file(path: &std::path::Path) {
    if path.exists() {
        match std::fs::remove_file(path) {
            Ok(()) => {
                tracing::info!(file = %path.display(), "removed the old plaintext API token file; the token now lives in the vault")
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "could not remove the old plaintext API token file; delete it by hand")
            }
        }
    }
}
