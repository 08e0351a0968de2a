//! The SQL behind a filter: `FROM … WHERE …` chosen so that every page walks
//! rows in seq order without sorting and without OFFSET.
//!
//! - Equality filters (actor, channel, operation, result) use their index,
//!   which ends in the rowid (`seq`), so it is already in seq order.
//! - A time range becomes a seq bracket first: the min and max seq with
//!   `at` in the range, read from the covering `audit_at` index. Rows are
//!   then walked by seq inside the bracket and still checked against `at`
//!   (exact even if the clock once went backwards). The `at_ms` index is kept
//!   out of the page query (`+a.at_ms`): using it would sort the whole range.
//! - A search of three or more characters is a phrase query on the trigram
//!   index `audit_text`, which drives in rowid (= seq) order; shorter ones
//!   fall back to `LIKE` on the row.

use super::error::{sql, AuditError};
use super::ms;
use super::query::AuditFilter;
use rusqlite::types::Value;
use rusqlite::{params, Connection};

/// The record columns, read through the alias `a`.
const COLUMNS_A: &str = "a.seq, a.at_ms, a.actor, a.channel, a.operation, a.target, a.args, a.result, a.duration_ms, a.prev_hash, a.hash";

/// Shortest search the trigram index can serve.
const TRIGRAM_MIN_CHARS: usize = 3;

pub(crate) struct Selection {
    from_where: String,
    params: Vec<Value>,
    /// The same without the `before_seq` bound, for the total.
    pub count_from_where: String,
    count_params: Vec<Value>,
    /// `a.seq`, or the text index's rowid when it drives the query.
    order_by: &'static str,
}

/// Clauses and their parameters, in the order they appear.
#[derive(Default)]
struct Clauses {
    sql: Vec<String>,
    params: Vec<Value>,
}

impl Clauses {
    fn push(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.sql.push(clause.into());
        self.params.extend(params);
    }

    fn render(&self, from: &str) -> String {
        if self.sql.is_empty() {
            from.to_string()
        } else {
            format!("{from} WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// The smallest and largest seq with `at` in the filter's range; `None` when
/// no row is in it.
fn seq_bracket(c: &Connection, f: &AuditFilter) -> Result<Option<(i64, i64)>, AuditError> {
    let lo_ms = f.since.map(ms).unwrap_or(i64::MIN);
    let hi_ms = f.until.map(ms).unwrap_or(i64::MAX);
    let (lo, hi): (Option<i64>, Option<i64>) = c
        .query_row(
            "SELECT min(seq), max(seq) FROM audit INDEXED BY audit_at WHERE at_ms >= ?1 AND at_ms < ?2",
            params![lo_ms, hi_ms],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(sql)?;
    Ok(lo.zip(hi))
}

impl Selection {
    pub fn new(
        c: &Connection,
        f: &AuditFilter,
        before_seq: Option<i64>,
    ) -> Result<Self, AuditError> {
        let mut w = Clauses::default();
        let mut from = "FROM audit a";
        let mut seq_col = "a.seq";
        if let Some(s) = f.search.as_deref().filter(|s| !s.is_empty()) {
            if s.chars().count() >= TRIGRAM_MIN_CHARS {
                // CROSS JOIN keeps the text index as the outer loop, in seq
                // order, instead of probing it row by row from another index.
                from = "FROM audit_text CROSS JOIN audit a ON a.seq = audit_text.rowid";
                seq_col = "audit_text.rowid";
                let phrase = format!("\"{}\"", s.replace('"', "\"\""));
                w.push("audit_text MATCH ?", [Value::Text(phrase)]);
            } else {
                let pattern = format!(
                    "%{}%",
                    s.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                w.push(
                    "(a.target LIKE ? ESCAPE '\\' OR a.args LIKE ? ESCAPE '\\' OR a.operation LIKE ? ESCAPE '\\')",
                    std::iter::repeat_n(Value::Text(pattern), 3),
                );
            }
        }
        for (clause, value) in [
            ("a.actor = ?", &f.actor),
            ("a.channel = ?", &f.channel),
            ("a.operation = ?", &f.operation),
        ] {
            if let Some(v) = value {
                w.push(clause, [Value::Text(v.clone())]);
            }
        }
        if let Some(r) = f.result {
            w.push("a.result = ?", [Value::Text(r.as_str().into())]);
        }
        if f.since.is_some() || f.until.is_some() {
            match seq_bracket(c, f)? {
                Some((lo, hi)) => w.push(
                    format!("{seq_col} BETWEEN ? AND ?"),
                    [Value::Integer(lo), Value::Integer(hi)],
                ),
                None => w.push("0", []),
            }
            if let Some(t) = f.since {
                w.push("+a.at_ms >= ?", [Value::Integer(ms(t))]);
            }
            if let Some(t) = f.until {
                w.push("+a.at_ms < ?", [Value::Integer(ms(t))]);
            }
        }
        let count_from_where = w.render(from);
        let count_params = w.params.clone();
        if let Some(b) = before_seq {
            w.push(format!("{seq_col} < ?"), [Value::Integer(b)]);
        }
        Ok(Self {
            from_where: w.render(from),
            params: w.params,
            count_from_where,
            count_params,
            order_by: seq_col,
        })
    }

    /// `SELECT <record columns> … ORDER BY seq`, newest first when `descending`.
    pub fn select_records(&self, descending: bool) -> String {
        format!(
            "SELECT {COLUMNS_A} {} ORDER BY {} {}",
            self.from_where,
            self.order_by,
            if descending { "DESC" } else { "ASC" }
        )
    }

    /// Parameters for [`select_records`](Self::select_records).
    pub fn params(&self) -> Vec<Value> {
        self.params.clone()
    }

    /// Parameters for [`count_from_where`](Self::count_from_where).
    pub fn count_params(&self) -> Vec<Value> {
        self.count_params.clone()
    }
}
