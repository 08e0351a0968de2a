//! Export of the live table, oldest first, with the same filters as queries.
//!
//! - CSV (RFC 4180): a header line, then one line per entry; a field holding
//!   a comma, quote, CR or LF is quoted and its quotes doubled. A text field
//!   that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so a
//!   spreadsheet shows it instead of running it as a formula — use JSON when
//!   the exact text matters (e.g. to re-check hashes).
//! - JSON: an array, one flat [`AuditRecord`](super::AuditRecord) object per line.

use super::error::{sql, AuditError};
use super::query::{record, AuditFilter};
use super::reader::with_snapshot;
use super::selection::Selection;
use super::{entry, AuditLog};
use rusqlite::params_from_iter;
use std::io::{BufWriter, Write};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown export format `{other}`; use csv or json")),
        }
    }
}

pub(crate) const CSV_HEADER: &str =
    "seq,at,actor,channel,operation,target,args_summary,result,duration_ms,prev_hash,hash";

/// One CSV field: quoted when needed, formula-leading text defused.
pub(crate) fn csv_field(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn csv_line(r: &super::AuditRecord) -> String {
    let e = &r.entry;
    [
        r.seq.to_string(),
        entry::format_at(e.at),
        csv_field(&e.actor),
        csv_field(&e.channel),
        csv_field(&e.operation),
        csv_field(&e.target),
        csv_field(&e.args_summary),
        e.result.as_str().to_string(),
        e.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
        csv_field(&r.prev_hash),
        csv_field(&r.hash),
    ]
    .join(",")
}

impl AuditLog {
    /// Writes the entries matching `filter` (live table only), oldest first,
    /// to `out`; returns the writer and the number of entries written. Reads
    /// one snapshot on its own connection, so a long export does not hold up
    /// the engine.
    pub async fn export<W>(
        &self,
        filter: &AuditFilter,
        format: ExportFormat,
        out: W,
    ) -> Result<(W, u64), AuditError>
    where
        W: Write + Send + 'static,
    {
        let filter = filter.clone();
        with_snapshot(self.store.path().to_path_buf(), move |c| {
            let io = |e: std::io::Error| AuditError::Export(e.to_string());
            let sel = Selection::new(c, &filter, None)?;
            let mut stmt = c.prepare(&sel.select_records(false)).map_err(sql)?;
            let mut rows = stmt.query(params_from_iter(sel.params())).map_err(sql)?;
            // Buffered here, so a bare File or socket is not written token by token.
            let mut out = BufWriter::new(out);
            let mut n = 0u64;
            match format {
                ExportFormat::Csv => writeln!(out, "{CSV_HEADER}").map_err(io)?,
                ExportFormat::Json => write!(out, "[").map_err(io)?,
            }
            while let Some(row) = rows.next().map_err(sql)? {
                let r = record(row).map_err(sql)?;
                match format {
                    ExportFormat::Csv => writeln!(out, "{}", csv_line(&r)).map_err(io)?,
                    ExportFormat::Json => {
                        out.write_all(if n == 0 { b"\n" } else { b",\n" })
                            .map_err(io)?;
                        serde_json::to_writer(&mut out, &r)
                            .map_err(|e| AuditError::Export(e.to_string()))?;
                    }
                }
                n += 1;
            }
            if format == ExportFormat::Json {
                writeln!(out, "{}]", if n == 0 { "" } else { "\n" }).map_err(io)?;
            }
            let mut out = out.into_inner().map_err(|e| io(e.into_error()))?;
            out.flush().map_err(io)?;
            Ok((out, n))
        })
        .await
    }
}
