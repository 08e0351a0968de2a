//! `molten audit`: verify the hash chain, export, show the newest entries,
//! print the head (to keep as an external anchor), run retention by hand.

use chrono::{DateTime, NaiveDate, Utc};
use molten_engine::audit::{
    AuditError, AuditFilter, AuditHead, AuditLog, AuditRecord, AuditResult, ExportFormat,
    DEFAULT_RETENTION_DAYS,
};
use molten_engine::store::SqliteStore;
use molten_engine::DataDir;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "Usage:
  molten audit verify [--anchor SEQ:HASH]   check the whole chain (archives + live); exit 1 if broken
  molten audit export --format csv|json [--out FILE] [filters]
                                            filters: --actor ID --channel C --operation OP
                                            --result allowed|denied|needs_approval|ok|error
                                            --since T --until T (RFC 3339 or YYYY-MM-DD, UTC)
                                            --search TEXT
  molten audit tail [N]                     the newest N entries (default 20), oldest first
  molten audit head                         the newest seq and hash: keep a copy elsewhere
                                            and pass it to `verify --anchor`
  molten audit retain [--days N]            archive entries older than N days (default 90)";

/// Fails with a message and exit code 2 (usage) or 1 (could not do it).
struct Failure {
    message: String,
    next_step: Option<String>,
    usage: bool,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            next_step: None,
            usage: true,
        }
    }
}

impl From<AuditError> for Failure {
    fn from(e: AuditError) -> Self {
        Self {
            message: e.to_string(),
            next_step: Some(e.hint()),
            usage: false,
        }
    }
}

impl From<molten_engine::EngineError> for Failure {
    fn from(e: molten_engine::EngineError) -> Self {
        Self {
            message: e.to_string(),
            next_step: Some(e.hint()),
            usage: false,
        }
    }
}

pub async fn run(args: &[String]) -> ExitCode {
    let outcome = match args.first().map(String::as_str) {
        Some("verify") => verify(&args[1..]).await,
        Some("export") => export(&args[1..]).await,
        Some("tail") => tail(&args[1..]).await,
        Some("head") => head().await,
        Some("retain") => retain(&args[1..]).await,
        Some("--help" | "-h" | "help") | None => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(Failure::usage(format!("unknown audit command `{other}`"))),
    };
    outcome.unwrap_or_else(|f| {
        eprintln!("molten audit: {}", f.message);
        if let Some(step) = f.next_step {
            eprintln!("  next step: {step}");
        }
        if f.usage {
            eprintln!("\n{USAGE}");
            ExitCode::from(2)
        } else {
            ExitCode::FAILURE
        }
    })
}

/// The audit log of the resolved data dir; `None` when no database exists yet
/// (opening would create one).
fn open() -> Result<Option<AuditLog>, Failure> {
    let dir = DataDir::resolve()?;
    let db = dir.database();
    if !db.exists() {
        return Ok(None);
    }
    let store = SqliteStore::open(&db).map_err(AuditError::from)?;
    Ok(Some(AuditLog::new(store, &dir)))
}

/// `--name value` pairs, refusing anything not in `known`.
fn options(args: &[String], known: &[&str]) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !known.contains(&a.as_str()) {
            return Err(Failure::usage(format!("unknown option `{a}`")));
        }
        let value = it
            .next()
            .ok_or_else(|| Failure::usage(format!("{a} needs a value")))?;
        out.push((a.clone(), value.clone()));
    }
    Ok(out)
}

fn parse_time(flag: &str, v: &str) -> Result<DateTime<Utc>, Failure> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{flag} {v}: use RFC 3339 (2025-03-01T09:00:00Z) or a date (2025-03-01)"
            ))
        })
}

async fn verify(args: &[String]) -> Result<ExitCode, Failure> {
    let mut anchor = None;
    for (_, v) in options(args, &["--anchor"])? {
        let parsed = v.split_once(':').and_then(|(seq, hash)| {
            Some(AuditHead {
                seq: seq.parse().ok()?,
                hash: hash.to_string(),
            })
        });
        anchor = Some(parsed.ok_or_else(|| {
            Failure::usage(format!(
                "--anchor {v}: expected SEQ:HASH as printed by `molten audit head`"
            ))
        })?);
    }
    let Some(log) = open()? else {
        println!("0 entries verified (no database yet)");
        return Ok(ExitCode::SUCCESS);
    };
    let report = match &anchor {
        Some(a) => log.verify_against(a).await?,
        None => log.verify().await?,
    };
    match &report.broken {
        None => {
            println!(
                "{} entries verified ({} from {} archive file(s), {} live); head seq {}",
                report.verified,
                report.archived,
                report.archives,
                report.verified - report.archived,
                report.head.seq
            );
            if anchor.is_some() {
                println!("the chain passes through the given anchor");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!("audit chain BROKEN at seq {}: {b}", b.seq);
            println!(
                "  {} entries before it verified; entries from seq {} on are unverified",
                report.verified, b.seq
            );
            println!("  next step: {}", b.advice());
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn export(args: &[String]) -> Result<ExitCode, Failure> {
    let opts = options(
        args,
        &[
            "--format",
            "--out",
            "--actor",
            "--channel",
            "--operation",
            "--result",
            "--since",
            "--until",
            "--search",
        ],
    )?;
    let mut format = None;
    let mut out: Option<PathBuf> = None;
    let mut filter = AuditFilter::default();
    for (k, v) in opts {
        match k.as_str() {
            "--format" => format = Some(v.parse::<ExportFormat>().map_err(Failure::usage)?),
            "--out" => out = Some(PathBuf::from(v)),
            "--actor" => filter.actor = Some(v),
            "--channel" => filter.channel = Some(v),
            "--operation" => filter.operation = Some(v),
            "--result" => {
                filter.result = Some(AuditResult::parse(&v).ok_or_else(|| {
                    Failure::usage(format!(
                        "--result {v}: use allowed, denied, needs_approval, ok or error"
                    ))
                })?)
            }
            "--since" => filter.since = Some(parse_time(&k, &v)?),
            "--until" => filter.until = Some(parse_time(&k, &v)?),
            _ => filter.search = Some(v),
        }
    }
    let format =
        format.ok_or_else(|| Failure::usage("export needs --format csv or --format json"))?;
    let Some(log) = open()? else {
        eprintln!("molten audit: no database yet; nothing to export");
        return Ok(ExitCode::SUCCESS);
    };
    match &out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| Failure {
                message: format!("cannot create {}: {e}", path.display()),
                next_step: Some("Choose a path in a directory you can write to.".into()),
                usage: false,
            })?;
            let (w, n) = log.export(&filter, format, BufWriter::new(file)).await?;
            let file = w
                .into_inner()
                .map_err(|e| AuditError::Export(e.to_string()))?;
            file.sync_all()
                .map_err(|e| AuditError::Export(e.to_string()))?;
            eprintln!("{n} entries written to {}", path.display());
        }
        None => {
            log.export(&filter, format, BufWriter::new(std::io::stdout()))
                .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Control characters shown escaped, so an entry cannot drive the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn tail_line(r: &AuditRecord) -> String {
    let e = &r.entry;
    let duration = e.duration_ms.map(|d| format!(" {d}ms")).unwrap_or_default();
    format!(
        "{:>7}  {}  {:<14} {:<22} {:<9} {}  {}  {}{duration}",
        r.seq,
        molten_engine::audit::entry::format_at(e.at),
        e.result.as_str(),
        printable(&e.actor),
        printable(&e.channel),
        printable(&e.operation),
        printable(&e.target),
        printable(&e.args_summary),
    )
}

async fn tail(args: &[String]) -> Result<ExitCode, Failure> {
    let n = match args {
        [] => 20,
        [n] => n
            .parse::<u32>()
            .map_err(|_| Failure::usage(format!("tail {n}: expected a number of entries")))?,
        _ => return Err(Failure::usage("tail takes at most one number")),
    };
    let Some(log) = open()? else {
        println!("no audit entries yet");
        return Ok(ExitCode::SUCCESS);
    };
    let records = if n == 0 {
        Vec::new()
    } else {
        log.tail(n).await?
    };
    if records.is_empty() {
        println!("no audit entries yet");
    }
    let mut out = std::io::stdout().lock();
    for r in &records {
        // A closed pipe (`| head`) is not an error worth reporting.
        if writeln!(out, "{}", tail_line(r)).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn head() -> Result<ExitCode, Failure> {
    let Some(log) = open()? else {
        println!("0:{}", molten_engine::audit::GENESIS_HASH);
        return Ok(ExitCode::SUCCESS);
    };
    let h = log.head().await?;
    println!("{}:{}", h.seq, h.hash);
    Ok(ExitCode::SUCCESS)
}

async fn retain(args: &[String]) -> Result<ExitCode, Failure> {
    let mut days = DEFAULT_RETENTION_DAYS;
    for (_, v) in options(args, &["--days"])? {
        days = v
            .parse()
            .map_err(|_| Failure::usage(format!("--days {v}: expected a whole number of days")))?;
    }
    let Some(log) = open()? else {
        println!("no database yet; nothing to archive");
        return Ok(ExitCode::SUCCESS);
    };
    let report = log.retain(Utc::now(), days).await?;
    println!(
        "{} entries older than {days} days archived into {} file(s) in {}",
        report.archived_rows,
        report.files.len(),
        log.archive_dir().display()
    );
    Ok(ExitCode::SUCCESS)
}
