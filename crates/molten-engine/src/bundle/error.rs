//! `BundleError`: what can go wrong exporting or importing a bundle, each
//! with a stable code and a next step. No variant carries a secret value.

use crate::error::EngineError;
use molten_core::VaultError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BundleError {
    /// Export refuses passphrases shorter than the minimum.
    #[error("the bundle passphrase is {len} characters long; it must have at least {min}")]
    WeakPassphrase { len: usize, min: usize },
    /// The bytes do not start like a bundle, or stop too early.
    #[error("this is not a Molten configuration bundle: {detail}")]
    NotABundle { detail: String },
    /// A bundle from a newer Molten.
    #[error("the bundle is format version {found}; this Molten reads version {supported}")]
    UnsupportedFormat { found: u32, supported: u32 },
    /// The header cannot be read or asks for key derivation this Molten refuses.
    #[error("the bundle's header is unusable: {detail}")]
    BadHeader { detail: String },
    /// AES-GCM refused: a wrong passphrase, or any byte of the header or body changed.
    #[error("the bundle cannot be decrypted: the passphrase is wrong, or the file was altered or damaged")]
    Undecryptable,
    /// Decrypted, but what is inside is not what Molten writes.
    #[error("the bundle's contents are malformed: {detail}")]
    BadPayload { detail: String },
    /// `config.yaml` or `permissions.yaml` inside the bundle does not parse.
    #[error("{source}")]
    InvalidInBundle {
        file: &'static str,
        #[source]
        source: EngineError,
    },
    /// The local `config.yaml` or `permissions.yaml` is invalid, so export stops.
    #[error(transparent)]
    LocalConfig(EngineError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot {action} {path}: {detail}")]
    Io {
        action: &'static str,
        path: String,
        detail: String,
    },
    #[error("a background task failed: {0}")]
    Task(String),
}

impl BundleError {
    /// A stable code the UI and scripts branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WeakPassphrase { .. } => "bundle_weak_passphrase",
            Self::NotABundle { .. } => "bundle_not_a_bundle",
            Self::UnsupportedFormat { .. } => "bundle_too_new",
            Self::BadHeader { .. } => "bundle_bad_header",
            Self::Undecryptable => "bundle_undecryptable",
            Self::BadPayload { .. } => "bundle_bad_payload",
            Self::InvalidInBundle { .. } => "bundle_invalid_file",
            Self::LocalConfig(_) => "config",
            Self::Vault(e) => e.code(),
            Self::Io { .. } => "io",
            Self::Task(_) => "internal",
        }
    }

    /// The next step, in plain words.
    pub fn hint(&self) -> String {
        const NOTHING_WRITTEN: &str = "Nothing was written.";
        match self {
            Self::WeakPassphrase { min, .. } => format!(
                "Choose a passphrase of {min} or more characters (a few unrelated words work well) and keep it somewhere safe: without it the bundle cannot be opened."
            ),
            Self::NotABundle { .. } => format!(
                "{NOTHING_WRITTEN} Check the file name: a bundle is what `molten config export` wrote, starting with MOLTENB1."
            ),
            Self::UnsupportedFormat { .. } => format!(
                "{NOTHING_WRITTEN} Update Molten on this machine, then import again."
            ),
            Self::BadHeader { .. } | Self::Undecryptable | Self::BadPayload { .. } => format!(
                "{NOTHING_WRITTEN} Check the passphrase; if it is right, the file was changed or damaged: use another copy of the bundle."
            ),
            Self::InvalidInBundle { file, .. } => format!(
                "{NOTHING_WRITTEN} Fix {file} on the machine that made the bundle (`molten doctor` shows the problem) and export again."
            ),
            Self::LocalConfig(e) => format!("{} Then export again.", e.hint()),
            Self::Vault(e) => e.hint(),
            Self::Io { .. } => "Check that the path exists and is writable, then try again; an import can be repeated safely (existing secrets are skipped without --replace).".into(),
            Self::Task(_) => "Try again.".into(),
        }
    }
}
