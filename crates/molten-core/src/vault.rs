//! The `SecretVault` seam: named secrets (API keys, bot tokens) kept encrypted
//! at rest, and the errors a caller can act on.

use crate::error::StoreError;
use crate::sensitive::Sensitive;
use async_trait::async_trait;
use thiserror::Error;

/// The longest secret name accepted.
pub const MAX_SECRET_NAME_LEN: usize = 128;

/// The largest secret value accepted, in bytes: room for any token or key
/// file, small enough that nobody stores a database in the vault.
pub const MAX_SECRET_VALUE_LEN: usize = 64 * 1024;

#[async_trait]
pub trait SecretVault: Send + Sync + 'static {
    /// Stores `value` under `name`, replacing any earlier value.
    async fn set(&self, name: &str, value: Sensitive<String>) -> Result<(), VaultError>;

    /// The value under `name`, or `None` when there is none.
    async fn get(&self, name: &str) -> Result<Option<Sensitive<String>>, VaultError>;

    /// Removes `name`; `true` when something was removed.
    async fn delete(&self, name: &str) -> Result<bool, VaultError>;

    /// Every stored name, sorted. Names are not secret; values are.
    async fn names(&self) -> Result<Vec<String>, VaultError>;
}

#[derive(Debug, Error)]
pub enum VaultError {
    /// No master key could be had, so nothing can be read or written.
    #[error("the secret vault is locked: {reason}")]
    Locked { reason: String },
    /// A master key was given but is not in a usable form.
    #[error("the master key from {origin} is malformed: {detail}")]
    MalformedKey { origin: String, detail: String },
    /// Decryption failed: a different master key, or the entry was altered.
    #[error("the secret `{name}` cannot be decrypted: the master key differs from the one that stored it, or the entry was altered")]
    Undecryptable { name: String },
    /// The name is empty, too long or has characters outside the allowed set.
    #[error("`{name}` is not a valid secret name: {reason}")]
    InvalidName { name: String, reason: String },
    /// The value is larger than [`MAX_SECRET_VALUE_LEN`].
    #[error("the value for `{name}` is {len} bytes; the limit is {max}")]
    ValueTooLarge {
        name: String,
        len: usize,
        max: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
    /// The database under the vault failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl VaultError {
    /// A stable code the UI and scripts branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Locked { .. } => "vault_locked",
            Self::MalformedKey { .. } => "vault_bad_key",
            Self::Undecryptable { .. } => "secret_undecryptable",
            Self::InvalidName { .. } => "secret_name",
            Self::ValueTooLarge { .. } => "secret_too_large",
            Self::Random(_) => "random",
            Self::Storage(_) => "storage",
        }
    }

    /// The next step for the user, in plain words.
    pub fn hint(&self) -> String {
        match self {
            Self::Locked { .. } => "Set MOLTEN_MASTER_KEY (64 hex characters or base64 of 32 bytes) or MOLTEN_PASSPHRASE, or make the OS keyring reachable, then try again.".into(),
            Self::MalformedKey { origin, .. } => format!(
                "Fix {origin}: it must be 64 hex characters or the base64 of 32 random bytes (e.g. from `openssl rand -hex 32`)."
            ),
            Self::Undecryptable { name } => format!(
                "The stored entry was left as it is. Use the master key or passphrase that stored `{name}` (check MOLTEN_MASTER_KEY / MOLTEN_PASSPHRASE), or set the secret again to replace it."
            ),
            Self::InvalidName { .. } => format!(
                "Use 1 to {MAX_SECRET_NAME_LEN} characters from letters, digits and . _ - : / @, e.g. `telegram.bot_token`."
            ),
            Self::ValueTooLarge { max, .. } => format!(
                "Secrets are for tokens and keys of at most {max} bytes; keep larger files on disk and store their path or key here."
            ),
            Self::Random(_) => "Nothing was written. Try again; if it keeps failing, the operating system's entropy source is broken.".into(),
            Self::Storage(e) => e.hint(),
        }
    }
}

/// Checks a secret name: 1 to [`MAX_SECRET_NAME_LEN`] characters from ASCII
/// letters, digits and `. _ - : / @`, so names are safe to print and type.
pub fn validate_secret_name(name: &str) -> Result<(), VaultError> {
    let fail = |reason: &str| {
        Err(VaultError::InvalidName {
            name: name.chars().filter(|c| !c.is_control()).take(64).collect(),
            reason: reason.into(),
        })
    };
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > MAX_SECRET_NAME_LEN {
        return fail("it is too long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-:/@".contains(*c)))
    {
        return fail(&format!("the character {c:?} is not allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(
            validate_secret_name("telegram.bot_token").is_ok(),
            "a dotted name is fine"
        );
        assert!(
            validate_secret_name("openai/api-key:prod@me").is_ok(),
            "the punctuation set is allowed"
        );
        for bad in ["", "with space", "tab\there", "ünï", &"x".repeat(129)] {
            let e = validate_secret_name(bad).expect_err("refused");
            assert_eq!(e.code(), "secret_name", "{bad:?} refused as a name");
        }
    }

    #[test]
    fn every_error_has_a_hint() {
        let errors = [
            VaultError::Locked { reason: "x".into() },
            VaultError::MalformedKey {
                origin: "MOLTEN_MASTER_KEY".into(),
                detail: "x".into(),
            },
            VaultError::Undecryptable { name: "a".into() },
            VaultError::InvalidName {
                name: "a b".into(),
                reason: "x".into(),
            },
            VaultError::ValueTooLarge {
                name: "a".into(),
                len: 2,
                max: 1,
            },
            VaultError::Random("x".into()),
            VaultError::Storage(StoreError::Sqlite("x".into())),
        ];
        for e in errors {
            assert!(!e.hint().is_empty(), "{e} has a next step");
        }
    }
}
