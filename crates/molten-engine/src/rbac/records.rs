//! Pairing requests and approvals, durable in SQLite. Deciding is a single
//! conditional UPDATE, so the first answer wins and a late one changes nothing.

use crate::store::SqliteStore;
use chrono::{DateTime, TimeZone, Utc};
use molten_core::{ConversationRef, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pairing {
    pub code: String,
    pub identity: String,
    pub conversation: ConversationRef,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub id: i64,
    pub code: String,
    pub origin: String,
    pub requester: String,
    pub conversation: ConversationRef,
    pub permission: String,
    pub command: String,
    pub lang: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_by: Option<String>,
}

pub struct NewApproval {
    pub origin: String,
    pub requester: String,
    pub conversation: ConversationRef,
    pub permission: String,
    pub command: String,
    pub lang: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn t(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e.to_string())
}

/// A six-digit code from the OS's random source.
fn fresh_code() -> Result<String, StoreError> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| StoreError::Sqlite(format!("no randomness: {e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

/// Inserts a row under a fresh random code, retrying on the rare collision
/// (`insert` returns the rows it inserted: 0 when the code was taken).
fn insert_with_fresh_code(
    what: &str,
    mut insert: impl FnMut(&str) -> rusqlite::Result<usize>,
) -> Result<String, StoreError> {
    for _ in 0..20 {
        let code = fresh_code()?;
        if insert(&code).map_err(sql)? == 1 {
            return Ok(code);
        }
    }
    Err(StoreError::Sqlite(format!(
        "could not find a free {what} code"
    )))
}

/// What a conditional "decide it if still open" UPDATE came to, given how
/// many rows it changed and the row as it now is.
fn answered<T>(changed: usize, row: Option<T>) -> Answer<T> {
    match (changed, row) {
        (_, None) => Answer::NotFound,
        (1, Some(r)) => Answer::Decided(r),
        (_, Some(r)) => Answer::AlreadyClosed(r),
    }
}

const PAIRING_COLS: &str = "code, identity, channel, conversation, status, created_at_ms";
const APPROVAL_COLS: &str = "id, code, origin, requester, channel, conversation, permission, command, lang, status, created_at_ms, expires_at_ms, decided_by";

fn pairing(r: &Row<'_>) -> rusqlite::Result<Pairing> {
    Ok(Pairing {
        code: r.get(0)?,
        identity: r.get(1)?,
        conversation: ConversationRef::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        status: r.get(4)?,
        created_at: t(r.get(5)?),
    })
}

fn approval(r: &Row<'_>) -> rusqlite::Result<Approval> {
    Ok(Approval {
        id: r.get(0)?,
        code: r.get(1)?,
        origin: r.get(2)?,
        requester: r.get(3)?,
        conversation: ConversationRef::new(r.get::<_, String>(4)?, r.get::<_, String>(5)?),
        permission: r.get(6)?,
        command: r.get(7)?,
        lang: r.get(8)?,
        status: r.get(9)?,
        created_at: t(r.get(10)?),
        expires_at: t(r.get(11)?),
        decided_by: r.get(12)?,
    })
}

/// Outcome of answering a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// This answer decided it.
    Decided(T),
    /// Someone answered first, or it expired: its current state.
    AlreadyClosed(T),
    NotFound,
}

impl SqliteStore {
    /// The pending pairing for `identity`, created if needed. The bool says
    /// whether it is new (so the owner is told only once).
    pub async fn request_pairing(
        &self,
        identity: &str,
        conv: &ConversationRef,
        at: DateTime<Utc>,
    ) -> Result<(Pairing, bool), StoreError> {
        let (identity, conv) = (identity.to_string(), conv.clone());
        self.run(move |c| {
            let existing = c
                .query_row(&format!("SELECT {PAIRING_COLS} FROM pairings WHERE identity = ?1 AND status = 'pending'"), [&identity], pairing)
                .optional()
                .map_err(sql)?;
            if let Some(p) = existing {
                return Ok((p, false));
            }
            let code = insert_with_fresh_code("pairing", |code| {
                c.execute(
                    "INSERT OR IGNORE INTO pairings (code, identity, channel, conversation, status, created_at_ms) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
                    params![code, identity, conv.channel.as_str(), conv.conversation_id, at.timestamp_millis()],
                )
            })?;
            let p = c
                .query_row(&format!("SELECT {PAIRING_COLS} FROM pairings WHERE code = ?1"), [&code], pairing)
                .map_err(sql)?;
            Ok((p, true))
        })
        .await
    }

    pub async fn answer_pairing(
        &self,
        code: &str,
        approve: bool,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Answer<Pairing>, StoreError> {
        let (code, by) = (code.to_string(), by.to_string());
        self.run(move |c| {
            let status = if approve { "approved" } else { "rejected" };
            let n = c
                .execute(
                    "UPDATE pairings SET status = ?2, decided_by = ?3, decided_at_ms = ?4 WHERE code = ?1 AND status = 'pending'",
                    params![code, status, by, at.timestamp_millis()],
                )
                .map_err(sql)?;
            let row = c
                .query_row(&format!("SELECT {PAIRING_COLS} FROM pairings WHERE code = ?1"), [&code], pairing)
                .optional()
                .map_err(sql)?;
            Ok(answered(n, row))
        })
        .await
    }

    pub async fn pairings(&self, status: Option<&str>) -> Result<Vec<Pairing>, StoreError> {
        let status = status.map(str::to_string);
        self.run(move |c| {
            let mut stmt = c
                .prepare(&format!("SELECT {PAIRING_COLS} FROM pairings WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at_ms DESC LIMIT 200"))
                .map_err(sql)?;
            let rows = stmt.query_map([status], pairing).map_err(sql)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)
        })
        .await
    }

    /// Records a request, keyed by its origin: asking again returns the first.
    pub async fn request_approval(&self, new: NewApproval) -> Result<Approval, StoreError> {
        self.run(move |c| {
            if let Some(a) = c
                .query_row(&format!("SELECT {APPROVAL_COLS} FROM approvals WHERE origin = ?1"), [&new.origin], approval)
                .optional()
                .map_err(sql)?
            {
                return Ok(a);
            }
            let code = insert_with_fresh_code("approval", |code| {
                c.execute(
                    "INSERT OR IGNORE INTO approvals (code, origin, requester, channel, conversation, permission, command, lang, status, created_at_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10)",
                    params![
                        code,
                        new.origin,
                        new.requester,
                        new.conversation.channel.as_str(),
                        new.conversation.conversation_id,
                        new.permission,
                        new.command,
                        new.lang,
                        new.created_at.timestamp_millis(),
                        new.expires_at.timestamp_millis()
                    ],
                )
            })?;
            c.query_row(&format!("SELECT {APPROVAL_COLS} FROM approvals WHERE code = ?1"), [&code], approval)
                .map_err(sql)
        })
        .await
    }

    /// Answers an approval: only a pending, unexpired one can be decided.
    pub async fn answer_approval(
        &self,
        code: &str,
        approve: bool,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Answer<Approval>, StoreError> {
        let (code, by) = (code.to_string(), by.to_string());
        self.run(move |c| {
            let status = if approve { "approved" } else { "denied" };
            let n = c
                .execute(
                    "UPDATE approvals SET status = ?2, decided_by = ?3, decided_at_ms = ?4
                     WHERE code = ?1 AND status = 'pending' AND expires_at_ms > ?4",
                    params![code, status, by, at.timestamp_millis()],
                )
                .map_err(sql)?;
            let row = c
                .query_row(
                    &format!("SELECT {APPROVAL_COLS} FROM approvals WHERE code = ?1"),
                    [&code],
                    approval,
                )
                .optional()
                .map_err(sql)?;
            Ok(answered(n, row))
        })
        .await
    }

    /// Marks every pending approval past its deadline as expired (= denied).
    pub async fn expire_approvals(&self, now: DateTime<Utc>) -> Result<Vec<Approval>, StoreError> {
        self.run(move |c| {
            let tx = c.transaction().map_err(sql)?;
            let due = {
                let mut stmt = tx
                    .prepare(&format!("SELECT {APPROVAL_COLS} FROM approvals WHERE status = 'pending' AND expires_at_ms <= ?1 ORDER BY id"))
                    .map_err(sql)?;
                let rows = stmt.query_map([now.timestamp_millis()], approval).map_err(sql)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)?
            };
            tx.execute(
                "UPDATE approvals SET status = 'expired', decided_by = 'timeout', decided_at_ms = ?1 WHERE status = 'pending' AND expires_at_ms <= ?1",
                [now.timestamp_millis()],
            )
            .map_err(sql)?;
            tx.commit().map_err(sql)?;
            Ok(due)
        })
        .await
    }

    pub async fn next_approval_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.run(|c| {
            c.query_row(
                "SELECT min(expires_at_ms) FROM approvals WHERE status = 'pending'",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|v| v.map(t))
            .map_err(sql)
        })
        .await
    }

    pub async fn approvals(&self, status: Option<&str>) -> Result<Vec<Approval>, StoreError> {
        let status = status.map(str::to_string);
        self.run(move |c| {
            let mut stmt = c
                .prepare(&format!("SELECT {APPROVAL_COLS} FROM approvals WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT 200"))
                .map_err(sql)?;
            let rows = stmt.query_map([status], approval).map_err(sql)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)
        })
        .await
    }
}
