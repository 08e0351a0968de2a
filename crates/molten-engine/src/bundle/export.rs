//! `export`: reads `config.yaml`, `permissions.yaml` and every secret
//! (opened with the vault's master key), checks the two files parse, and
//! seals them into one bundle under a passphrase.

use super::error::BundleError;
use super::format::{seal_payload, BundleHeader};
use super::payload::{BundlePayload, BundledSecret};
use super::{CONFIG_FILE, PERMISSIONS_FILE};
use crate::config::Config;
use crate::paths::DataDir;
use crate::rbac::Policy;
use crate::vault::KdfParams;
use chrono::{DateTime, Utc};
use molten_core::{Clock, SecretVault, Sensitive};
use std::path::Path;

/// The shortest bundle passphrase export accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// How a bundle is sealed.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Argon2id's salt and costs, written in the header.
    pub kdf: KdfParams,
    /// The time written in the header.
    pub created_at: DateTime<Utc>,
}

impl ExportOptions {
    /// The recommended Argon2id costs with a fresh salt, stamped with `clock`'s time.
    pub fn recommended(clock: &dyn Clock) -> Result<Self, BundleError> {
        Ok(Self {
            kdf: KdfParams::recommended()?,
            created_at: clock.now(),
        })
    }
}

/// A sealed bundle and what went into it (names only).
#[derive(Debug)]
pub struct ExportedBundle {
    pub bytes: Vec<u8>,
    /// The files included, of `config.yaml` and `permissions.yaml`.
    pub files: Vec<&'static str>,
    /// The secrets included, by name, sorted.
    pub secret_names: Vec<String>,
}

/// Refuses passphrases shorter than [`MIN_PASSPHRASE_CHARS`].
pub fn check_passphrase(passphrase: &Sensitive<String>) -> Result<(), BundleError> {
    let len = passphrase.expose().chars().count();
    if len < MIN_PASSPHRASE_CHARS {
        return Err(BundleError::WeakPassphrase {
            len,
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(())
}

/// Seals the data dir's configuration and `vault`'s secrets under
/// `passphrase`. Reads only; writes nothing.
pub async fn export(
    data_dir: &DataDir,
    vault: &dyn SecretVault,
    passphrase: &Sensitive<String>,
    options: ExportOptions,
) -> Result<ExportedBundle, BundleError> {
    check_passphrase(passphrase)?;
    let config = read_optional(&data_dir.config())?;
    if let Some(text) = &config {
        Config::parse(text.expose(), &data_dir.config().display().to_string())
            .map_err(BundleError::LocalConfig)?;
    }
    let permissions = read_optional(&data_dir.permissions())?;
    if let Some(text) = &permissions {
        Policy::parse(text.expose(), &data_dir.permissions().display().to_string())
            .map_err(BundleError::LocalConfig)?;
    }
    let mut secrets = Vec::new();
    for name in vault.names().await? {
        // A name deleted since `names()` is simply not exported.
        if let Some(value) = vault.get(&name).await? {
            secrets.push(BundledSecret { name, value });
        }
    }
    let files = [(CONFIG_FILE, &config), (PERMISSIONS_FILE, &permissions)]
        .into_iter()
        .filter(|(_, text)| text.is_some())
        .map(|(name, _)| name)
        .collect();
    let secret_names = secrets.iter().map(|s| s.name.clone()).collect();
    let payload = BundlePayload {
        config_yaml: config,
        permissions_yaml: permissions,
        secrets,
    };
    let header = BundleHeader::new(options.kdf, options.created_at);
    let passphrase = passphrase.clone();
    let bytes = tokio::task::spawn_blocking(move || seal_payload(&payload, &passphrase, &header))
        .await
        .map_err(|e| BundleError::Task(e.to_string()))??;
    Ok(ExportedBundle {
        bytes,
        files,
        secret_names,
    })
}

/// The file's text, or `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Sensitive<String>>, BundleError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(|t| Some(Sensitive::new(t)))
            .map_err(|e| {
                zeroize::Zeroize::zeroize(&mut e.into_bytes());
                BundleError::Io {
                    action: "read",
                    path: path.display().to_string(),
                    detail: "it is not UTF-8 text".into(),
                }
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BundleError::Io {
            action: "read",
            path: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}
