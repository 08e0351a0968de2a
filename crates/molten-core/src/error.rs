//! Errors a caller can act on: retry, wait, or stop and tell the user.

use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum ChannelError {
    /// Credentials were refused: retrying cannot help; the user must fix them.
    #[error("credentials refused by {platform}: {detail}")]
    Credentials { platform: String, detail: String },
    /// The platform asked us to slow down.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Network or server trouble; retry with backoff.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The platform refused this message for good (too long, chat gone).
    #[error("message rejected: {0}")]
    Rejected(String),
    /// The channel is stopped or paused.
    #[error("channel is not running")]
    NotRunning,
}

impl ChannelError {
    /// Whether reconnecting or resending may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Transient(_) | Self::NotRunning
        )
    }

    /// The server's own hint for when to try again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the database at {path} cannot be opened: {detail}")]
    Open { path: String, detail: String },
    #[error("the database at {path} is not a valid Molten database ({detail})")]
    Corrupt { path: String, detail: String },
    #[error(
        "the database schema is version {found}, newer than this Molten understands ({supported})"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("a database migration failed at version {version}: {detail}")]
    Migration { version: i64, detail: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Sqlite(String),
}

impl StoreError {
    /// The next step for the user, in plain words.
    pub fn hint(&self) -> String {
        match self {
            Self::Open { .. } => "Check that the data directory exists and is writable, or point MOLTEN_DATA_DIR at one that is.".into(),
            Self::Corrupt { path, .. } => format!(
                "Molten left the file untouched. Move {path} aside (or restore a backup) and start again; a new database will be created."
            ),
            Self::SchemaTooNew { .. } => "Install the newer Molten that wrote this database, or restore a backup made by this version.".into(),
            Self::Migration { .. } => "The database was rolled back and is unchanged. Report this with `molten doctor` output.".into(),
            Self::NotFound(_) => "Refresh the list; the item may have been removed.".into(),
            Self::Sqlite(_) => "Run `molten doctor` to check the database.".into(),
        }
    }
}
