//! The audit log: who did what, through which channel, to what, and how it
//! ended — append-only and hash-chained, so an edited, removed or reordered
//! entry is found by [`AuditLog::verify`].
//!
//! - [`entry`]: [`AuditEntry`] (what callers report; **summaries, never
//!   secrets**), [`AuditRecord`] (stored, with `seq`, `prev_hash`, `hash`) and
//!   the canonical JSON that is hashed.
//! - [`append`](AuditLog::append): one immediate transaction reads the head,
//!   inserts and moves the head (`audit_head`), so the chain cannot fork.
//! - SQLite triggers (migration 0003) refuse `UPDATE` and `DELETE` of audit
//!   rows. Rows leave only through [`retention`](AuditLog::retain): archived
//!   to `audit-archive/<first>-<last>.jsonl.gz` and fsynced, recorded in
//!   `audit_archive`, then deleted while the `audit_retention` flag names that
//!   archive — all inside one transaction, so the flag never outlives it.
//! - [`verify`](AuditLog::verify) walks archives then live rows as one chain
//!   and ends at the head, on its own read snapshot; [`query`](AuditLog::query)
//!   pages by `seq` with filters (indexes, a trigram index for text, never
//!   OFFSET); [`export`](AuditLog::export) writes CSV or JSON.
//!
//! Archive files are never deleted by Molten: `verify` needs every recorded
//! archive to vouch for the live rows after it.
//!
//! What the chain cannot show on its own: someone with write access to the
//! database file who drops the triggers, deletes the newest rows *and* moves
//! `audit_head` back leaves a shorter, valid chain. Keep an external anchor —
//! copy [`AuditLog::head`] (seq + hash) outside the database now and then —
//! and pass it to [`AuditLog::verify_against`].

mod append;
mod archive;
pub mod entry;
mod error;
mod export;
mod query;
mod reader;
mod retention;
mod selection;
mod verify;

pub use entry::{AuditEntry, AuditHead, AuditRecord, AuditResult, GENESIS_HASH};
pub use error::AuditError;
pub use export::ExportFormat;
pub use query::{AuditFilter, AuditPage, COUNT_CAP};
pub use retention::{RetentionReport, DEFAULT_RETENTION_DAYS};
pub use verify::{ChainBreak, ChainProblem, VerifyReport};

use crate::paths::DataDir;
use crate::store::SqliteStore;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The archive folder inside a data directory.
pub const ARCHIVE_DIR_NAME: &str = "audit-archive";

/// The audit log over the engine's [`SqliteStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: SqliteStore,
    archive_dir: PathBuf,
}

impl AuditLog {
    /// The log in `store`, archiving into `<data dir>/audit-archive/`.
    pub fn new(store: SqliteStore, data_dir: &DataDir) -> Self {
        Self::with_archive_dir(store, data_dir.root().join(ARCHIVE_DIR_NAME))
    }

    /// The log in `store`, archiving into `archive_dir`.
    pub fn with_archive_dir(store: SqliteStore, archive_dir: impl Into<PathBuf>) -> Self {
        Self {
            store,
            archive_dir: archive_dir.into(),
        }
    }

    pub fn archive_dir(&self) -> &Path {
        &self.archive_dir
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// Runs `f` on the store's connection in a blocking task.
    async fn run<T, F>(&self, f: F) -> Result<T, AuditError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AuditError> + Send + 'static,
    {
        self.store.run(move |c| Ok(f(c))).await?
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
