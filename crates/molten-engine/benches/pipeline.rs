//! Throughput and latency of the whole local path with persistence on:
//! local channel → inbox → router → command → outbox → delivered, then the
//! idle RSS of `molten serve`.
//!
//! `cargo bench -p molten-engine --bench pipeline -- --messages 2000`

use molten_core::{Direction, MessageStatus, SystemClock};
use molten_engine::{Config, DataDir, Engine, EngineOptions, LogNotifier};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of /proc/<pid>/status in kB, e.g. VmRSS or VmHWM.
fn proc_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn pipeline(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.api.enabled = false;
    let engine = Engine::start(EngineOptions {
        data_dir: DataDir::at(dir.path()),
        clock: Arc::new(SystemClock),
        notifier: Arc::new(LogNotifier),
        config: Some(config),
        channels: Vec::new(),
    })
    .await
    .expect("engine starts");
    // Wait for the local channel.
    while engine.send_local("/whoami".into(), None).await.is_err() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut events = engine.subscribe_entries();
    let commands = [
        "/whoami",
        "/help",
        "/status",
        "/remind in 3h bench",
        "hello there",
    ];
    let started = Instant::now();
    let mut sent_at: HashMap<i64, Instant> = HashMap::with_capacity(n);
    let mut latencies = Vec::with_capacity(n);
    let waiter = tokio::spawn(async move {
        let mut done = HashMap::new();
        while done.len() < n {
            match events.recv().await {
                Ok(m) if m.direction == Direction::Out && m.status == MessageStatus::Sent => {
                    if let Some(r) = m.reply_to {
                        done.insert(r, Instant::now());
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        done
    });
    for i in 0..n {
        let t = Instant::now();
        let e = engine
            .send_local(
                commands[i % commands.len()].into(),
                Some(format!("bench-{i}")),
            )
            .await
            .expect("send");
        sent_at.insert(e.id, t);
    }
    let done = waiter.await.expect("waiter");
    let elapsed = started.elapsed();
    for (id, t0) in &sent_at {
        if let Some(t1) = done.get(id) {
            latencies.push(t1.duration_since(*t0));
        }
    }
    latencies.sort();
    let hwm = proc_kb("self", "VmHWM").unwrap_or(0);
    println!(
        "pipeline: {n} messages in {:.2} s = {:.0} msg/s; in that burst (queueing included) latency p50 {:.2} ms, p99 {:.2} ms (answered {}); peak RSS {:.1} MB",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.len(),
        hwm as f64 / 1024.0
    );
    // One message at a time: the latency a person typing sees.
    let mut events = engine.subscribe_entries();
    let mut one_by_one = Vec::with_capacity(200);
    for i in 0..200 {
        let t0 = Instant::now();
        let e = engine
            .send_local("/whoami".into(), Some(format!("single-{i}")))
            .await
            .expect("send");
        loop {
            match events.recv().await {
                Ok(m) if m.reply_to == Some(e.id) && m.status == MessageStatus::Sent => break,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
        one_by_one.push(t0.elapsed());
    }
    one_by_one.sort();
    println!(
        "single: 200 messages one at a time, send to delivered reply: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&one_by_one, 0.50).as_secs_f64() * 1e3,
        percentile(&one_by_one, 0.99).as_secs_f64() * 1e3
    );
    engine.shutdown().await;
}

fn molten_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let p = profile_dir.join("molten");
    p.exists().then_some(p)
}

fn idle_rss(seconds: u64) {
    let Some(bin) = molten_binary() else {
        println!("idle: skipped — build `molten` first: cargo build --release -p molten-cli");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(bin)
        .arg("serve")
        .env("MOLTEN_DATA_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn molten serve");
    std::thread::sleep(Duration::from_secs(seconds));
    let pid = child.id().to_string();
    let rss = proc_kb(&pid, "VmRSS").unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "idle: molten serve RSS after {seconds} s: {:.1} MB",
        rss as f64 / 1024.0
    );
}

fn main() {
    let n = arg("--messages", 2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(pipeline(n));
    idle_rss(arg("--idle-seconds", 5) as u64);
}
