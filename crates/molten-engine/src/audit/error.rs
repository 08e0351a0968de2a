//! Errors of the audit log, each with a next step.

use molten_core::StoreError;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An archive file could not be written or read.
    #[error("audit archive {path}: {detail}")]
    Archive { path: String, detail: String },
    /// The export's writer failed (disk full, closed pipe).
    #[error("cannot write the audit export: {0}")]
    Export(String),
}

impl AuditError {
    pub(crate) fn archive(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::Archive {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }

    /// The next step, in plain words.
    pub fn hint(&self) -> String {
        match self {
            Self::Store(e) => e.hint(),
            Self::Archive { .. } => "Check that the data directory's audit-archive folder is writable and has free space; no audit rows were removed.".into(),
            Self::Export(_) => "Check the output file's directory and free space, then export again.".into(),
        }
    }
}

pub(crate) fn sql(e: rusqlite::Error) -> AuditError {
    AuditError::Store(StoreError::Sqlite(e.to_string()))
}
