//! Appending: read the head, hash, insert, move the head — one immediate
//! transaction, so two writers (even two processes) cannot fork the chain.
//! The store runs `synchronous=FULL`, so a returned record survives power loss.

use super::entry::{AuditEntry, AuditHead, AuditRecord};
use super::error::{sql, AuditError};
use super::{ms, AuditLog};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub(crate) fn read_head(c: &Connection) -> Result<AuditHead, AuditError> {
    c.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
        Ok(AuditHead {
            seq: r.get(0)?,
            hash: r.get(1)?,
        })
    })
    .optional()
    .map_err(sql)?
    .ok_or_else(|| {
        AuditError::Store(molten_core::StoreError::Sqlite(
            "the audit head row is missing; run `molten audit verify`".into(),
        ))
    })
}

/// Inserts `entry` after `head` and moves `head` onto it. Call inside a transaction.
fn insert_after(
    c: &Connection,
    head: &mut AuditHead,
    entry: AuditEntry,
) -> Result<AuditRecord, AuditError> {
    let entry = entry.normalized();
    let seq = head.seq + 1;
    let hash = entry.chain_hash(&head.hash);
    c.prepare_cached(
        "INSERT INTO audit (seq, at_ms, actor, channel, operation, target, args, result, duration_ms, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            seq,
            ms(entry.at),
            entry.actor,
            entry.channel,
            entry.operation,
            entry.target,
            entry.args_summary,
            entry.result.as_str(),
            entry.duration_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
            head.hash,
            hash,
        ])
    })
    .map_err(sql)?;
    c.prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")
        .and_then(|mut stmt| stmt.execute(params![seq, hash]))
        .map_err(sql)?;
    let record = AuditRecord {
        seq,
        entry,
        prev_hash: std::mem::replace(&mut head.hash, hash.clone()),
        hash,
    };
    head.seq = seq;
    Ok(record)
}

fn append_all(
    c: &mut Connection,
    entries: Vec<AuditEntry>,
    mut keep: impl FnMut(AuditRecord),
) -> Result<AuditHead, AuditError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let mut head = read_head(&tx)?;
    for entry in entries {
        keep(insert_after(&tx, &mut head, entry)?);
    }
    tx.commit().map_err(sql)?;
    Ok(head)
}

impl AuditLog {
    /// Appends one entry and returns it as stored (normalized, with its seq
    /// and hashes). Durable when this returns.
    pub async fn append(&self, entry: AuditEntry) -> Result<AuditRecord, AuditError> {
        self.run(move |c| {
            let mut out = None;
            append_all(c, vec![entry], |r| out = Some(r))?;
            out.ok_or_else(|| {
                AuditError::Store(molten_core::StoreError::Sqlite(
                    "audit append stored nothing".into(),
                ))
            })
        })
        .await
    }

    /// Appends entries in order in one transaction (imports, seeding); returns
    /// the new head. All or nothing.
    pub async fn append_many(&self, entries: Vec<AuditEntry>) -> Result<AuditHead, AuditError> {
        self.run(move |c| append_all(c, entries, |_| {})).await
    }

    /// The newest record's seq and hash, to copy outside the database as an anchor.
    pub async fn head(&self) -> Result<AuditHead, AuditError> {
        self.run(|c| read_head(c)).await
    }
}
