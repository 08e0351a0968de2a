//! The whole configuration as one encrypted file: `config.yaml`,
//! `permissions.yaml` and the value of every vault secret, sealed with
//! AES-256-GCM under a key stretched from a passphrase with Argon2id. The
//! bundle does not depend on the machine's master key, so it restores on a
//! new machine, where import seals each secret again with that vault's key.
//!
//! - [`format`]: the bytes (`MOLTENB1`, JSON header, nonce, ciphertext), the
//!   header's checks and the cipher.
//! - [`payload`]: what is encrypted, held in `Sensitive` and zeroized buffers.
//! - [`export()`] gathers and seals; [`import()`] opens, validates everything,
//!   then writes files (old ones kept as `.bak`) and secrets.

mod atomic_file;
mod error;
mod export;
pub mod format;
mod import;
pub mod payload;

pub use atomic_file::{write_owner_only, FileOutcome};
pub use error::BundleError;
pub use export::{check_passphrase, export, ExportOptions, ExportedBundle, MIN_PASSPHRASE_CHARS};
pub use format::{open_payload, read_header, seal_payload, BundleHeader, FORMAT_VERSION, MAGIC};
pub use import::{import, ExistingSecrets, ImportReport, RestoredFile};
pub use payload::{BundlePayload, BundledSecret};

/// The bundle's name for `config.yaml`, as reports and errors show it.
pub const CONFIG_FILE: &str = "config.yaml";
/// The bundle's name for `permissions.yaml`.
pub const PERMISSIONS_FILE: &str = "permissions.yaml";
