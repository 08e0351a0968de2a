//! Row ↔ type conversions for the SQLite store.

use chrono::{DateTime, TimeZone, Utc};
use molten_core::{
    ConversationRef, Direction, MessageStatus, Reminder, ReminderStatus, StoreError, StoredMessage,
};
use rusqlite::Row;

pub const MESSAGE_COLUMNS: &str =
    "id, direction, channel, conversation, sender, text, at_ms, status, reply_to, attempts, last_error";

pub const REMINDER_COLUMNS: &str =
    "id, owner, channel, conversation, text, due_at_ms, status, created_at_ms, lang";

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn bad(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, format!("{what}={value}"), rusqlite::types::Type::Text)
}

pub fn message(r: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let direction: String = r.get(1)?;
    let status: String = r.get(7)?;
    Ok(StoredMessage {
        id: r.get(0)?,
        direction: match direction.as_str() {
            "in" => Direction::In,
            "out" => Direction::Out,
            other => return Err(bad("direction", other)),
        },
        conversation: ConversationRef::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        sender: r.get(4)?,
        text: r.get(5)?,
        at: from_ms(r.get(6)?),
        status: MessageStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        reply_to: r.get(8)?,
        attempts: r.get(9)?,
        last_error: r.get(10)?,
    })
}

pub fn reminder(r: &Row<'_>) -> rusqlite::Result<Reminder> {
    let status: String = r.get(6)?;
    Ok(Reminder {
        id: r.get(0)?,
        owner: r.get(1)?,
        conversation: ConversationRef::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        text: r.get(4)?,
        due_at: from_ms(r.get(5)?),
        status: ReminderStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        created_at: from_ms(r.get(7)?),
        lang: r.get(8)?,
    })
}

pub fn sql_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("no such row".into()),
        other => StoreError::Sqlite(other.to_string()),
    }
}
