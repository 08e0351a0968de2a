//! Retention: entries older than the cutoff leave the live table for a
//! gzip JSON-lines archive. Per batch, inside one immediate transaction:
//!
//! 1. read the oldest live rows, stopping at the first one not older than the
//!    cutoff (the archive is always a prefix of the chain);
//! 2. write and fsync `audit-archive/<first>-<last>.jsonl.gz`;
//! 3. record it in `audit_archive`, set the `audit_retention` flag to its
//!    last seq, delete those rows (the delete trigger allows exactly the rows
//!    of a recorded archive named by the flag), clear the flag, commit.
//!
//! A crash before the commit leaves the rows live and, at worst, an
//! unrecorded archive file that the next run overwrites. Archive files are
//! kept; verify reads them as the start of the chain.

use super::archive;
use super::entry::AuditRecord;
use super::error::{sql, AuditError};
use super::query::{record, COLUMNS};
use super::{ms, AuditLog};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::{Path, PathBuf};

/// How long entries stay in the live table unless the caller says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// Rows per archive file: bounds memory and how long one batch holds the store.
const BATCH_ROWS: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Rows moved out of the live table.
    pub archived_rows: u64,
    /// Archive files written, oldest first.
    pub files: Vec<PathBuf>,
}

/// Archives and deletes one batch; `None` when nothing is old enough.
fn archive_batch(
    c: &mut Connection,
    dir: &Path,
    cutoff_ms: i64,
    now_ms: i64,
) -> Result<Option<(PathBuf, usize)>, AuditError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let records: Vec<AuditRecord> = {
        let mut stmt = tx
            .prepare(&format!(
                "SELECT {COLUMNS} FROM audit ORDER BY seq LIMIT ?1"
            ))
            .map_err(sql)?;
        let mut rows = stmt
            .query(params![i64::try_from(BATCH_ROWS).unwrap_or(i64::MAX)])
            .map_err(sql)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql)? {
            let r = record(row).map_err(sql)?;
            if ms(r.entry.at) >= cutoff_ms {
                break;
            }
            out.push(r);
        }
        out
    };
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(None);
    };
    let path = archive::write(dir, &records).map_err(|e| AuditError::archive(dir, e))?;
    let file = archive::file_name(first.seq, last.seq);
    tx.execute(
        "INSERT INTO audit_archive (first_seq, last_seq, last_hash, file, rows, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            first.seq,
            last.seq,
            last.hash,
            file,
            records.len() as i64,
            now_ms
        ],
    )
    .map_err(sql)?;
    tx.execute(
        "INSERT INTO audit_retention (id, upto_seq) VALUES (1, ?1)",
        [last.seq],
    )
    .map_err(sql)?;
    tx.execute("DELETE FROM audit WHERE seq <= ?1", [last.seq])
        .map_err(sql)?;
    tx.execute("DELETE FROM audit_retention", []).map_err(sql)?;
    tx.commit().map_err(sql)?;
    Ok(Some((path, records.len())))
}

impl AuditLog {
    /// Moves entries older than `keep_days` before `now` into archive files,
    /// then removes them from the live table. `now` comes from the caller's
    /// `Clock`; [`DEFAULT_RETENTION_DAYS`] is the usual `keep_days`.
    pub async fn retain(
        &self,
        now: DateTime<Utc>,
        keep_days: u32,
    ) -> Result<RetentionReport, AuditError> {
        self.archive_before(now - Duration::days(i64::from(keep_days)), now)
            .await
    }

    /// Moves entries with `at < cutoff` (a prefix of the chain: it stops at
    /// the first newer entry) into archive files. `now` stamps the records.
    pub async fn archive_before(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RetentionReport, AuditError> {
        let mut report = RetentionReport::default();
        loop {
            let dir = self.archive_dir.clone();
            let batch = self
                .run(move |c| archive_batch(c, &dir, ms(cutoff), ms(now)))
                .await?;
            let Some((path, n)) = batch else { break };
            tracing::info!(file = %path.display(), rows = n, "audit entries archived");
            report.archived_rows += n as u64;
            report.files.push(path);
            if n < BATCH_ROWS {
                break;
            }
        }
        Ok(report)
    }
}
