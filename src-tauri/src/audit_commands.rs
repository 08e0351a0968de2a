//! Commands for the Audit page: filtered keyset pages, chain verification,
//! and CSV/JSON export into the data dir's `exports/` folder.

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use molten_engine::audit::{AuditFilter, AuditRecord, AuditResult, ExportFormat};
use serde::Serialize;
use tauri::State;

#[derive(Serialize)]
pub struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    channel: String,
    operation: String,
    target: String,
    args: String,
    result: AuditResult,
    duration_ms: Option<u64>,
    hash: String,
}

impl From<AuditRecord> for AuditRow {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            at: r.entry.at.to_rfc3339(),
            actor: r.entry.actor,
            channel: r.entry.channel,
            operation: r.entry.operation,
            target: r.entry.target,
            args: r.entry.args_summary,
            result: r.entry.result,
            duration_ms: r.entry.duration_ms,
            hash: r.hash,
        }
    }
}

#[derive(Serialize)]
pub struct AuditRows {
    items: Vec<AuditRow>,
    next_before: Option<i64>,
    total: u64,
    total_is_lower_bound: bool,
}

fn invalid(what: &str, value: &str) -> CommandError {
    CommandError::new(
        "invalid",
        format!("`{value}` is not a valid {what}"),
        "Clear the filter and pick the value again.",
    )
}

fn time(v: Option<String>, what: &str) -> CommandResult<Option<DateTime<Utc>>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::parse_from_rfc3339(&s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(what, &s))
        })
        .transpose()
}

#[allow(clippy::too_many_arguments)]
fn filter(
    actor: Option<String>,
    channel: Option<String>,
    operation: Option<String>,
    result: Option<String>,
    query: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> CommandResult<AuditFilter> {
    let some = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    Ok(AuditFilter {
        actor: some(actor),
        channel: some(channel),
        operation: some(operation),
        result: some(result)
            .map(|r| AuditResult::parse(&r).ok_or_else(|| invalid("result", &r)))
            .transpose()?,
        since: time(from, "start time")?,
        until: time(to, "end time")?,
        search: some(query),
    })
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn audit_list(
    state: State<'_, AppState>,
    actor: Option<String>,
    channel: Option<String>,
    operation: Option<String>,
    result: Option<String>,
    query: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_seq: Option<i64>,
    limit: Option<u32>,
) -> CommandResult<AuditRows> {
    let f = filter(actor, channel, operation, result, query, from, to)?;
    let page = state
        .engine()?
        .audit()
        .query(&f, before_seq, limit.unwrap_or(50).clamp(1, 500))
        .await
        .map_err(|e| CommandError::new("storage", e.to_string(), e.hint()))?;
    Ok(AuditRows {
        items: page.records.into_iter().map(AuditRow::from).collect(),
        next_before: page.next_before_seq,
        total: page.total,
        total_is_lower_bound: page.total_is_lower_bound,
    })
}

#[derive(Serialize)]
pub struct VerifyView {
    ok: bool,
    checked: u64,
    problem: Option<String>,
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> CommandResult<VerifyView> {
    let report = state
        .engine()?
        .audit()
        .verify()
        .await
        .map_err(|e| CommandError::new("storage", e.to_string(), e.hint()))?;
    Ok(VerifyView {
        ok: report.is_intact(),
        checked: report.verified,
        problem: report
            .broken
            .as_ref()
            .map(|b| format!("{b:?} — {}", b.advice())),
    })
}

#[derive(Serialize)]
pub struct ExportView {
    path: String,
    count: u64,
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn audit_export(
    state: State<'_, AppState>,
    format: String,
    actor: Option<String>,
    channel: Option<String>,
    operation: Option<String>,
    result: Option<String>,
    query: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> CommandResult<ExportView> {
    let engine = state.engine()?;
    let fmt: ExportFormat = format
        .parse()
        .map_err(|_| invalid("export format", &format))?;
    let f = filter(actor, channel, operation, result, query, from, to)?;
    let dir = engine.data_dir().root().join("exports");
    let io = |e: std::io::Error| {
        CommandError::new(
            "storage",
            format!("cannot write the export: {e}"),
            "Check that the data directory is writable and has space.",
        )
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let ext = if matches!(fmt, ExportFormat::Csv) {
        "csv"
    } else {
        "json"
    };
    let path = dir.join(format!(
        "audit-{}.{ext}",
        Utc::now().format("%Y%m%d-%H%M%S")
    ));
    let file = std::fs::File::create(&path).map_err(io)?;
    let (file, count) = engine
        .audit()
        .export(&f, fmt, std::io::BufWriter::new(file))
        .await
        .map_err(|e| CommandError::new("storage", e.to_string(), e.hint()))?;
    file.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    Ok(ExportView {
        path: path.display().to_string(),
        count,
    })
}
