//! `vault.json` in the data dir: the vault's non-secret settings, namely the
//! passphrase's Argon2id salt and costs, and which OS keyring entry holds the
//! master key once one was made there.

use super::passphrase::KdfParams;
use molten_core::VaultError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name in the data dir.
pub const SETTINGS_FILE: &str = "vault.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSettings {
    /// Set the first time a passphrase is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase_kdf: Option<KdfParams>,
    /// The keyring account (service `molten`) holding the random master key;
    /// set once the key was stored there and read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring_account: Option<String>,
}

impl VaultSettings {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(SETTINGS_FILE)
    }

    /// The settings, or the defaults when the file does not exist yet.
    pub fn load(data_dir: &Path) -> Result<Self, VaultError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(VaultError::Locked {
                    reason: format!("cannot read {}: {e}", path.display()),
                })
            }
        };
        serde_json::from_str(&text).map_err(|e| VaultError::MalformedKey {
            origin: path.display().to_string(),
            detail: format!(
                "{e} (restore it from a backup: without it the passphrase gives a different key)"
            ),
        })
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<(), VaultError> {
        let path = Self::path(data_dir);
        let fail = |e: std::io::Error| VaultError::Locked {
            reason: format!("cannot write {}: {e}", path.display()),
        };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
        std::fs::create_dir_all(data_dir).map_err(fail)?;
        let tmp = data_dir.join(format!("{SETTINGS_FILE}.tmp"));
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)?;
        Ok(())
    }
}
