//! The audit log: the chain, the append-only triggers, tamper detection,
//! retention into archives, export, and paging with filters.

use chrono::{DateTime, Duration, TimeZone, Utc};
use molten_engine::audit::{
    AuditEntry, AuditFilter, AuditHead, AuditLog, AuditRecord, AuditResult, ChainProblem,
    ExportFormat, GENESIS_HASH,
};
use molten_engine::store::SqliteStore;
use molten_engine::DataDir;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    log: AuditLog,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        let log = open_log(&root);
        Self {
            _dir: dir,
            root,
            log,
        }
    }

    fn db(&self) -> PathBuf {
        DataDir::at(&self.root).database()
    }

    /// A raw connection, as someone editing the file by hand would have.
    fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db()).expect("raw connection")
    }

    /// Drops the append-only triggers, as an attacker with the file could.
    fn drop_triggers(&self) {
        self.raw()
            .execute_batch(
                "DROP TRIGGER audit_no_update;
                 DROP TRIGGER audit_delete_only_by_retention;
                 DROP TRIGGER audit_head_follows_chain;",
            )
            .expect("drop triggers");
    }
}

fn open_log(root: &Path) -> AuditLog {
    let dir = DataDir::at(root);
    let store = SqliteStore::open(&dir.database()).expect("open store");
    AuditLog::new(store, &dir)
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
        .single()
        .expect("valid date")
}

fn entry(i: i64, actor: &str) -> AuditEntry {
    AuditEntry::new(
        base() + Duration::seconds(i),
        actor,
        "local",
        "command:/remind",
        format!("reminder:{i}"),
        AuditResult::Ok,
    )
    .with_args(format!("in {i}m"))
    .with_duration_ms(3)
}

async fn append_n(log: &AuditLog, n: i64) -> Vec<AuditRecord> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            log.append(entry(i, "local:owner"))
                .await
                .expect("append succeeds"),
        );
    }
    out
}

#[tokio::test]
async fn chain_grows_links_and_verifies() {
    let f = Fixture::new();
    let empty = f.log.verify().await.expect("verify empty log");
    assert!(
        empty.is_intact(),
        "an empty log verifies: {:?}",
        empty.broken
    );
    assert_eq!(empty.verified, 0, "nothing to verify yet");
    assert_eq!(
        empty.head,
        AuditHead {
            seq: 0,
            hash: GENESIS_HASH.into()
        },
        "the head starts at genesis"
    );

    let records = append_n(&f.log, 5).await;
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5],
        "seqs are dense from 1"
    );
    assert_eq!(
        records[0].prev_hash, GENESIS_HASH,
        "the first links to genesis"
    );
    for pair in records.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "seq {} links to seq {}",
            pair[1].seq, pair[0].seq
        );
    }
    for r in &records {
        assert!(r.hash_matches(), "seq {} hashes to its stored hash", r.seq);
        assert_eq!(r.hash.len(), 64, "hashes are 64 hex digits");
    }
    let report = f.log.verify().await.expect("verify");
    assert!(
        report.is_intact(),
        "an untouched chain verifies: {:?}",
        report.broken
    );
    assert_eq!(report.verified, 5, "all five entries are verified");
    assert_eq!(report.head.seq, 5, "the head is the newest row");
    assert_eq!(
        report.head.hash, records[4].hash,
        "the head holds the newest hash"
    );
    assert_eq!(
        f.log.head().await.expect("head"),
        report.head,
        "head() agrees"
    );

    // A reopened store continues the same chain.
    let reopened = open_log(&f.root);
    let next = reopened
        .append(entry(9, "system"))
        .await
        .expect("append after reopen");
    assert_eq!(next.seq, 6, "seq continues after reopening");
    assert_eq!(
        next.prev_hash, records[4].hash,
        "the chain continues after reopening"
    );
    assert!(
        reopened.verify().await.expect("verify").is_intact(),
        "the reopened chain verifies"
    );
}

#[tokio::test]
async fn hash_is_sha256_of_prev_hash_and_canonical_json() {
    let e = AuditEntry::new(
        Utc.timestamp_millis_opt(1_714_564_800_123)
            .single()
            .expect("time"),
        "dingtalk.work:0123",
        "dingtalk.work",
        "rbac:decision",
        "skill:stock_watch",
        AuditResult::NeedsApproval,
    )
    .with_args("symbol=\"AAPL\"");
    assert_eq!(
        e.canonical_json(),
        r#"{"at":"2024-05-01T12:00:00.123Z","actor":"dingtalk.work:0123","channel":"dingtalk.work","operation":"rbac:decision","target":"skill:stock_watch","args_summary":"symbol=\"AAPL\"","result":"needs_approval","duration_ms":null}"#,
        "the canonical form has a fixed field order and format"
    );
    let mut h = Sha256::new();
    h.update(GENESIS_HASH.as_bytes());
    h.update(e.canonical_json().as_bytes());
    let expected: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        e.chain_hash(GENESIS_HASH),
        expected,
        "hash = sha256(prev_hash || canonical_json)"
    );

    let f = Fixture::new();
    let mut precise = e.clone();
    precise.at += Duration::nanoseconds(456_789);
    precise.args_summary = "x".repeat(5000);
    let stored = f.log.append(precise).await.expect("append");
    assert_eq!(stored.entry.at, e.at, "time is kept to the millisecond");
    assert_eq!(
        stored.entry.args_summary.chars().count(),
        1025,
        "a long args summary is cut to 1024 characters plus an ellipsis"
    );
    let page = f
        .log
        .query(&AuditFilter::default(), None, 10)
        .await
        .expect("query");
    assert_eq!(
        page.records,
        vec![stored],
        "what append returns is what is stored"
    );
}

#[tokio::test]
async fn update_and_delete_are_refused_by_triggers() {
    let f = Fixture::new();
    append_n(&f.log, 3).await;
    let raw = f.raw();
    let update = raw.execute("UPDATE audit SET args = 'changed' WHERE seq = 2", []);
    assert!(
        update
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "UPDATE of an audit row is refused: {update:?}"
    );
    let delete = raw.execute("DELETE FROM audit WHERE seq = 2", []);
    assert!(
        delete
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "DELETE of an audit row is refused: {delete:?}"
    );
    let delete_all = raw.execute("DELETE FROM audit", []);
    assert!(
        delete_all.is_err(),
        "a plain DELETE FROM audit is refused: {delete_all:?}"
    );
    // Setting the retention flag by hand is not enough: no archive holds the rows.
    raw.execute(
        "INSERT INTO audit_retention (id, upto_seq) VALUES (1, 3)",
        [],
    )
    .expect("the flag table itself is writable");
    let flagged = raw.execute("DELETE FROM audit WHERE seq = 1", []);
    assert!(
        flagged.is_err(),
        "a delete with no recorded archive is refused: {flagged:?}"
    );
    raw.execute("DELETE FROM audit_retention", [])
        .expect("clear flag");
    let head_back = raw.execute("UPDATE audit_head SET seq = 2, hash = 'x' WHERE id = 1", []);
    assert!(
        head_back.is_err(),
        "the head cannot be moved back: {head_back:?}"
    );
    let head_delete = raw.execute("DELETE FROM audit_head", []);
    assert!(
        head_delete.is_err(),
        "the head cannot be deleted: {head_delete:?}"
    );
    let forged = raw.execute(
        "INSERT INTO audit (seq, at_ms, actor, channel, operation, target, args, result, prev_hash, hash)
         VALUES (10, 0, 'x', 'x', 'x', 'x', 'x', 'ok', 'bad', 'bad')",
        [],
    );
    assert!(
        forged.is_err(),
        "an insert that does not continue the chain is refused: {forged:?}"
    );
    let count: i64 = raw
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 3, "all three rows are still there");
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "the chain is intact"
    );
}

#[tokio::test]
async fn edited_row_is_named_by_verify() {
    let f = Fixture::new();
    let records = append_n(&f.log, 5).await;
    f.drop_triggers();
    f.raw()
        .execute("UPDATE audit SET args = 'in 999m' WHERE seq = 3", [])
        .expect("edit with triggers dropped");
    let report = f.log.verify().await.expect("verify");
    let broken = report.broken.expect("the edit is detected");
    assert_eq!(broken.seq, 3, "verify names the edited row: {broken}");
    assert_eq!(
        broken.problem,
        ChainProblem::HashMismatch,
        "an edit is a hash mismatch"
    );
    assert_eq!(report.verified, 2, "rows before the edit verified");
    assert!(
        broken.to_string().contains("seq 3"),
        "the message names seq 3: {broken}"
    );

    // Rewriting the row *with* a recomputed hash breaks the next link instead.
    let mut forged = records[2].entry.clone();
    forged.args_summary = "in 999m".into();
    let forged_hash = forged.chain_hash(&records[2].prev_hash);
    f.raw()
        .execute("UPDATE audit SET hash = ?1 WHERE seq = 3", [&forged_hash])
        .expect("recompute hash");
    let broken = f
        .log
        .verify()
        .await
        .expect("verify")
        .broken
        .expect("detected");
    assert_eq!(
        broken.seq, 4,
        "the row after a rewritten one no longer links: {broken}"
    );
    assert!(
        matches!(broken.problem, ChainProblem::PrevHashMismatch { .. }),
        "a rewritten row breaks the next link: {broken}"
    );
}

#[tokio::test]
async fn deleted_middle_row_is_named_by_verify() {
    let f = Fixture::new();
    append_n(&f.log, 6).await;
    f.drop_triggers();
    f.raw()
        .execute("DELETE FROM audit WHERE seq IN (3, 4)", [])
        .expect("delete with triggers dropped");
    let broken = f
        .log
        .verify()
        .await
        .expect("verify")
        .broken
        .expect("detected");
    assert_eq!(
        broken.seq, 3,
        "verify names the first deleted row: {broken}"
    );
    assert_eq!(
        broken.problem,
        ChainProblem::Missing { last_missing: 4 },
        "a gap is reported with its extent"
    );
    assert!(
        broken.to_string().contains("3..=4"),
        "the message names the range: {broken}"
    );
}

#[tokio::test]
async fn deleted_last_row_is_caught_by_the_head_and_the_external_anchor() {
    let f = Fixture::new();
    let records = append_n(&f.log, 4).await;
    let anchor = f.log.head().await.expect("head");
    f.drop_triggers();
    f.raw()
        .execute("DELETE FROM audit WHERE seq = 4", [])
        .expect("delete the newest row");
    let broken = f
        .log
        .verify()
        .await
        .expect("verify")
        .broken
        .expect("detected");
    assert_eq!(
        broken.seq, 4,
        "the head shows the newest row is gone: {broken}"
    );
    assert_eq!(
        broken.problem,
        ChainProblem::Truncated { chain_end: 3 },
        "a cut-off end is reported as truncated"
    );

    // Moving the head back too hides it from the database alone…
    f.raw()
        .execute(
            "UPDATE audit_head SET seq = 3, hash = ?1 WHERE id = 1",
            [&records[2].hash],
        )
        .expect("move the head back");
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "without an anchor a cleanly cut chain looks valid (documented limit)"
    );
    // …but not from a head copied outside earlier.
    let broken = f
        .log
        .verify_against(&anchor)
        .await
        .expect("verify against anchor")
        .broken
        .expect("the anchor catches the cut");
    assert_eq!(
        broken.seq, 4,
        "the first seq past the chain's end is named: {broken}"
    );
    assert!(
        matches!(broken.problem, ChainProblem::AnchorMismatch { .. }),
        "reported as an anchor mismatch: {broken}"
    );
    let older = AuditHead {
        seq: 2,
        hash: records[1].hash.clone(),
    };
    assert!(
        f.log
            .verify_against(&older)
            .await
            .expect("verify")
            .is_intact(),
        "an older anchor on the chain still verifies"
    );
}

#[tokio::test]
async fn concurrent_appends_from_two_connections_do_not_fork_the_chain() {
    let f = Fixture::new();
    let second = open_log(&f.root);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let log = if t % 2 == 0 {
            f.log.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                log.append(entry(i, &format!("local:user{t}")))
                    .await
                    .expect("concurrent append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task finished");
    }
    let report = f.log.verify().await.expect("verify");
    assert!(
        report.is_intact(),
        "concurrent appends keep one chain: {:?}",
        report.broken
    );
    assert_eq!(report.verified, 200, "every append is in the chain");
    assert_eq!(report.head.seq, 200, "seqs are dense");
}

fn old_entry(i: i64, now: DateTime<Utc>, age_days: i64) -> AuditEntry {
    AuditEntry::new(
        now - Duration::days(age_days) + Duration::seconds(i),
        "local:owner",
        "local",
        "skill:stock_watch",
        format!("watch:{i}"),
        AuditResult::Allowed,
    )
}

#[tokio::test]
async fn retention_archives_old_entries_and_verify_spans_archive_and_live() {
    let f = Fixture::new();
    let now = base();
    for i in 0..10 {
        f.log
            .append(old_entry(i, now, 120))
            .await
            .expect("old append");
    }
    for i in 0..5 {
        f.log
            .append(old_entry(i, now, 1))
            .await
            .expect("recent append");
    }
    let report = f.log.retain(now, 90).await.expect("retention");
    assert_eq!(report.archived_rows, 10, "the ten old entries are archived");
    let archive = f.root.join("audit-archive").join("1-10.jsonl.gz");
    assert_eq!(
        report.files,
        vec![archive.clone()],
        "one archive named by its seq range"
    );
    assert!(archive.exists(), "the archive file is on disk");

    let live = f
        .log
        .query(&AuditFilter::default(), None, 100)
        .await
        .expect("query");
    assert_eq!(live.total, 5, "five recent entries stay live");
    let first_live = live.records.last().expect("a live row");
    assert_eq!(
        first_live.seq, 11,
        "the live table starts after the archive"
    );
    let lines = std::io::read_to_string(flate2::read::GzDecoder::new(
        std::fs::File::open(&archive).expect("open archive"),
    ))
    .expect("read archive");
    let archived: Vec<AuditRecord> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("archive line is a record"))
        .collect();
    assert_eq!(archived.len(), 10, "the archive holds ten lines");
    assert_eq!(
        first_live.prev_hash, archived[9].hash,
        "the first live row links to the last archived hash"
    );

    let verified = f.log.verify().await.expect("verify");
    assert!(
        verified.is_intact(),
        "archive + live verify as one chain: {:?}",
        verified.broken
    );
    assert_eq!(
        (verified.verified, verified.archived, verified.archives),
        (15, 10, 1),
        "all fifteen are verified, ten from one archive"
    );
    let again = f.log.retain(now, 90).await.expect("second retention");
    assert_eq!(again.archived_rows, 0, "nothing more is old enough");
    let plain = f.raw().execute("DELETE FROM audit", []);
    assert!(
        plain.is_err(),
        "a plain DELETE still fails after retention: {plain:?}"
    );
    f.log
        .append(entry(1, "system"))
        .await
        .expect("append after retention");
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "appending after retention keeps the chain"
    );

    // Everything older than tomorrow: the live table empties, the head anchors the end.
    let all = f
        .log
        .archive_before(now + Duration::days(1), now)
        .await
        .expect("archive everything");
    assert_eq!(all.archived_rows, 6, "the rest is archived");
    let verified = f.log.verify().await.expect("verify");
    assert!(
        verified.is_intact(),
        "archives alone verify up to the head: {:?}",
        verified.broken
    );
    assert_eq!(
        verified.verified, 16,
        "all sixteen are verified from archives"
    );
    let next = f
        .log
        .append(entry(2, "system"))
        .await
        .expect("append to an empty table");
    assert_eq!(next.seq, 17, "seq continues past archived rows");

    // Tampering with an archive is found and named.
    let forged: Vec<String> = archived
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.seq == 4 {
                r.entry.args_summary = "forged".into();
            }
            serde_json::to_string(&r).expect("serialize")
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, (forged.join("\n") + "\n").as_bytes()).expect("gzip");
    std::fs::write(&archive, gz.finish().expect("gzip finish")).expect("rewrite archive");
    let broken = f
        .log
        .verify()
        .await
        .expect("verify")
        .broken
        .expect("forgery detected");
    assert_eq!(
        broken.seq, 4,
        "verify names the edited archived row: {broken}"
    );
    assert_eq!(
        broken.archive.as_deref(),
        Some(archive.as_path()),
        "and its archive file"
    );

    std::fs::remove_file(&archive).expect("remove archive");
    let broken = f
        .log
        .verify()
        .await
        .expect("verify")
        .broken
        .expect("missing archive detected");
    assert_eq!(
        broken.problem,
        ChainProblem::ArchiveMissing,
        "a lost archive is reported: {broken}"
    );
    assert_eq!(broken.seq, 1, "named by its first seq");
}

#[tokio::test]
async fn export_csv_escapes_and_json_round_trips() {
    let f = Fixture::new();
    let tricky = AuditEntry::new(
        base(),
        "=HYPERLINK(\"x\")",
        "local",
        "command:/remind",
        "a, b",
        AuditResult::Denied,
    )
    .with_args("say \"hi\"\nthen bye");
    let stored = f.log.append(tricky).await.expect("append");
    f.log.append(entry(1, "local:owner")).await.expect("append");

    let (csv, n) = f
        .log
        .export(&AuditFilter::default(), ExportFormat::Csv, Vec::new())
        .await
        .expect("csv export");
    assert_eq!(n, 2, "two rows exported");
    let csv = String::from_utf8(csv).expect("utf-8");
    let expected_first = format!(
        "1,2025-03-01T09:00:00.000Z,\"'=HYPERLINK(\"\"x\"\")\",local,command:/remind,\"a, b\",\"say \"\"hi\"\"\nthen bye\",denied,,{},{}\n",
        GENESIS_HASH, stored.hash
    );
    assert!(
        csv.starts_with(
            "seq,at,actor,channel,operation,target,args_summary,result,duration_ms,prev_hash,hash\n"
        ),
        "the CSV starts with its header: {csv}"
    );
    assert!(
        csv.contains(&expected_first),
        "commas, quotes and newlines are quoted, formulas defused:\n{csv}\nexpected:\n{expected_first}"
    );
    assert!(
        csv.contains(",ok,3,"),
        "the second row has its result and duration: {csv}"
    );

    let filter = AuditFilter {
        result: Some(AuditResult::Denied),
        ..AuditFilter::default()
    };
    let (json, n) = f
        .log
        .export(&filter, ExportFormat::Json, Vec::new())
        .await
        .expect("json export");
    assert_eq!(n, 1, "the filter applies to exports");
    let parsed: Vec<AuditRecord> = serde_json::from_slice(&json).expect("the JSON export parses");
    assert_eq!(
        parsed,
        vec![stored],
        "JSON round-trips the stored record exactly"
    );
    assert!(
        parsed[0].hash_matches(),
        "an exported record still verifies"
    );

    let (empty, n) = f
        .log
        .export(
            &AuditFilter {
                actor: Some("nobody".into()),
                ..AuditFilter::default()
            },
            ExportFormat::Json,
            Vec::new(),
        )
        .await
        .expect("empty export");
    assert_eq!(n, 0, "nothing matches");
    let parsed: Vec<AuditRecord> = serde_json::from_slice(&empty).expect("an empty export is []");
    assert!(parsed.is_empty(), "an empty export is an empty array");
}

#[tokio::test]
async fn paging_with_filters_returns_stable_pages() {
    let f = Fixture::new();
    let mut batch = Vec::new();
    for i in 0..60 {
        let actor = if i % 3 == 0 {
            "dingtalk.work:0123"
        } else {
            "local:owner"
        };
        let mut e = entry(i, actor);
        if i % 5 == 0 {
            e.result = AuditResult::Denied;
        }
        batch.push(e);
    }
    f.log.append_many(batch).await.expect("append batch");
    let filter = AuditFilter {
        actor: Some("dingtalk.work:0123".into()),
        ..AuditFilter::default()
    };
    let mut seen = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = f.log.query(&filter, before, 7).await.expect("page");
        assert_eq!(
            page.total,
            20 + pages as u64,
            "the total counts the whole filter (with entries appended meanwhile), not the page"
        );
        assert!(!page.total_is_lower_bound, "a small total is exact");
        assert!(page.records.len() <= 7, "a page holds at most the limit");
        for r in &page.records {
            assert_eq!(
                r.entry.actor, "dingtalk.work:0123",
                "seq {} matches the filter",
                r.seq
            );
        }
        seen.extend(page.records.iter().map(|r| r.seq));
        pages += 1;
        // Entries appended between pages must not shift later pages.
        f.log
            .append(entry(100 + pages, "dingtalk.work:0123"))
            .await
            .expect("append between pages");
        match page.next_before_seq {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=60).rev().filter(|s| (s - 1) % 3 == 0).collect();
    assert_eq!(
        seen, expected,
        "pages are newest first, without gaps or repeats"
    );
    assert_eq!(pages, 3, "twenty rows in pages of seven");

    let denied_and_dingtalk = AuditFilter {
        result: Some(AuditResult::Denied),
        ..filter.clone()
    };
    let page = f
        .log
        .query(&denied_and_dingtalk, None, 100)
        .await
        .expect("page");
    assert_eq!(
        page.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![46, 31, 16, 1],
        "filters combine"
    );
}

#[tokio::test]
async fn filters_by_time_text_channel_and_operation() {
    let f = Fixture::new();
    let mut batch = Vec::new();
    for i in 0..30 {
        let mut e = entry(i * 60, "local:owner");
        if i % 2 == 0 {
            e.channel = "dingtalk.work".into();
            e.operation = "approval:granted".into();
        }
        if i == 7 {
            e.args_summary = "Ticker 100%_UP".into();
        }
        batch.push(e);
    }
    f.log.append_many(batch).await.expect("append batch");
    let q = |filter: AuditFilter| {
        let log = f.log.clone();
        async move {
            log.query(&filter, None, 100)
                .await
                .expect("query")
                .records
                .iter()
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        }
    };
    let window = q(AuditFilter {
        since: Some(base() + Duration::minutes(10)),
        until: Some(base() + Duration::minutes(13)),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        window,
        vec![13, 12, 11],
        "since is inclusive, until exclusive"
    );
    let text = q(AuditFilter {
        search: Some("ticker 100%_up".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        text,
        vec![8],
        "search is case-insensitive and % _ are literal"
    );
    let wildcard = q(AuditFilter {
        search: Some("100%x".into()),
        ..AuditFilter::default()
    })
    .await;
    assert!(wildcard.is_empty(), "% in a search is not a wildcard");
    let short = q(AuditFilter {
        search: Some("%_".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        short,
        vec![8],
        "a search too short for the index scans, % and _ literal"
    );
    let unicode = q(AuditFilter {
        search: Some("UP".into()),
        actor: Some("local:owner".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        unicode,
        vec![8],
        "a short search combines with other filters"
    );
    let by_target = q(AuditFilter {
        search: Some("reminder:1740".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(by_target, vec![30], "search covers the target");
    let channel_op = q(AuditFilter {
        channel: Some("dingtalk.work".into()),
        operation: Some("approval:granted".into()),
        since: Some(base() + Duration::minutes(20)),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        channel_op,
        vec![29, 27, 25, 23, 21],
        "channel, operation and time combine"
    );
}

#[tokio::test]
async fn large_totals_are_capped_and_flagged() {
    let f = Fixture::new();
    let batch: Vec<AuditEntry> = (0..10_050).map(|i| entry(i, "system")).collect();
    f.log.append_many(batch).await.expect("append batch");
    let page = f
        .log
        .query(&AuditFilter::default(), None, 50)
        .await
        .expect("page");
    assert_eq!(page.records.len(), 50, "a full page");
    assert_eq!(page.records[0].seq, 10_050, "newest first");
    assert_eq!(
        page.next_before_seq,
        Some(10_001),
        "the next page starts below the last seq"
    );
    assert_eq!(
        page.total,
        molten_engine::audit::COUNT_CAP,
        "the total stops at the cap"
    );
    assert!(page.total_is_lower_bound, "and says it is a lower bound");
    let tail = f.log.tail(3).await.expect("tail");
    assert_eq!(
        tail.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![10_048, 10_049, 10_050],
        "tail is the newest entries, oldest first"
    );
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "a batch-appended chain verifies"
    );
}

#[tokio::test]
async fn retention_that_cannot_write_its_archive_deletes_nothing() {
    let f = Fixture::new();
    let now = base();
    for i in 0..4 {
        f.log
            .append(old_entry(i, now, 200))
            .await
            .expect("old append");
    }
    // A file where the archive folder should be: the archive cannot be written.
    std::fs::write(f.root.join("audit-archive"), b"in the way").expect("block the folder");
    let err = f
        .log
        .retain(now, 90)
        .await
        .expect_err("retention must fail");
    assert!(
        matches!(err, molten_engine::audit::AuditError::Archive { .. }),
        "the failure names the archive: {err}"
    );
    assert!(!err.hint().is_empty(), "the failure has a next step");
    let page = f
        .log
        .query(&AuditFilter::default(), None, 10)
        .await
        .expect("query");
    assert_eq!(page.total, 4, "no row was deleted without its archive");
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "the chain is untouched"
    );

    std::fs::remove_file(f.root.join("audit-archive")).expect("unblock");
    let report = f
        .log
        .retain(now, 90)
        .await
        .expect("retention after the fix");
    assert_eq!(report.archived_rows, 4, "the retry archives everything");
    assert!(
        f.log.verify().await.expect("verify").is_intact(),
        "and the chain verifies"
    );
}
