//! The supervisor against a scripted channel: record before ack, reconnect
//! with backoff, zombie detection, credential errors stop retrying, outbox
//! retries a failed send, and health tells the truth throughout.

mod common;

use chrono::Utc;
use common::*;
use molten_core::{
    Ack, ChannelError, ChannelEvent, ChannelState, ConversationRef, Identity, InboundMessage,
    Store, SystemClock,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

fn message(pid: &str, text: &str) -> InboundMessage {
    InboundMessage {
        conversation: ConversationRef::new("fake", "room"),
        sender: Identity::new("fake", "alice"),
        platform_msg_id: pid.into(),
        text: text.into(),
        received_at: Utc::now(),
    }
}

fn fast_config() -> molten_engine::Config {
    let mut c = quiet_config();
    c.channels.local.enabled = false;
    c.supervisor.backoff_initial_ms = std::num::NonZeroU32::MIN.saturating_add(19);
    c.supervisor.backoff_max_ms = std::num::NonZeroU32::MIN.saturating_add(99);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_before_ack_reconnects_and_retries_sends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chan = Scripted::new(
        vec![
            Connect::Fail(ChannelError::Transient("connection refused".into())),
            Connect::Fail(ChannelError::Transient("reset".into())),
            Connect::Live,
        ],
        None,
    );
    chan.send_failures.store(2, Ordering::SeqCst);
    let (engine, _) = start_with(
        dir.path(),
        Arc::new(SystemClock),
        fast_config(),
        vec![chan.clone()],
    )
    .await;
    wait_for("the third connect", || chan.current().is_some()).await;
    assert_eq!(
        chan.connects.load(Ordering::SeqCst),
        3,
        "two failures, then connected"
    );
    wait_for("connected health", || {
        engine
            .health()
            .channels
            .iter()
            .any(|c| c.state == ChannelState::Connected)
    })
    .await;

    // The ack checks the inbox already holds the message.
    let store = molten_engine::store::SqliteStore::open(&dir.path().join("molten.db"))
        .expect("second handle");
    let (acked_tx, mut acked_rx) = mpsc::unbounded_channel();
    let tx = chan.current().expect("live");
    let check_store = store.clone();
    let ack = Ack::new(move || {
        let _ = acked_tx.send(());
    });
    tx.send(ChannelEvent::Message(message("m-1", "/whoami"), ack))
        .await
        .expect("deliver");
    acked_rx.recv().await.expect("acked");
    let row = check_store
        .inbound_by_platform_id("fake", "m-1")
        .await
        .expect("query");
    assert!(
        row.is_some(),
        "the message was in the inbox when it was acknowledged"
    );
    // A redelivery is acknowledged again but not handled twice.
    tx.send(ChannelEvent::Message(
        message("m-1", "/whoami"),
        Ack::noop(),
    ))
    .await
    .expect("redeliver");

    wait_for("the reply after two failed sends", || {
        !chan.sent.lock().expect("lock").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = chan.sent.lock().expect("lock").clone();
    assert_eq!(
        sent.len(),
        1,
        "one reply for one message despite the redelivery: {sent:?}"
    );
    assert!(
        sent[0].text.contains("pairing code"),
        "an unknown sender is offered pairing: {}",
        sent[0].text
    );
    let stored = store.message(sent[0].outbox_id).await.expect("outbox row");
    assert_eq!(
        stored.attempts, 3,
        "two failed attempts and one success are counted"
    );
    let h = engine.health();
    let fake = h
        .channels
        .iter()
        .find(|c| c.id == "fake")
        .expect("fake channel in health");
    assert!(
        fake.last_inbound_at.is_some(),
        "health records the last inbound time"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_errors_stop_retrying_and_say_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chan = Scripted::new(
        vec![Connect::Fail(ChannelError::Credentials {
            platform: "fake".into(),
            detail: "invalid app secret".into(),
        })],
        None,
    );
    let (engine, _) = start_with(
        dir.path(),
        Arc::new(SystemClock),
        fast_config(),
        vec![chan.clone()],
    )
    .await;
    wait_for("failed state", || {
        engine
            .health()
            .channels
            .iter()
            .any(|c| c.state == ChannelState::Failed)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        chan.connects.load(Ordering::SeqCst),
        1,
        "no retry loop on bad credentials"
    );
    let h = engine.health();
    let fake = h
        .channels
        .iter()
        .find(|c| c.id == "fake")
        .expect("in health");
    assert!(
        fake.last_error
            .as_deref()
            .is_some_and(|e| e.contains("invalid app secret")),
        "the reason is shown: {:?}",
        fake.last_error
    );
    assert_eq!(
        h.overall,
        molten_core::Overall::Offline,
        "no channel up: offline"
    );
    // Pause and resume is the user's "try again".
    engine.set_paused(true);
    engine.set_paused(false);
    wait_for("a second attempt after resume", || {
        chan.connects.load(Ordering::SeqCst) >= 2
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_a_zombie_within_two_heartbeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chan = Scripted::new(
        vec![Connect::Live, Connect::Live],
        Some(Duration::from_secs(30)),
    );
    let clock = Arc::new(molten_core::TokioClock::starting_at(at(
        "2026-01-05T02:00:00Z",
    )));
    let (engine, _) = start_with(dir.path(), clock, fast_config(), vec![chan.clone()]).await;
    let started = tokio::time::Instant::now();
    // Keep the first connection alive for a while with heartbeats.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(20)).await;
        if let Some(tx) = chan.current() {
            let _ = tx.send(ChannelEvent::Alive).await;
        }
    }
    assert_eq!(
        chan.connects.load(Ordering::SeqCst),
        1,
        "heartbeats keep the connection"
    );
    // Then silence: the supervisor must replace it within two intervals.
    let silent_from = tokio::time::Instant::now();
    while chan.connects.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            silent_from.elapsed() < Duration::from_secs(61 + 1),
            "zombie not detected within two heartbeat intervals"
        );
    }
    let detected = silent_from.elapsed();
    assert!(
        detected >= Duration::from_secs(40),
        "not declared dead while heartbeats were recent: {detected:?}"
    );
    assert!(
        started.elapsed() > Duration::from_secs(80),
        "sanity: time passed"
    );
    engine.shutdown().await;
}
