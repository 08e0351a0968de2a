//! The audit log at scale: seeds a chained log (batched transactions), then
//! times filtered keyset pages, the capped count, verify, export and retention.
//!
//! `cargo bench -p molten-engine --bench audit -- --rows 1000000 [--keep DIR]`

use chrono::{Duration as Days, TimeZone, Utc};
use molten_engine::audit::{AuditEntry, AuditFilter, AuditLog, AuditResult, ExportFormat};
use molten_engine::store::SqliteStore;
use molten_engine::DataDir;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const ACTORS: [&str; 5] = [
    "local:owner",
    "dingtalk.work:0123",
    "dingtalk.work:0456",
    "telegram:42",
    "system",
];
const OPERATIONS: [&str; 6] = [
    "command:/remind",
    "command:/status",
    "rbac:decision",
    "skill:stock_watch",
    "approval:granted",
    "approval:requested",
];

fn seed_entry(i: usize, start: chrono::DateTime<Utc>) -> AuditEntry {
    // Actors skewed: the owner does most; one remote user is rare.
    let actor = match i % 100 {
        0..=59 => ACTORS[0],
        60..=84 => ACTORS[1],
        85..=94 => ACTORS[4],
        95..=98 => ACTORS[3],
        _ => ACTORS[2],
    };
    let result = match i % 50 {
        0 => AuditResult::Denied,
        1 => AuditResult::NeedsApproval,
        2 => AuditResult::Error,
        3..=20 => AuditResult::Allowed,
        _ => AuditResult::Ok,
    };
    let channel = actor.split(':').next().unwrap_or("local");
    AuditEntry::new(
        start + Days::seconds(i as i64),
        actor,
        channel,
        OPERATIONS[i % OPERATIONS.len()],
        format!("reminder:{i}"),
        result,
    )
    .with_args(format!("in {}m: water the plants #{}", i % 90, i % 1000))
    .with_duration_ms((i % 40) as u64)
}

/// Median of `runs` timings of `f`.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> (Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await);
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let rows = arg("--rows", 1_000_000);
    // `--keep DIR` leaves the database there for a look afterwards.
    let args: Vec<String> = std::env::args().collect();
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataDir::at(keep.as_deref().unwrap_or(dir.path()));
    let store = SqliteStore::open(&data.database()).expect("open store");
    let log = AuditLog::new(store, &data);
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("date");

    println!("audit bench: {rows} rows");
    let t = Instant::now();
    let batch = 100_000;
    let mut i = 0;
    while i < rows {
        let n = batch.min(rows - i);
        let entries: Vec<AuditEntry> = (i..i + n).map(|k| seed_entry(k, start)).collect();
        log.append_many(entries).await.expect("seed batch");
        i += n;
    }
    let seed = t.elapsed();
    println!(
        "  seed             {:>10}  ({:.0} rows/s, batches of {batch} per transaction)",
        ms(seed),
        rows as f64 / seed.as_secs_f64()
    );
    let size = std::fs::metadata(data.database())
        .map(|m| m.len())
        .unwrap_or(0);
    println!("  database size    {:>10.1} MB", size as f64 / 1e6);

    let (d, _) = time(20, || log.append(seed_entry(rows, start + Days::days(30)))).await;
    println!(
        "  single append    {:>10}  (durable, synchronous=FULL; median of 20)",
        ms(d)
    );

    let mid = (rows / 2) as i64;
    let cases: Vec<(&str, AuditFilter, Option<i64>)> = vec![
        ("no filter, first page", AuditFilter::default(), None),
        ("no filter, deep page", AuditFilter::default(), Some(mid)),
        (
            "actor (60%), first page",
            AuditFilter {
                actor: Some(ACTORS[0].into()),
                ..Default::default()
            },
            None,
        ),
        (
            "actor (1%), deep page",
            AuditFilter {
                actor: Some(ACTORS[2].into()),
                ..Default::default()
            },
            Some(mid),
        ),
        (
            "result=denied + channel",
            AuditFilter {
                result: Some(AuditResult::Denied),
                channel: Some("local".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "operation, deep page",
            AuditFilter {
                operation: Some(OPERATIONS[4].into()),
                ..Default::default()
            },
            Some(mid),
        ),
        (
            "time range 1 hour",
            AuditFilter {
                since: Some(start + Days::seconds(mid)),
                until: Some(start + Days::seconds(mid + 3600)),
                ..Default::default()
            },
            None,
        ),
        (
            "time range, 7 days",
            AuditFilter {
                since: Some(start + Days::days(1)),
                until: Some(start + Days::days(8)),
                ..Default::default()
            },
            None,
        ),
        (
            "search, common",
            AuditFilter {
                search: Some("plants #7".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "search, one match",
            AuditFilter {
                search: Some(format!("reminder:{}", rows / 3)),
                ..Default::default()
            },
            None,
        ),
        (
            "actor + search",
            AuditFilter {
                actor: Some(ACTORS[1].into()),
                search: Some("plants #7".into()),
                ..Default::default()
            },
            None,
        ),
    ];
    println!("  page of 50 (median of 10; includes the capped count):");
    for (name, filter, before) in cases {
        let (d, page) = time(10, || log.query(&filter, before, 50)).await;
        let page = page.expect("query");
        println!(
            "    {name:<26} {:>10}  {} rows, total {}{}",
            ms(d),
            page.records.len(),
            page.total,
            if page.total_is_lower_bound { "+" } else { "" }
        );
    }

    let t = Instant::now();
    let report = log.verify().await.expect("verify");
    let d = t.elapsed();
    println!(
        "  verify           {:>10}  ({} entries, intact: {}, {:.0} entries/s)",
        ms(d),
        report.verified,
        report.is_intact(),
        report.verified as f64 / d.as_secs_f64()
    );

    let t = Instant::now();
    let (_, n) = log
        .export(
            &AuditFilter {
                actor: Some(ACTORS[1].into()),
                ..Default::default()
            },
            ExportFormat::Csv,
            std::io::sink(),
        )
        .await
        .expect("export");
    println!(
        "  export csv       {:>10}  ({n} rows of one actor)",
        ms(t.elapsed())
    );

    let cutoff = start + Days::seconds((rows / 10) as i64);
    let t = Instant::now();
    let retained = log
        .archive_before(cutoff, Utc::now())
        .await
        .expect("retention");
    let archive_bytes: u64 = retained
        .files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "  retention        {:>10}  ({} rows into {} archives, {:.1} MB gzip)",
        ms(t.elapsed()),
        retained.archived_rows,
        retained.files.len(),
        archive_bytes as f64 / 1e6
    );
    let t = Instant::now();
    let report = log.verify().await.expect("verify");
    println!(
        "  verify after     {:>10}  ({} entries, {} archived, intact: {})",
        ms(t.elapsed()),
        report.verified,
        report.archived,
        report.is_intact()
    );
}
