//! What one audit entry says, how it is stored, and how it is hashed.
//!
//! ## The chain
//! `hash = hex(sha256(prev_hash || canonical_json(entry)))`, where `prev_hash`
//! is the previous record's `hash` as 64 lowercase hex ASCII bytes (the first
//! record's is [`GENESIS_HASH`], 64 zeros) and `canonical_json` is the entry as
//! one compact JSON object (UTF-8, no whitespace, serde_json's string
//! escaping) with the keys in exactly this order:
//!
//! ```text
//! {"at":"2024-05-01T12:00:00.123Z","actor":"local:owner","channel":"local",
//!  "operation":"command:/remind","target":"reminder:12","args_summary":"in 10m",
//!  "result":"ok","duration_ms":12}
//! ```
//!
//! `at` is UTC with exactly three fractional digits (the store keeps
//! milliseconds, so [`AuditEntry::normalized`] truncates before hashing);
//! `duration_ms` is a number or `null`. The sequence number is not hashed:
//! gaps are caught by the seq check and reordering by the `prev_hash` link.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record ever appended.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest `actor`, `channel`, `operation` or `target` kept, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest `args_summary` kept, in characters.
pub const MAX_ARGS_CHARS: usize = 1024;

/// How an audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    /// A permission check let the operation through.
    Allowed,
    /// A permission check refused it.
    Denied,
    /// It waits for the owner's approval.
    NeedsApproval,
    /// It ran and succeeded.
    Ok,
    /// It ran and failed.
    Error,
}

impl AuditResult {
    pub const ALL: [AuditResult; 5] = [
        Self::Allowed,
        Self::Denied,
        Self::NeedsApproval,
        Self::Ok,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::NeedsApproval => "needs_approval",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for AuditResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened, as the caller reports it.
///
/// **Callers pass summaries, never secrets**: `args_summary` is a short,
/// human-readable digest ("in 10m: call mum", "symbol=AAPL"), never a token,
/// password, API key or a whole message body. The log is append-only: a
/// secret written here stays until retention archives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When it happened (kept to the millisecond).
    pub at: DateTime<Utc>,
    /// Who: an identity such as `local:owner` or `dingtalk.work:0123`, or `system`.
    pub actor: String,
    /// The channel it came through (`local`, `dingtalk.work`, `system`, …).
    pub channel: String,
    /// What kind of thing: `command:/remind`, `rbac:decision`, `skill:stock_watch`,
    /// `approval:granted`, …
    pub operation: String,
    /// What it acted on (`reminder:12`, `skill:stock_watch`, `secret:openai`).
    pub target: String,
    /// A short summary of the arguments. Never secrets.
    pub args_summary: String,
    pub result: AuditResult,
    pub duration_ms: Option<u64>,
}

impl AuditEntry {
    /// An entry with no arguments and no duration; add them with the `with_` methods.
    pub fn new(
        at: DateTime<Utc>,
        actor: impl Into<String>,
        channel: impl Into<String>,
        operation: impl Into<String>,
        target: impl Into<String>,
        result: AuditResult,
    ) -> Self {
        Self {
            at,
            actor: actor.into(),
            channel: channel.into(),
            operation: operation.into(),
            target: target.into(),
            args_summary: String::new(),
            result,
            duration_ms: None,
        }
    }

    pub fn with_args(mut self, summary: impl Into<String>) -> Self {
        self.args_summary = summary.into();
        self
    }

    pub fn with_duration_ms(mut self, ms: u64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    /// The entry as it will be stored: `at` truncated to milliseconds, long
    /// fields cut at [`MAX_NAME_CHARS`] / [`MAX_ARGS_CHARS`] (with `…`).
    pub fn normalized(mut self) -> Self {
        self.at = self.at.trunc_subsecs(3);
        for field in [
            &mut self.actor,
            &mut self.channel,
            &mut self.operation,
            &mut self.target,
        ] {
            clip(field, MAX_NAME_CHARS);
        }
        clip(&mut self.args_summary, MAX_ARGS_CHARS);
        self
    }

    /// The canonical JSON that is hashed (see the module docs for the format).
    pub fn canonical_json(&self) -> String {
        let canonical = Canonical {
            at: format_at(self.at),
            actor: &self.actor,
            channel: &self.channel,
            operation: &self.operation,
            target: &self.target,
            args_summary: &self.args_summary,
            result: self.result.as_str(),
            duration_ms: self.duration_ms,
        };
        // Serializing a struct of strings and numbers cannot fail.
        serde_json::to_string(&canonical).unwrap_or_default()
    }

    /// `hex(sha256(prev_hash || canonical_json(self)))`.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(self.canonical_json().as_bytes());
        hex(&h.finalize())
    }
}

/// The field order here *is* the canonical order; do not reorder.
#[derive(Serialize)]
struct Canonical<'a> {
    at: String,
    actor: &'a str,
    channel: &'a str,
    operation: &'a str,
    target: &'a str,
    args_summary: &'a str,
    result: &'static str,
    duration_ms: Option<u64>,
}

/// `2024-05-01T12:00:00.123Z`.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn clip(s: &mut String, max_chars: usize) {
    if let Some((cut, _)) = s.char_indices().nth(max_chars) {
        s.truncate(cut);
        s.push('…');
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// One stored entry with its place in the chain. Serialized flat:
/// `{"seq":1,"at":…,"actor":…,…,"duration_ms":…,"prev_hash":…,"hash":…}`
/// (the archive and JSON export line format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Whether `hash` is what `prev_hash` and the entry hash to.
    pub fn hash_matches(&self) -> bool {
        self.entry.chain_hash(&self.prev_hash) == self.hash
    }
}

/// The newest record's seq and hash (seq 0 and [`GENESIS_HASH`] when empty),
/// kept in `audit_head` in the same transaction as each append. Copy it
/// somewhere outside the database now and then to anchor the chain's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}
