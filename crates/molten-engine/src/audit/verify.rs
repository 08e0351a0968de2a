//! Walking the chain: recorded archives first, then the live table, then the
//! head. The first problem stops the walk and is named by seq.

use super::archive;
use super::entry::{AuditHead, AuditRecord, GENESIS_HASH};
use super::error::{sql, AuditError};
use super::query::{RawRow, COLUMNS};
use super::reader::with_snapshot;
use super::AuditLog;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What is wrong at the first broken place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The row's contents no longer hash to its stored hash: it was edited.
    HashMismatch,
    /// Seqs `seq..=last_missing` are absent: rows were deleted.
    Missing { last_missing: i64 },
    /// The row's `prev_hash` is not the previous row's hash: the previous row
    /// was rewritten (hash recomputed), or rows were removed or reordered.
    PrevHashMismatch { expected: String, found: String },
    /// A seq at or below one already seen: rows were duplicated or reordered.
    OutOfOrder { after: i64 },
    /// The chain ends before the head: the newest rows (from `seq`) were deleted.
    Truncated { chain_end: i64 },
    /// The head's hash differs from the newest row's: the head or that row was changed.
    HeadMismatch,
    /// The head names an anchor that the chain does not contain.
    AnchorMismatch { anchor: AuditHead },
    /// A stored row or archive line cannot be read as an entry.
    Unreadable(String),
    /// A recorded archive file is gone.
    ArchiveMissing,
    /// An archive file does not hold what its record says.
    ArchiveMismatch(String),
}

/// The first broken place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The seq of the row that is missing, edited or out of place.
    pub seq: i64,
    pub problem: ChainProblem,
    /// The archive file it was found in; `None` for the live table or head.
    pub archive: Option<PathBuf>,
}

impl ChainBreak {
    /// What to do about it, in plain words.
    pub fn advice(&self) -> &'static str {
        match self.problem {
            ChainProblem::ArchiveMissing | ChainProblem::ArchiveMismatch(_) => {
                "Restore the audit-archive folder from a backup; entries up to the named seq cannot be vouched for until then."
            }
            _ => {
                "The audit log was changed outside Molten. Keep the database as evidence (copy molten.db aside), compare with a backup or an exported copy, and treat entries from this seq on as unverified."
            }
        }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match &self.problem {
            ChainProblem::HashMismatch => write!(f, "seq {seq} was edited: its contents do not match its hash"),
            ChainProblem::Missing { last_missing } if *last_missing == seq => write!(f, "seq {seq} is missing: the row was deleted"),
            ChainProblem::Missing { last_missing } => write!(f, "seqs {seq}..={last_missing} are missing: the rows were deleted"),
            ChainProblem::PrevHashMismatch { .. } => write!(f, "seq {seq} does not link to seq {}: that row was rewritten, or rows were removed or reordered", seq - 1),
            ChainProblem::OutOfOrder { after } => write!(f, "seq {seq} appears after seq {after}: rows were duplicated or reordered"),
            ChainProblem::Truncated { chain_end } => write!(f, "seq {seq} is missing: the chain ends at seq {chain_end} but the head says more was written (the newest rows were deleted)"),
            ChainProblem::HeadMismatch => write!(f, "seq {seq} does not match the recorded head hash: the newest row or the head was changed"),
            ChainProblem::AnchorMismatch { anchor } => write!(f, "seq {seq} does not match the external anchor (hash {}): the chain was rewritten or cut back", anchor.hash),
            ChainProblem::Unreadable(why) => write!(f, "seq {seq} cannot be read: {why}"),
            ChainProblem::ArchiveMissing => write!(f, "the archive holding seq {seq} is missing"),
            ChainProblem::ArchiveMismatch(why) => write!(f, "the archive holding seq {seq} does not match its record: {why}"),
        }?;
        if let Some(p) = &self.archive {
            write!(f, " (in {})", p.display())?;
        }
        Ok(())
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries whose seq, link and hash checked out (before any break).
    pub verified: u64,
    /// Of those, how many were in archive files.
    pub archived: u64,
    /// Archive files read.
    pub archives: usize,
    /// The head recorded in the database.
    pub head: AuditHead,
    pub broken: Option<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// The walk's position: the next expected seq and the hash it must link to.
struct Walk {
    next_seq: i64,
    prev_hash: String,
    verified: u64,
    /// An external anchor the chain must pass through.
    anchor: Option<AuditHead>,
}

impl Walk {
    fn new(anchor: Option<&AuditHead>) -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            verified: 0,
            anchor: anchor.filter(|a| a.seq > 0).cloned(),
        }
    }

    /// Checks one record; `Err` is the problem, to be reported via [`Walk::break_at`].
    fn step(&mut self, r: &AuditRecord) -> Result<(), ChainProblem> {
        if r.seq < self.next_seq {
            return Err(ChainProblem::OutOfOrder {
                after: self.next_seq - 1,
            });
        }
        if r.seq > self.next_seq {
            return Err(ChainProblem::Missing {
                last_missing: r.seq - 1,
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainProblem::PrevHashMismatch {
                expected: self.prev_hash.clone(),
                found: r.prev_hash.clone(),
            });
        }
        if !r.hash_matches() {
            return Err(ChainProblem::HashMismatch);
        }
        if let Some(a) = self.anchor.as_ref().filter(|a| a.seq == r.seq) {
            if a.hash != r.hash {
                return Err(ChainProblem::AnchorMismatch { anchor: a.clone() });
            }
        }
        self.next_seq += 1;
        self.prev_hash.clone_from(&r.hash);
        self.verified += 1;
        Ok(())
    }

    /// The break for problem `p` found at record `r_seq`: gaps are named by
    /// their first missing seq.
    fn break_at(&self, r_seq: i64, p: ChainProblem, archive: Option<&Path>) -> ChainBreak {
        let seq = match p {
            ChainProblem::Missing { .. } => self.next_seq,
            _ => r_seq,
        };
        ChainBreak {
            seq,
            problem: p,
            archive: archive.map(Path::to_path_buf),
        }
    }

    /// After the last record: the chain must reach the head (and the anchor).
    fn finish(&self, head: &AuditHead) -> Result<(), ChainBreak> {
        let end = self.next_seq - 1;
        let at = |seq, problem| ChainBreak {
            seq,
            problem,
            archive: None,
        };
        if head.seq > end {
            return Err(at(end + 1, ChainProblem::Truncated { chain_end: end }));
        }
        if head.seq < end || head.hash != self.prev_hash {
            return Err(at(end, ChainProblem::HeadMismatch));
        }
        if let Some(a) = self.anchor.as_ref().filter(|a| a.seq > end) {
            return Err(at(
                end + 1,
                ChainProblem::AnchorMismatch { anchor: a.clone() },
            ));
        }
        Ok(())
    }
}

struct ArchiveRow {
    first_seq: i64,
    last_seq: i64,
    last_hash: String,
    file: String,
}

fn archives(c: &Connection) -> Result<Vec<ArchiveRow>, AuditError> {
    let mut stmt = c
        .prepare(
            "SELECT first_seq, last_seq, last_hash, file FROM audit_archive ORDER BY first_seq",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ArchiveRow {
                first_seq: r.get(0)?,
                last_seq: r.get(1)?,
                last_hash: r.get(2)?,
                file: r.get(3)?,
            })
        })
        .map_err(sql)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql)?;
    Ok(rows)
}

fn walk_archive(w: &mut Walk, a: &ArchiveRow, dir: &Path) -> Result<(), ChainBreak> {
    let path = dir.join(&a.file);
    let at = |seq, problem| ChainBreak {
        seq,
        problem,
        archive: Some(path.clone()),
    };
    if a.first_seq != w.next_seq {
        let p = if a.first_seq > w.next_seq {
            ChainProblem::Missing {
                last_missing: a.first_seq - 1,
            }
        } else {
            ChainProblem::OutOfOrder {
                after: w.next_seq - 1,
            }
        };
        return Err(w.break_at(a.first_seq, p, Some(&path)));
    }
    let lines = match archive::read_lines(&path) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(at(a.first_seq, ChainProblem::ArchiveMissing))
        }
        Err(e) => {
            return Err(at(
                a.first_seq,
                ChainProblem::ArchiveMismatch(e.to_string()),
            ))
        }
    };
    for line in lines {
        let record = line
            .map_err(|e| ChainProblem::ArchiveMismatch(e.to_string()))
            .and_then(|l| {
                serde_json::from_str::<AuditRecord>(&l)
                    .map_err(|e| ChainProblem::Unreadable(e.to_string()))
            })
            .map_err(|p| at(w.next_seq, p))?;
        w.step(&record)
            .map_err(|p| w.break_at(record.seq, p, Some(&path)))?;
    }
    if w.next_seq - 1 != a.last_seq || w.prev_hash != a.last_hash {
        return Err(at(
            w.next_seq,
            ChainProblem::ArchiveMismatch(format!(
                "it ends at seq {} but its record says seq {}",
                w.next_seq - 1,
                a.last_seq
            )),
        ));
    }
    Ok(())
}

fn walk_live(c: &Connection, w: &mut Walk) -> Result<Result<(), ChainBreak>, AuditError> {
    let mut stmt = c
        .prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY seq"))
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let raw = RawRow::read(row).map_err(sql)?;
        let seq = raw.seq;
        let checked = raw
            .into_record()
            .map_err(ChainProblem::Unreadable)
            .and_then(|r| w.step(&r));
        if let Err(p) = checked {
            return Ok(Err(w.break_at(seq, p, None)));
        }
    }
    Ok(Ok(()))
}

/// Walks archives, live rows and the head, inside one read snapshot.
fn verify_snapshot(
    c: &Connection,
    archive_dir: &Path,
    anchor: Option<&AuditHead>,
) -> Result<VerifyReport, AuditError> {
    let head = super::append::read_head(c)?;
    let mut w = Walk::new(anchor);
    let mut report = VerifyReport {
        verified: 0,
        archived: 0,
        archives: 0,
        head: head.clone(),
        broken: None,
    };
    for a in archives(c)? {
        if let Err(b) = walk_archive(&mut w, &a, archive_dir) {
            report.broken = Some(b);
            break;
        }
        report.archives += 1;
    }
    report.archived = w.verified;
    if report.broken.is_none() {
        report.broken = walk_live(c, &mut w)?.err();
    }
    if report.broken.is_none() {
        report.broken = w.finish(&head).err();
    }
    report.verified = w.verified;
    Ok(report)
}

impl AuditLog {
    /// Walks the whole chain — archives, live rows, head — on its own read
    /// snapshot (the engine keeps working meanwhile) and reports the first
    /// broken seq. `Err` only when the database itself cannot be read.
    pub async fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_inner(None).await
    }

    /// As [`verify`](Self::verify), and the chain must also pass through
    /// `anchor` — a head copied outside the database earlier. This catches
    /// the newest rows being deleted together with the head being moved back.
    pub async fn verify_against(&self, anchor: &AuditHead) -> Result<VerifyReport, AuditError> {
        self.verify_inner(Some(anchor.clone())).await
    }

    async fn verify_inner(&self, anchor: Option<AuditHead>) -> Result<VerifyReport, AuditError> {
        let dir = self.archive_dir.clone();
        with_snapshot(self.store.path().to_path_buf(), move |c| {
            verify_snapshot(c, &dir, anchor.as_ref())
        })
        .await
    }
}
