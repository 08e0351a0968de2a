//! The SQLite store: inbox dedupe, idempotent finishing, outbox states,
//! paging, and refusing databases it must not touch.

use chrono::Utc;
use molten_core::{
    ConversationRef, Identity, InboundMessage, MessageStatus, NewReminder, ReminderQuery,
    ReminderStatus, Store, StoreError,
};
use molten_engine::store::{SqliteStore, SCHEMA_VERSION};

fn inbound(pid: &str, text: &str) -> InboundMessage {
    InboundMessage {
        conversation: ConversationRef::new("test", "c1"),
        sender: Identity::new("test", "u1"),
        platform_msg_id: pid.into(),
        text: text.into(),
        received_at: Utc::now(),
    }
}

#[tokio::test]
async fn inbox_dedupes_and_finishing_twice_queues_replies_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("m.db")).expect("open");
    let (a, dup_a) = store
        .insert_inbound(&inbound("p1", "hi"))
        .await
        .expect("insert");
    let (b, dup_b) = store
        .insert_inbound(&inbound("p1", "hi again"))
        .await
        .expect("redelivery");
    assert!(!dup_a && dup_b, "second delivery of p1 is a duplicate");
    assert_eq!(a.id, b.id, "a redelivery maps to the first row");
    assert_eq!(b.text, "hi", "the first text is kept");
    assert_eq!(
        store.unfinished_inbound().await.expect("unfinished").len(),
        1,
        "one message to handle"
    );

    let replies = store
        .finish_inbound(
            a.id,
            MessageStatus::Done,
            None,
            vec!["one".into(), "two".into()],
            Utc::now(),
        )
        .await
        .expect("finish");
    assert_eq!(replies.len(), 2, "two replies queued");
    let again = store
        .finish_inbound(
            a.id,
            MessageStatus::Done,
            None,
            vec!["one".into()],
            Utc::now(),
        )
        .await
        .expect("finish again");
    assert!(again.is_empty(), "finishing twice queues nothing more");
    let pending = store.pending_outbound("test").await.expect("pending");
    assert_eq!(
        pending.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["one", "two"],
        "outbox in order"
    );

    let failed = store
        .mark_send_failed(pending[0].id, "network", false)
        .await
        .expect("fail once");
    assert_eq!(
        (failed.status, failed.attempts),
        (MessageStatus::Pending, 1),
        "a retryable failure stays pending"
    );
    let sent = store
        .mark_sent(pending[0].id, Some("plat-9".into()), Utc::now())
        .await
        .expect("sent");
    assert_eq!(
        (sent.status, sent.attempts),
        (MessageStatus::Sent, 2),
        "sent after the second attempt"
    );
    let dead = store
        .mark_send_failed(pending[1].id, "chat gone", true)
        .await
        .expect("give up");
    assert_eq!(
        dead.status,
        MessageStatus::Failed,
        "giving up marks it failed"
    );
    assert!(
        store
            .pending_outbound("test")
            .await
            .expect("pending")
            .is_empty(),
        "nothing left to send"
    );
}

#[tokio::test]
async fn history_pages_backwards_oldest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("m.db")).expect("open");
    for i in 0..25 {
        store
            .insert_inbound(&inbound(&format!("p{i}"), &format!("m{i}")))
            .await
            .expect("insert");
    }
    let conv = ConversationRef::new("test", "c1");
    let (page, more) = store.history(&conv, None, 10).await.expect("page 1");
    assert_eq!(
        page.first().map(|m| m.text.as_str()),
        Some("m15"),
        "newest page starts at m15"
    );
    assert_eq!(
        page.last().map(|m| m.text.as_str()),
        Some("m24"),
        "newest page ends at m24"
    );
    assert!(more, "older messages exist");
    let (page2, _) = store
        .history(&conv, Some(page[0].id), 10)
        .await
        .expect("page 2");
    assert_eq!(
        page2.last().map(|m| m.text.as_str()),
        Some("m14"),
        "page 2 continues before page 1"
    );
    let (page3, more3) = store
        .history(&conv, Some(page2[0].id), 10)
        .await
        .expect("page 3");
    assert_eq!(
        (page3.len(), more3),
        (5, false),
        "last page has the rest and says so"
    );
    let after = store
        .messages_after(&conv, page[4].id, 100)
        .await
        .expect("after");
    assert_eq!(after.len(), 5, "five newer than the fifth of page 1");
}

#[tokio::test]
async fn reminders_are_idempotent_searchable_and_fire_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("m.db")).expect("open");
    let now = Utc::now();
    let new = |origin: &str, text: &str, mins: i64| NewReminder {
        origin: origin.into(),
        owner: "test:u1".into(),
        conversation: ConversationRef::new("test", "c1"),
        text: text.into(),
        due_at: now + chrono::Duration::minutes(mins),
        lang: "en".into(),
        created_at: now,
    };
    let a = store
        .create_reminder(new("inbox:1", "water the plants", 10))
        .await
        .expect("a");
    let a2 = store
        .create_reminder(new("inbox:1", "water the plants", 10))
        .await
        .expect("a again");
    assert_eq!(a.id, a2.id, "same origin, same reminder");
    store
        .create_reminder(new("inbox:2", "call 100% mum_x", 5))
        .await
        .expect("b");
    let q = |search: &str| ReminderQuery {
        search: search.into(),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        store.reminders(&q("plants")).await.expect("search").1,
        1,
        "search by text"
    );
    assert_eq!(
        store.reminders(&q("100%")).await.expect("search").1,
        1,
        "% is literal"
    );
    assert_eq!(
        store.reminders(&q("_")).await.expect("search").1,
        1,
        "_ is literal"
    );
    let next = store
        .next_pending_reminder()
        .await
        .expect("next")
        .expect("some");
    assert_eq!(next.text, "call 100% mum_x", "soonest first");
    let fired = store
        .fire_reminder(next.id, "⏰ call".into(), now)
        .await
        .expect("fire");
    assert!(fired.is_some(), "firing queues a message");
    assert!(
        store
            .fire_reminder(next.id, "⏰ call".into(), now)
            .await
            .expect("refire")
            .is_none(),
        "fires once only"
    );
    let other_owner = store.cancel_reminder(a.id, Some("test:someone-else")).await;
    assert!(
        matches!(other_owner, Err(StoreError::NotFound(_))),
        "cannot cancel another owner's reminder"
    );
    let cancelled = store
        .cancel_reminder(a.id, Some("test:u1"))
        .await
        .expect("cancel");
    assert_eq!(cancelled.status, ReminderStatus::Cancelled, "cancelled");
    assert!(
        store.next_pending_reminder().await.expect("next").is_none(),
        "none pending"
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.db");
    {
        let c = rusqlite::Connection::open(&path).expect("raw open");
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .expect("future schema");
    }
    let before = std::fs::read(&path).expect("read");
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(
                (found, supported),
                (99, SCHEMA_VERSION),
                "versions reported"
            );
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "the file is not modified"
    );
}

#[test]
fn a_corrupt_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");
    let err = SqliteStore::open(&path).expect_err("garbage refused");
    assert!(
        matches!(err, StoreError::Corrupt { .. }),
        "reported as corrupt: {err:?}"
    );
    assert!(
        err.hint().contains("untouched"),
        "hint reassures and says what to do: {}",
        err.hint()
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        garbage,
        "the file is not modified"
    );
}

#[cfg(unix)]
#[test]
fn an_unwritable_data_dir_is_named_with_a_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    let data = molten_engine::DataDir::at(ro.join("molten"));
    let probe = std::fs::write(ro.join("probe"), b"x");
    if probe.is_ok() {
        // Running as root: permissions do not bind; use a path under a file instead.
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").expect("file");
        let err = molten_engine::DataDir::at(file.join("molten"))
            .prepare()
            .expect_err("cannot create under a file");
        assert_eq!(err.code(), "data_dir", "data dir error code");
        assert!(
            err.hint().contains("MOLTEN_DATA_DIR"),
            "hint says how to fix: {}",
            err.hint()
        );
        return;
    }
    let err = data.prepare().expect_err("read-only refused");
    assert_eq!(err.code(), "data_dir", "data dir error code");
    assert!(
        err.hint().contains("MOLTEN_DATA_DIR"),
        "hint says how to fix: {}",
        err.hint()
    );
}
