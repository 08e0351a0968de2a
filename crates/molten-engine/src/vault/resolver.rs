//! `MasterKeyResolver`: finds the master key, trying in order
//! 1. `MOLTEN_MASTER_KEY` (64 hex characters or base64 of 32 bytes),
//! 2. a passphrase (`MOLTEN_PASSPHRASE`, or one passed in) through Argon2id,
//! 3. a random key in the OS keyring, made on first use,
//! 4. failing a keyring, a random key in `master.key` (0600), with a warning.
//!
//! Steps 3 and 4 stick to what the vault first used: an existing `master.key`
//! is used even if a keyring appears later, and a vault whose key went to the
//! keyring is reported locked while the keyring is away, rather than quietly
//! getting a new key that cannot open the old secrets.

use super::key_file;
use super::master_key::{KeySource, MasterKey};
use super::os_keyring::{KeyringBackend, KeyringError, OsKeyring, KEYRING_SERVICE};
use super::passphrase::KdfParams;
use super::settings::VaultSettings;
use molten_core::{Sensitive, VaultError};
use std::path::{Path, PathBuf};

/// A master key for headless servers.
pub const MASTER_KEY_ENV: &str = "MOLTEN_MASTER_KEY";
/// A passphrase to stretch into the master key.
pub const PASSPHRASE_ENV: &str = "MOLTEN_PASSPHRASE";

pub struct MasterKeyResolver {
    data_dir: PathBuf,
    env_key: Option<Sensitive<String>>,
    passphrase: Option<Sensitive<String>>,
    keyring: Box<dyn KeyringBackend>,
    new_kdf: Option<KdfParams>,
}

impl std::fmt::Debug for MasterKeyResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeyResolver")
            .field("data_dir", &self.data_dir)
            .field("env_key", &self.env_key.is_some())
            .field("passphrase", &self.passphrase.is_some())
            .finish_non_exhaustive()
    }
}

fn non_empty_env(name: &str) -> Option<Sensitive<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(Sensitive::new)
}

impl MasterKeyResolver {
    /// A resolver for `data_dir` with no key or passphrase given and
    /// `keyring` as the keyring. Tests pass a fake keyring here.
    pub fn new(data_dir: impl Into<PathBuf>, keyring: impl KeyringBackend + 'static) -> Self {
        Self {
            data_dir: data_dir.into(),
            env_key: None,
            passphrase: None,
            keyring: Box::new(keyring),
            new_kdf: None,
        }
    }

    /// What the app and CLI use: the OS keyring, and `MOLTEN_MASTER_KEY` and
    /// `MOLTEN_PASSPHRASE` from the environment (empty counts as unset).
    pub fn from_environment(data_dir: impl Into<PathBuf>) -> Self {
        let mut r = Self::new(data_dir, OsKeyring::new());
        r.env_key = non_empty_env(MASTER_KEY_ENV);
        r.passphrase = non_empty_env(PASSPHRASE_ENV);
        r
    }

    /// A master key given as text, as `MOLTEN_MASTER_KEY` would be.
    pub fn with_master_key_text(mut self, text: Sensitive<String>) -> Self {
        self.env_key = Some(text);
        self
    }

    /// A passphrase typed by the user; replaces `MOLTEN_PASSPHRASE`.
    pub fn with_passphrase(mut self, passphrase: Sensitive<String>) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// The Argon2id costs for a vault whose passphrase is used for the first
    /// time (default: [`KdfParams::recommended`]). Existing vaults keep theirs.
    pub fn with_new_vault_kdf(mut self, params: KdfParams) -> Self {
        self.new_kdf = Some(params);
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Finds the master key. Blocking (Argon2id, keyring calls, files): call
    /// it from `spawn_blocking` in async code.
    pub fn resolve(&self) -> Result<MasterKey, VaultError> {
        if let Some(text) = &self.env_key {
            return MasterKey::parse(text.expose(), MASTER_KEY_ENV, KeySource::Env);
        }
        if let Some(passphrase) = &self.passphrase {
            return self.key_from_passphrase(passphrase);
        }
        self.key_from_keyring_or_file()
    }

    fn key_from_passphrase(&self, passphrase: &Sensitive<String>) -> Result<MasterKey, VaultError> {
        let mut settings = VaultSettings::load(&self.data_dir)?;
        let params = match &settings.passphrase_kdf {
            Some(p) => p.clone(),
            None => {
                let p = match &self.new_kdf {
                    Some(p) => p.clone(),
                    None => KdfParams::recommended()?,
                };
                // Derive first: a bad passphrase must not leave a salt behind.
                let key = p.derive(passphrase)?;
                settings.passphrase_kdf = Some(p);
                settings.save(&self.data_dir)?;
                tracing::info!(
                    file = %VaultSettings::path(&self.data_dir).display(),
                    "vault passphrase parameters created (salt and Argon2id costs; not secret, but keep it: without it the passphrase gives another key)"
                );
                return Ok(key);
            }
        };
        params.derive(passphrase)
    }

    fn key_from_keyring_or_file(&self) -> Result<MasterKey, VaultError> {
        if let Some(key) = key_file::read(&self.data_dir)? {
            self.warn_key_file();
            return Ok(key);
        }
        let mut settings = VaultSettings::load(&self.data_dir)?;
        if let Some(account) = &settings.keyring_account {
            return match self.keyring.load(account) {
                Ok(Some(text)) => MasterKey::parse(
                    text.expose(),
                    &format!("the OS keyring entry {KEYRING_SERVICE}/{account}"),
                    KeySource::Keyring,
                ),
                Ok(None) => Err(VaultError::Locked {
                    reason: format!(
                        "the OS keyring has no entry {KEYRING_SERVICE}/{account}, which held the master key"
                    ),
                }),
                Err(e) => Err(VaultError::Locked {
                    reason: format!(
                        "the master key is in the OS keyring ({KEYRING_SERVICE}/{account}): {e}"
                    ),
                }),
            };
        }
        let key = MasterKey::generate(KeySource::Keyring)?;
        let account = new_account()?;
        match self.store_in_keyring(&account, &key) {
            Ok(()) => {
                settings.keyring_account = Some(account.clone());
                settings.save(&self.data_dir)?;
                tracing::info!(entry = %format!("{KEYRING_SERVICE}/{account}"), "vault master key created in the OS keyring");
                Ok(key)
            }
            Err(KeyringError::Unavailable(why)) => {
                tracing::debug!(reason = %why, "no OS keyring; using a key file");
                let key = key_file::create(&self.data_dir)?;
                self.warn_key_file();
                Ok(key)
            }
            // A keyring that is there but refuses (locked, or no default
            // collection and no way to prompt, as on a server with
            // gnome-keyring installed) is not silently bypassed.
            Err(KeyringError::Failed(why)) => Err(VaultError::Locked {
                reason: format!(
                    "the OS keyring is present but refused to store the master key ({why}); \
                     unlock it, or where there is nothing to unlock set {PASSPHRASE_ENV} or {MASTER_KEY_ENV}"
                ),
            }),
        }
    }

    /// Stores the key and reads it back: a keyring that accepts a write but
    /// does not keep it counts as unavailable.
    fn store_in_keyring(&self, account: &str, key: &MasterKey) -> Result<(), KeyringError> {
        let hex = key.to_hex();
        self.keyring.store(account, &hex)?;
        match self.keyring.load(account)? {
            Some(back) if back.expose() == hex.expose() => Ok(()),
            _ => Err(KeyringError::Unavailable(
                "the keyring did not keep the entry written to it".into(),
            )),
        }
    }

    fn warn_key_file(&self) {
        tracing::warn!(
            file = %key_file::path(&self.data_dir).display(),
            "the vault's master key is kept in a plain key file because no OS keyring was reachable: \
             your secrets are only as safe as that file (owner-only, 0600; keep it out of backups you share). \
             To avoid it, set {PASSPHRASE_ENV} to a passphrase (stretched with Argon2id) or {MASTER_KEY_ENV} \
             to a key you keep elsewhere, or run a Secret Service such as gnome-keyring, before the first secret is stored"
        );
    }
}

/// A random keyring account name, so two data dirs never share an entry.
fn new_account() -> Result<String, VaultError> {
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(format!(
        "master-key-{}",
        id.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}
