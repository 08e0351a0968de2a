//! SIGKILL `molten serve` while messages flow, restart it, let the client
//! resend what was not acknowledged: every message is answered exactly once,
//! and each /remind created exactly one reminder.

use molten_tests::Serve;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const N: usize = 400;

fn text(i: usize) -> String {
    format!("/remind in 2h crash-test {i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path());
    let api = serve.client();
    let acked = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let progress = Arc::new(AtomicUsize::new(0));
    // Two concurrent senders, like two chats typing at once.
    let mut senders = Vec::new();
    for lane in 0..2 {
        let (api, acked, progress) = (api.clone(), Arc::clone(&acked), Arc::clone(&progress));
        senders.push(tokio::spawn(async move {
            for i in (lane..N).step_by(2) {
                if api.send(&format!("c-{i}"), &text(i)).await.is_ok() {
                    acked.lock().expect("lock").insert(i);
                    progress.fetch_add(1, Ordering::SeqCst);
                } else {
                    // The engine is gone; the rest will be resent.
                    return;
                }
            }
        }));
    }
    while progress.load(Ordering::SeqCst) < N / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    serve.kill();
    for s in senders {
        s.await.expect("sender task");
    }
    let acked_before = acked.lock().expect("lock").clone();
    assert!(
        acked_before.len() >= N / 3 && acked_before.len() < N,
        "the kill came mid-stream ({} acked)",
        acked_before.len()
    );

    let serve = Serve::start(dir.path());
    let api = serve.client();
    // The client resends everything unacknowledged, plus some acknowledged
    // ones, as a platform redelivering after a lost ack would.
    let resend: Vec<usize> = (0..N)
        .filter(|i| !acked_before.contains(i) || i % 10 == 0)
        .collect();
    for i in &resend {
        api.send(&format!("c-{i}"), &text(*i))
            .await
            .expect("resend after restart");
    }

    // Wait for every message to be answered.
    let mut entries = Vec::new();
    for _ in 0..600 {
        entries = api.all_entries().await;
        // Pages are read one after another, so wait until one whole read
        // shows every reply delivered and every message done.
        let answered = entries
            .iter()
            .filter(|e| e["direction"] == "out" && e["status"] == "sent")
            .count();
        let done = entries
            .iter()
            .filter(|e| e["direction"] == "in" && e["status"] == "done")
            .count();
        if answered >= N && done >= N {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let inbound: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["direction"] == "in").collect();
    let texts: BTreeSet<&str> = inbound.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(
        inbound.len(),
        N,
        "each message stored once (no copies from resends)"
    );
    assert_eq!(texts.len(), N, "every message arrived");
    let not_done: Vec<&&serde_json::Value> =
        inbound.iter().filter(|e| e["status"] != "done").collect();
    let outs: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["direction"] == "out").collect();
    assert!(
        not_done.is_empty(),
        "every message handled; not done: {not_done:?}; {} replies, last entries: {:?}",
        outs.len(),
        &entries[entries.len().saturating_sub(6)..]
    );
    let mut replies: BTreeMap<i64, usize> = BTreeMap::new();
    for e in entries.iter().filter(|e| e["direction"] == "out") {
        assert_eq!(e["status"], "sent", "reply {} was delivered", e["id"]);
        *replies
            .entry(e["reply_to"].as_i64().expect("reply_to"))
            .or_default() += 1;
    }
    for m in &inbound {
        let id = m["id"].as_i64().expect("id");
        assert_eq!(
            replies.get(&id),
            Some(&1),
            "message {id} ({}) answered exactly once",
            m["text"]
        );
    }
    let reminders = api.get("/v1/reminders?status=pending&page_size=1").await;
    assert_eq!(
        reminders["total"].as_u64(),
        Some(N as u64),
        "exactly one reminder per /remind"
    );
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_api_refuses_strangers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path());
    assert!(
        serve.url.starts_with("http://127.0.0.1:"),
        "binds loopback only: {}",
        serve.url
    );
    let http = reqwest::Client::new();
    let health = format!("{}/health", serve.url);
    let none = http.get(&health).send().await.expect("reach");
    assert_eq!(none.status(), 401, "no token, no answer");
    let wrong = http
        .get(&health)
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .expect("reach");
    assert_eq!(wrong.status(), 401, "wrong token refused");
    let in_url = http
        .get(format!("{health}?token={}", serve.token))
        .send()
        .await
        .expect("reach");
    assert_eq!(in_url.status(), 401, "a token in the URL is not accepted");
    let cross = http
        .get(&health)
        .bearer_auth(&serve.token)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .expect("reach");
    assert_eq!(cross.status(), 403, "requests from web pages refused");
    let ok = http
        .get(&health)
        .bearer_auth(&serve.token)
        .send()
        .await
        .expect("reach");
    assert_eq!(ok.status(), 200, "the owner's token works");
    let body: serde_json::Value = ok.json().await.expect("json");
    assert!(
        body["channels"].as_array().is_some_and(|c| !c.is_empty()),
        "health lists channels: {body}"
    );
    serve.client().send("m-1", "/whoami").await.expect("send");
    let metrics = http
        .get(format!("{}/metrics", serve.url))
        .bearer_auth(&serve.token)
        .send()
        .await
        .expect("reach")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("molten_inbound_messages_total{channel=\"local\"} 1")
            && metrics.contains("molten_channel_up{channel=\"local\"} 1"),
        "metrics count messages and show channel health:\n{metrics}"
    );
    let long = serve
        .client()
        .send("x", &"y".repeat(20_000))
        .await
        .expect_err("too long refused");
    assert!(
        long.contains("413") && long.contains("too_long"),
        "over-long message gets 413 with a code: {long}"
    );
}
