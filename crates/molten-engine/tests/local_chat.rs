//! The local chat end to end: inbox → router → commands → outbox, bad input,
//! pausing, and reminders on paused time across a restart.

mod common;

use common::*;
use molten_core::{
    Direction, MessageStatus, ReminderQuery, ReminderStatus, SystemClock, TokioClock,
};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_answer_in_english_and_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = start(dir.path(), Arc::new(SystemClock), quiet_config()).await;
    let cases = [
        ("/help", "/remind"),
        ("/帮助", "/提醒"),
        ("/status", "Channels: local (connected)"),
        ("/whoami", "local:owner"),
        ("/我是谁", "local:owner"),
        ("what's the weather?", "No language model is configured"),
        ("今天天气怎么样", "还没有配置语言模型"),
        ("/frobnicate", "I don't know the command /frobnicate"),
        ("/remind someday buy milk", "I could not read the time"),
        ("/remind in 10m", "What should I remind you of?"),
        ("/cancel 999", "I found no reminder #999"),
        ("/reminders", "no pending reminders"),
    ];
    for (text, want) in cases {
        let sent = send(&engine, text).await;
        assert_eq!(sent.direction, Direction::In, "{text}: stored as inbound");
        let replies = replies_to(&engine, sent.id).await;
        assert_eq!(replies.len(), 1, "{text}: exactly one reply");
        assert!(
            replies[0].text.contains(want),
            "{text}: reply {:?} should contain {want:?}",
            replies[0].text
        );
    }
    let (history, _) = engine.local_history(None, 100).await.expect("history");
    assert_eq!(
        history.len(),
        cases.len() * 2,
        "every message and reply is in the history"
    );
    assert!(
        history
            .iter()
            .filter(|e| e.direction == Direction::In)
            .all(|e| e.status == MessageStatus::Done),
        "every inbound message is done"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_next_step_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = start(dir.path(), Arc::new(SystemClock), quiet_config()).await;
    let first = send(&engine, "/whoami").await;
    let long = "x".repeat(16_001);
    let err = engine
        .send_local(long, None)
        .await
        .expect_err("over-long refused");
    assert_eq!(err.code(), "too_long", "over-long message code");
    assert!(
        err.hint().contains("16000"),
        "hint names the limit: {}",
        err.hint()
    );
    let err = engine
        .send_local("   ".into(), None)
        .await
        .expect_err("empty refused");
    assert_eq!(err.code(), "empty", "empty message code");
    let binary = send(&engine, "bin\u{0}\u{1}ary").await;
    let reply = replies_to(&engine, binary.id).await;
    assert!(
        reply[0].text.contains("binary"),
        "binary content explained: {}",
        reply[0].text
    );
    let (history, _) = engine.local_history(None, 100).await.expect("history");
    assert!(
        history.iter().any(|e| e.id == first.id),
        "earlier messages are still there"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_retry_with_the_same_id_is_not_a_second_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = start(dir.path(), Arc::new(SystemClock), quiet_config()).await;
    send(&engine, "/whoami").await; // wait for the channel
    let a = engine
        .send_local("/remind in 1h water".into(), Some("client-1".into()))
        .await
        .expect("first");
    let b = engine
        .send_local("/remind in 1h water".into(), Some("client-1".into()))
        .await
        .expect("retry");
    assert_eq!(a.id, b.id, "the retry maps to the same stored message");
    replies_to(&engine, a.id).await;
    let (items, total) = engine
        .reminders(&ReminderQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(total, 1, "one reminder, not two: {items:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_channels_refuse_then_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = start(dir.path(), Arc::new(SystemClock), quiet_config()).await;
    send(&engine, "/whoami").await;
    engine.set_paused(true);
    assert_eq!(
        engine.health().overall,
        molten_core::Overall::Offline,
        "paused shows offline"
    );
    let mut refused = None;
    for _ in 0..100 {
        match engine.send_local("/help".into(), None).await {
            Err(e) => {
                refused = Some(e);
                break;
            }
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    let e = refused.expect("sending while paused is refused");
    assert_eq!(
        e.code(),
        "channels_paused",
        "refusal says channels are paused"
    );
    engine.set_paused(false);
    let again = send(&engine, "/help").await;
    replies_to(&engine, again.id).await;
    assert_eq!(
        engine.health().overall,
        molten_core::Overall::Ok,
        "resumed shows ok"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reminders_fire_on_time_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start_at = at("2026-01-05T02:00:00Z"); // 10:00 in Shanghai
    let clock = Arc::new(TokioClock::starting_at(start_at));
    let (engine, notifier) = start(dir.path(), clock.clone(), quiet_config()).await;
    let sent = send(&engine, "/remind in 10m stretch your legs").await;
    let reply = replies_to(&engine, sent.id).await;
    assert!(
        reply[0].text.contains("10:10"),
        "confirmation names the local time: {}",
        reply[0].text
    );
    let later = send(&engine, "/提醒 明天9点 开会").await;
    replies_to(&engine, later.id).await;
    // Paused time advances to the next timer: the first reminder's due time.
    for _ in 0..1000 {
        if !notifier.seen.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let seen = notifier.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "one notification so far: {seen:?}");
    assert_eq!(seen[0].0.title, "Molten · Reminder", "notification title");
    assert_eq!(seen[0].0.body, "stretch your legs", "notification body");
    let due = at("2026-01-05T02:10:00Z");
    assert!(
        seen[0].1 >= due && seen[0].1 < due + chrono::Duration::seconds(1),
        "fired when due, not before: {}",
        seen[0].1
    );
    let (history, _) = engine.local_history(None, 50).await.expect("history");
    assert!(
        history
            .iter()
            .any(|e| e.text == "Reminder: stretch your legs"),
        "the reminder is also in the chat"
    );
    engine.shutdown().await;

    // Restart the next day at 10:00, after tomorrow's 9:00 meeting was due.
    let clock2 = Arc::new(TokioClock::starting_at(at("2026-01-06T02:00:00Z")));
    let (engine, notifier) = start(dir.path(), clock2, quiet_config()).await;
    for _ in 0..1000 {
        if !notifier.seen.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let seen = notifier.seen.lock().expect("lock").clone();
    assert_eq!(
        seen.len(),
        1,
        "the missed reminder fires once at start: {seen:?}"
    );
    assert_eq!(
        seen[0].0.title, "Molten · 提醒",
        "Chinese request, Chinese alert"
    );
    assert_eq!(seen[0].0.body, "开会", "alert body");
    let (history, _) = engine.local_history(None, 50).await.expect("history");
    assert!(
        history
            .iter()
            .any(|e| e.text.contains("开会") && e.text.contains("原定")),
        "late delivery is marked late"
    );
    let (_, pending) = engine
        .reminders(&ReminderQuery {
            status: Some(ReminderStatus::Pending),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(pending, 0, "nothing left pending");
    engine.shutdown().await;
}
