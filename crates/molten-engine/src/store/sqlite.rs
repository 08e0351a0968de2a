//! `SqliteStore`: one connection behind a mutex, used from blocking tasks.

use super::migrate;
use super::rows::{self, ms, sql_err, MESSAGE_COLUMNS, REMINDER_COLUMNS};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use molten_core::{
    ConversationRef, InboundMessage, MessageStatus, NewReminder, Reminder, ReminderQuery,
    ReminderStatus, Store, StoreError, StoredMessage,
};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn classify_open(path: &Path, e: rusqlite::Error) -> StoreError {
    let detail = e.to_string();
    let path = path.display().to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path, detail }
        }
        _ => StoreError::Open { path, detail },
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    /// Nothing is written to a file that is not a Molten database or whose
    /// schema is newer than this binary.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path).map_err(|e| classify_open(path, e))?;
        // Touch the header first: a file that is not SQLite fails here, read-only.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| classify_open(path, e))?;
        if migrate::current_version(&conn)? > migrate::SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: migrate::current_version(&conn)?,
                supported: migrate::SCHEMA_VERSION,
            });
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| classify_open(path, e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| classify_open(path, e))?;
        // FULL: an acknowledged inbound message survives power loss, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| classify_open(path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| classify_open(path, e))?;
        migrate::migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection in a blocking task.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                StoreError::Sqlite("store lock poisoned by an earlier panic".into())
            })?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Sqlite(format!("store task failed: {e}")))?
    }

    /// Schema version and integrity, for `molten doctor`.
    pub async fn check(&self) -> Result<(i64, String), StoreError> {
        self.run(|c| {
            let v = migrate::current_version(c)?;
            let ok: String = c
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(sql_err)?;
            Ok((v, ok))
        })
        .await
    }
}

fn get_message(c: &Connection, id: i64) -> Result<StoredMessage, StoreError> {
    c.query_row(
        &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"),
        [id],
        rows::message,
    )
    .optional()
    .map_err(sql_err)?
    .ok_or_else(|| StoreError::NotFound(format!("message {id}")))
}

fn get_reminder(c: &Connection, id: i64) -> Result<Reminder, StoreError> {
    c.query_row(
        &format!("SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ?1"),
        [id],
        rows::reminder,
    )
    .optional()
    .map_err(sql_err)?
    .ok_or_else(|| StoreError::NotFound(format!("reminder {id}")))
}

fn collect<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    stmt.query_map(params, f)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<T>>>()
        .map_err(sql_err)
}

/// Inserts an outbound row unless its origin exists; returns it when new.
fn insert_outbound(
    c: &Connection,
    conv: &ConversationRef,
    origin: &str,
    text: &str,
    reply_to: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Option<StoredMessage>, StoreError> {
    let n = c
        .execute(
            "INSERT OR IGNORE INTO messages (direction, channel, conversation, sender, origin, text, at_ms, status, reply_to)
             VALUES ('out', ?1, ?2, 'molten', ?3, ?4, ?5, 'pending', ?6)",
            params![conv.channel.as_str(), conv.conversation_id, origin, text, ms(at), reply_to],
        )
        .map_err(sql_err)?;
    if n == 0 {
        return Ok(None);
    }
    get_message(c, c.last_insert_rowid()).map(Some)
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert_inbound(
        &self,
        msg: &InboundMessage,
    ) -> Result<(StoredMessage, bool), StoreError> {
        let msg = msg.clone();
        self.run(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO messages (direction, channel, conversation, sender, platform_msg_id, text, at_ms, status)
                     VALUES ('in', ?1, ?2, ?3, ?4, ?5, ?6, 'received')",
                    params![
                        msg.conversation.channel.as_str(),
                        msg.conversation.conversation_id,
                        msg.sender.to_string(),
                        msg.platform_msg_id,
                        msg.text,
                        ms(msg.received_at)
                    ],
                )
                .map_err(sql_err)?;
            if n == 1 {
                return Ok((get_message(c, c.last_insert_rowid())?, false));
            }
            let existing = c
                .query_row(
                    &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE direction = 'in' AND channel = ?1 AND platform_msg_id = ?2"),
                    params![msg.conversation.channel.as_str(), msg.platform_msg_id],
                    rows::message,
                )
                .map_err(sql_err)?;
            Ok((existing, true))
        })
        .await
    }

    async fn inbound_by_platform_id(
        &self,
        channel: &str,
        platform_msg_id: &str,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let (channel, pid) = (channel.to_string(), platform_msg_id.to_string());
        self.run(move |c| {
            c.query_row(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE direction = 'in' AND channel = ?1 AND platform_msg_id = ?2"),
                params![channel, pid],
                rows::message,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn unfinished_inbound(&self) -> Result<Vec<StoredMessage>, StoreError> {
        self.run(|c| {
            let mut stmt = c
                .prepare(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE status = 'received' AND direction = 'in' ORDER BY id"))
                .map_err(sql_err)?;
            collect(&mut stmt, [], rows::message)
        })
        .await
    }

    async fn finish_inbound(
        &self,
        id: i64,
        status: MessageStatus,
        error: Option<String>,
        replies: Vec<String>,
        at: DateTime<Utc>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            let msg = get_message(&tx, id)?;
            if msg.status != MessageStatus::Received {
                return Ok(Vec::new());
            }
            tx.execute(
                "UPDATE messages SET status = ?2, last_error = ?3, done_at_ms = ?4 WHERE id = ?1",
                params![id, status.as_str(), error, ms(at)],
            )
            .map_err(sql_err)?;
            let mut out = Vec::with_capacity(replies.len());
            for (part, text) in replies.iter().enumerate() {
                let origin = format!("reply:{id}:{part}");
                if let Some(row) =
                    insert_outbound(&tx, &msg.conversation, &origin, text, Some(id), at)?
                {
                    out.push(row);
                }
            }
            tx.commit().map_err(sql_err)?;
            Ok(out)
        })
        .await
    }

    async fn enqueue_outbound(
        &self,
        conversation: &ConversationRef,
        text: String,
        origin: String,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let conv = conversation.clone();
        self.run(move |c| insert_outbound(c, &conv, &origin, &text, None, at))
            .await
    }

    async fn message(&self, id: i64) -> Result<StoredMessage, StoreError> {
        self.run(move |c| get_message(c, id)).await
    }

    async fn pending_outbound(&self, channel: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let channel = channel.to_string();
        self.run(move |c| {
            let mut stmt = c
                .prepare(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE status = 'pending' AND direction = 'out' AND channel = ?1 ORDER BY id"))
                .map_err(sql_err)?;
            collect(&mut stmt, [channel], rows::message)
        })
        .await
    }

    async fn mark_sent(
        &self,
        id: i64,
        platform_msg_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<StoredMessage, StoreError> {
        self.run(move |c| {
            c.execute(
                "UPDATE messages SET status = 'sent', platform_msg_id = ?2, attempts = attempts + 1, done_at_ms = ?3, last_error = NULL
                 WHERE id = ?1 AND direction = 'out'",
                params![id, platform_msg_id, ms(at)],
            )
            .map_err(sql_err)?;
            get_message(c, id)
        })
        .await
    }

    async fn mark_send_failed(
        &self,
        id: i64,
        error: &str,
        give_up: bool,
    ) -> Result<StoredMessage, StoreError> {
        let error = error.to_string();
        self.run(move |c| {
            c.execute(
                "UPDATE messages SET attempts = attempts + 1, last_error = ?2,
                 status = CASE WHEN ?3 THEN 'failed' ELSE status END
                 WHERE id = ?1 AND direction = 'out'",
                params![id, error, give_up],
            )
            .map_err(sql_err)?;
            get_message(c, id)
        })
        .await
    }

    async fn history(
        &self,
        conversation: &ConversationRef,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<StoredMessage>, bool), StoreError> {
        let conv = conversation.clone();
        self.run(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel = ?1 AND conversation = ?2 AND id < ?3
                     ORDER BY id DESC LIMIT ?4"
                ))
                .map_err(sql_err)?;
            let mut page = collect(
                &mut stmt,
                params![conv.channel.as_str(), conv.conversation_id, before.unwrap_or(i64::MAX), i64::from(limit) + 1],
                rows::message,
            )?;
            let more = page.len() > limit as usize;
            page.truncate(limit as usize);
            page.reverse();
            Ok((page, more))
        })
        .await
    }

    async fn messages_after(
        &self,
        conversation: &ConversationRef,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let conv = conversation.clone();
        self.run(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel = ?1 AND conversation = ?2 AND id > ?3
                     ORDER BY id LIMIT ?4"
                ))
                .map_err(sql_err)?;
            collect(&mut stmt, params![conv.channel.as_str(), conv.conversation_id, after, limit], rows::message)
        })
        .await
    }

    async fn create_reminder(&self, new: NewReminder) -> Result<Reminder, StoreError> {
        self.run(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO reminders (origin, owner, channel, conversation, text, due_at_ms, status, lang, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
                params![
                    new.origin,
                    new.owner,
                    new.conversation.channel.as_str(),
                    new.conversation.conversation_id,
                    new.text,
                    ms(new.due_at),
                    new.lang,
                    ms(new.created_at)
                ],
            )
            .map_err(sql_err)?;
            let id: i64 = c
                .query_row("SELECT id FROM reminders WHERE origin = ?1", [&new.origin], |r| r.get(0))
                .map_err(sql_err)?;
            get_reminder(c, id)
        })
        .await
    }

    async fn reminders(&self, q: &ReminderQuery) -> Result<(Vec<Reminder>, u64), StoreError> {
        let q = q.clone();
        self.run(move |c| {
            let pattern = format!("%{}%", q.search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let status = q.status.map(|s| s.as_str());
            let filter = "(?1 IS NULL OR status = ?1) AND (?2 IS NULL OR owner = ?2) AND text LIKE ?3 ESCAPE '\\'";
            let total: i64 = c
                .query_row(
                    &format!("SELECT count(*) FROM reminders WHERE {filter}"),
                    params![status, q.owner, pattern],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            // Pending ones soonest first; the rest newest first.
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {REMINDER_COLUMNS} FROM reminders WHERE {filter}
                     ORDER BY status = 'pending' DESC,
                              CASE WHEN status = 'pending' THEN due_at_ms ELSE -due_at_ms END, id
                     LIMIT ?4 OFFSET ?5"
                ))
                .map_err(sql_err)?;
            let items = collect(&mut stmt, params![status, q.owner, pattern, q.limit, q.offset], rows::reminder)?;
            Ok((items, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }

    async fn cancel_reminder(&self, id: i64, owner: Option<&str>) -> Result<Reminder, StoreError> {
        let owner = owner.map(str::to_string);
        self.run(move |c| {
            let r = get_reminder(c, id)?;
            if owner.as_deref().is_some_and(|o| o != r.owner) {
                return Err(StoreError::NotFound(format!("reminder {id}")));
            }
            c.execute(
                "UPDATE reminders SET status = 'cancelled' WHERE id = ?1 AND status = 'pending'",
                [id],
            )
            .map_err(sql_err)?;
            get_reminder(c, id)
        })
        .await
    }

    async fn next_pending_reminder(&self) -> Result<Option<Reminder>, StoreError> {
        self.run(|c| {
            c.query_row(
                &format!("SELECT {REMINDER_COLUMNS} FROM reminders WHERE status = 'pending' ORDER BY due_at_ms, id LIMIT 1"),
                [],
                rows::reminder,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn fire_reminder(
        &self,
        id: i64,
        text: String,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredMessage>, StoreError> {
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            let r = get_reminder(&tx, id)?;
            if r.status != ReminderStatus::Pending {
                return Ok(None);
            }
            tx.execute("UPDATE reminders SET status = 'fired' WHERE id = ?1", [id])
                .map_err(sql_err)?;
            let row = insert_outbound(
                &tx,
                &r.conversation,
                &format!("reminder:{id}"),
                &text,
                None,
                at,
            )?;
            tx.commit().map_err(sql_err)?;
            Ok(row)
        })
        .await
    }

    async fn backlog(&self) -> Result<(u64, u64), StoreError> {
        self.run(|c| {
            let count = |sql: &str| -> Result<u64, StoreError> {
                c.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(sql_err)
            };
            Ok((
                count(
                    "SELECT count(*) FROM messages WHERE status = 'received' AND direction = 'in'",
                )?,
                count(
                    "SELECT count(*) FROM messages WHERE status = 'pending' AND direction = 'out'",
                )?,
            ))
        })
        .await
    }
}
