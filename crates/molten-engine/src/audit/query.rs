//! Filtering and keyset paging, newest first.
//!
//! Pages are `seq < before_seq ORDER BY seq DESC LIMIT n` — never OFFSET — so
//! a page costs the same on row 10 and row 1,000,000, and entries appended
//! while someone pages do not shift later pages. Equality filters walk their
//! index (which ends in `seq`) in order; a free-text search walks the
//! trigram index (`audit_text`) in seq order and checks the other filters on
//! each match until the page is full.

use super::entry::{AuditEntry, AuditRecord, AuditResult};
use super::error::{sql, AuditError};
use super::selection::Selection;
use super::{from_ms, AuditLog};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};

/// The total is counted up to this many matches; past it the page says
/// `total_is_lower_bound` instead of counting the whole table.
pub const COUNT_CAP: u64 = 10_000;

/// Which entries to show. Every field left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub channel: Option<String>,
    pub operation: Option<String>,
    pub result: Option<AuditResult>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// A substring of `target`, `args_summary` or `operation`, matched
    /// case-insensitively. Three or more characters use the trigram index;
    /// shorter ones scan the table.
    pub search: Option<String>,
}

/// One page, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// Pass as `before_seq` for the next (older) page; `None` on the last page.
    pub next_before_seq: Option<i64>,
    /// Entries matching the filter (ignoring `before_seq`), counted up to [`COUNT_CAP`].
    pub total: u64,
    /// `total` stopped at the cap: there are at least that many.
    pub total_is_lower_bound: bool,
}

pub(crate) const COLUMNS: &str =
    "seq, at_ms, actor, channel, operation, target, args, result, duration_ms, prev_hash, hash";

/// A stored row before its `result` is parsed, so verify can name a bad row.
pub(crate) struct RawRow {
    pub seq: i64,
    at_ms: i64,
    actor: String,
    channel: String,
    operation: String,
    target: String,
    args: String,
    result: String,
    duration_ms: Option<i64>,
    prev_hash: String,
    hash: String,
}

impl RawRow {
    pub fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            actor: r.get(2)?,
            channel: r.get(3)?,
            operation: r.get(4)?,
            target: r.get(5)?,
            args: r.get(6)?,
            result: r.get(7)?,
            duration_ms: r.get(8)?,
            prev_hash: r.get(9)?,
            hash: r.get(10)?,
        })
    }

    pub fn into_record(self) -> Result<AuditRecord, String> {
        let result = AuditResult::parse(&self.result)
            .ok_or_else(|| format!("unknown result {:?}", self.result))?;
        let duration_ms = match self.duration_ms {
            Some(d) => Some(u64::try_from(d).map_err(|_| format!("negative duration {d}"))?),
            None => None,
        };
        Ok(AuditRecord {
            seq: self.seq,
            entry: AuditEntry {
                at: from_ms(self.at_ms),
                actor: self.actor,
                channel: self.channel,
                operation: self.operation,
                target: self.target,
                args_summary: self.args,
                result,
                duration_ms,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

pub(crate) fn record(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    RawRow::read(r)?
        .into_record()
        .map_err(|why| rusqlite::Error::InvalidColumnType(7, why, rusqlite::types::Type::Text))
}

fn page(
    c: &Connection,
    filter: &AuditFilter,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<AuditPage, AuditError> {
    let limit = limit.max(1);
    let sel = Selection::new(c, filter, before_seq)?;
    let mut params = sel.params();
    params.push(Value::Integer(i64::from(limit) + 1));
    let mut stmt = c
        .prepare(&format!("{} LIMIT ?", sel.select_records(true)))
        .map_err(sql)?;
    let mut records = stmt
        .query_map(params_from_iter(params), record)
        .map_err(sql)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql)?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next_before_seq = if more {
        records.last().map(|r| r.seq)
    } else {
        None
    };

    let mut params = sel.count_params();
    params.push(Value::Integer(
        i64::try_from(COUNT_CAP).unwrap_or(i64::MAX) + 1,
    ));
    let counted: i64 = c
        .query_row(
            &format!(
                "SELECT count(*) FROM (SELECT 1 {} LIMIT ?)",
                sel.count_from_where
            ),
            params_from_iter(params),
            |r| r.get(0),
        )
        .map_err(sql)?;
    let counted = u64::try_from(counted).unwrap_or(0);
    Ok(AuditPage {
        records,
        next_before_seq,
        total: counted.min(COUNT_CAP),
        total_is_lower_bound: counted > COUNT_CAP,
    })
}

impl AuditLog {
    /// Entries matching `filter` with `seq < before_seq` (all when `None`),
    /// newest first, at most `limit` (at least 1).
    pub async fn query(
        &self,
        filter: &AuditFilter,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<AuditPage, AuditError> {
        let filter = filter.clone();
        self.run(move |c| page(c, &filter, before_seq, limit)).await
    }

    /// The newest `n` entries, oldest first (for `molten audit tail`).
    pub async fn tail(&self, n: u32) -> Result<Vec<AuditRecord>, AuditError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut records = self.query(&AuditFilter::default(), None, n).await?.records;
        records.reverse();
        Ok(records)
    }
}
