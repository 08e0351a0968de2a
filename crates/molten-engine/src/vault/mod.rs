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
