//! The secret vault: named secrets sealed with AES-256-GCM under one master
//! key, stored in the `secrets` table of the shared database.
//!
//! - [`MasterKeyResolver`] finds the master key: `MOLTEN_MASTER_KEY`, else a
//!   passphrase through Argon2id, else the OS keyring, else `master.key`.
//! - [`SqliteVault`] implements `molten_core::SecretVault` on a `SqliteStore`.
//! - [`envelope`] is the at-rest format: version, nonce, ciphertext + tag,
//!   with the secret's name as associated data.

pub mod envelope;
mod key_file;
pub mod master_key;
pub mod os_keyring;
pub mod passphrase;
mod resolver;
pub mod settings;
mod sqlite_vault;

pub use key_file::KEY_FILE;
pub use master_key::{KeySource, MasterKey};
pub use os_keyring::{KeyringBackend, KeyringError, OsKeyring};
pub use passphrase::KdfParams;
pub use resolver::{MasterKeyResolver, MASTER_KEY_ENV, PASSPHRASE_ENV};
pub use settings::{VaultSettings, SETTINGS_FILE};
pub use sqlite_vault::{delete_secret, secret_names, SqliteVault};

/// Opens the vault on `store` with the master key the environment provides
/// (see [`MasterKeyResolver::from_environment`]), resolving off the async
/// threads because a keyring or Argon2id may take a while.
pub async fn open_from_environment(
    data_dir: &std::path::Path,
    store: crate::store::SqliteStore,
    clock: std::sync::Arc<dyn molten_core::Clock>,
) -> Result<SqliteVault, molten_core::VaultError> {
    let resolver = MasterKeyResolver::from_environment(data_dir);
    let key = tokio::task::spawn_blocking(move || resolver.resolve())
        .await
        .map_err(|e| {
            molten_core::VaultError::Storage(molten_core::StoreError::Sqlite(format!(
                "key task failed: {e}"
            )))
        })??;
    Ok(SqliteVault::new(store, &key, clock))
}
