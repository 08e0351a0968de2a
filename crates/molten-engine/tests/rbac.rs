//! The gate end to end: an unknown sender is offered pairing, the owner
//! approves it from the local chat, permissions.yaml hot-reloads, actions that
//! need approval wait for the owner, and silence means no.

mod common;

use common::*;
use molten_core::{
    ChannelEvent, ConversationRef, Identity, InboundMessage, ReminderQuery, SystemClock,
};
use molten_engine::audit::{AuditFilter, AuditResult};
use molten_engine::Engine;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn from_alice(n: u32, text: &str) -> ChannelEvent {
    ChannelEvent::Message(
        InboundMessage {
            conversation: ConversationRef::new("fake", "alice-dm"),
            sender: Identity::new("fake", "alice"),
            platform_msg_id: format!("a-{n}"),
            text: text.into(),
            received_at: chrono::Utc::now(),
        },
        molten_core::Ack::noop(),
    )
}

/// Waits until the fake channel has sent a message containing `needle`.
async fn alice_receives(chan: &Scripted, needle: &str) -> String {
    for _ in 0..500 {
        if let Some(m) = chan
            .sent
            .lock()
            .expect("lock")
            .iter()
            .find(|m| m.text.contains(needle))
        {
            return m.text.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got: Vec<String> = chan
        .sent
        .lock()
        .expect("lock")
        .iter()
        .map(|m| m.text.clone())
        .collect();
    panic!("alice never received {needle:?}; she got {got:#?}");
}

/// Waits for a local-chat message (to the owner) containing `needle`.
async fn owner_sees(engine: &Engine, needle: &str) -> String {
    for _ in 0..500 {
        let (entries, _) = engine.local_history(None, 200).await.expect("history");
        if let Some(e) = entries.iter().rev().find(|e| e.text.contains(needle)) {
            return e.text.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the owner never saw {needle:?}");
}

fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a six-digit code")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_approval_hot_reload_and_fail_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = quiet_config();
    config.rbac.approval_timeout_secs = std::num::NonZeroU32::MIN.saturating_add(2); // 3 s
    config.rbac.reload_poll_ms = std::num::NonZeroU32::MIN.saturating_add(49);
    let chan = Scripted::new(vec![Connect::Live], None);
    let (engine, notifier) = start_with(
        dir.path(),
        Arc::new(SystemClock),
        config,
        vec![chan.clone()],
    )
    .await;
    let alice = connected(&chan).await;

    // 1. Unknown: denied, offered a code; the owner is told once.
    alice.send(from_alice(1, "/status")).await.expect("deliver");
    let offer = alice_receives(&chan, "pairing code").await;
    let code = code_in(&offer);
    alice.send(from_alice(2, "/help")).await.expect("deliver");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let notice = owner_sees(&engine, &format!("/approve {code}")).await;
    assert!(
        notice.contains("fake:alice"),
        "the owner's notice names the sender: {notice}"
    );
    let pair_notes = notifier
        .seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|(n, _)| n.title.contains("Pairing"))
        .count();
    assert_eq!(
        pair_notes, 1,
        "one desktop notification per pairing request, not per message"
    );
    assert!(
        !chan
            .sent
            .lock()
            .expect("lock")
            .iter()
            .any(|m| m.text.contains("Channels:")),
        "no status for a stranger"
    );

    // 2. The owner approves from the local chat; the file gains the user.
    let ok = send(&engine, &format!("/approve {code}")).await;
    let reply = replies_to(&engine, ok.id).await;
    assert!(
        reply[0].text.contains("Paired fake:alice"),
        "owner's confirmation: {}",
        reply[0].text
    );
    alice_receives(&chan, "You are paired").await;
    let file = std::fs::read_to_string(dir.path().join("permissions.yaml")).expect("read policy");
    assert!(
        file.contains("\"fake:alice\": user") && file.contains("# Who may do what."),
        "user added, comments kept: {file}"
    );
    alice.send(from_alice(3, "/status")).await.expect("deliver");
    alice_receives(&chan, "Channels:").await;

    // 3. A user may not answer approvals.
    alice
        .send(from_alice(4, "/approve 123456"))
        .await
        .expect("deliver");
    let refused = alice_receives(&chan, "Not allowed").await;
    assert!(
        refused.contains("approval:decide"),
        "the refusal names the permission: {refused}"
    );

    // 4. The owner makes reminders need approval: the file reloads live.
    let edited = file.replace(
        "approval_required: []",
        "approval_required: [reminder:manage]",
    );
    std::fs::write(dir.path().join("permissions.yaml"), edited).expect("edit policy");
    for _ in 0..200 {
        if engine.gate().policy().approval_required.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        engine.gate().policy().approval_required,
        vec!["reminder:manage".to_string()],
        "the edit applied without restart"
    );

    // 5. Approved: runs as alice, answers alice.
    alice
        .send(from_alice(5, "/remind in 2h water the plants"))
        .await
        .expect("deliver");
    let wait = alice_receives(&chan, "needs the owner's approval").await;
    let req = code_in(&wait);
    owner_sees(&engine, &format!("/approve {req}")).await;
    let ok = send(&engine, &format!("/approve {req}")).await;
    replies_to(&engine, ok.id).await;
    alice_receives(&chan, "water the plants").await;
    let (items, _) = engine
        .reminders(&ReminderQuery {
            search: "water".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(items.len(), 1, "the approved reminder exists once");
    assert_eq!(items[0].owner, "fake:alice", "and belongs to the requester");

    // 6. No answer: denied at the deadline, nothing done.
    alice
        .send(from_alice(6, "/remind in 2h feed the cat"))
        .await
        .expect("deliver");
    let wait = alice_receives(&chan, "feed the cat` needs").await;
    let silent = code_in(&wait);
    let expired = alice_receives(&chan, "not approved in time").await;
    assert!(
        expired.contains(&silent),
        "the expiry names the request: {expired}"
    );
    let (cats, _) = engine
        .reminders(&ReminderQuery {
            search: "cat".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(cats.is_empty(), "an unanswered request did nothing");
    let late = send(&engine, &format!("/approve {silent}")).await;
    let late_reply = replies_to(&engine, late.id).await;
    assert!(
        late_reply[0].text.contains("already expired"),
        "a late yes changes nothing: {}",
        late_reply[0].text
    );

    // 7. Denied explicitly.
    alice
        .send(from_alice(7, "/remind in 2h call bob"))
        .await
        .expect("deliver");
    let wait = alice_receives(&chan, "call bob` needs").await;
    let no = code_in(&wait);
    let d = send(&engine, &format!("/deny {no}")).await;
    replies_to(&engine, d.id).await;
    alice_receives(&chan, "denied this request").await;
    let first = send(&engine, &format!("/approve {no}")).await;
    let second = replies_to(&engine, first.id).await;
    assert!(
        second[0].text.contains("already denied"),
        "the first answer wins: {}",
        second[0].text
    );
    assert!(chan.connects.load(Ordering::SeqCst) >= 1, "sanity");

    // 8. Every decision left a verifiable audit entry.
    let audit = engine.audit();
    let page = |actor: &str, result: AuditResult| {
        let filter = AuditFilter {
            actor: Some(actor.into()),
            result: Some(result),
            ..Default::default()
        };
        async move { audit.query(&filter, None, 100).await.expect("query audit") }
    };
    let denied = page("fake:alice", AuditResult::Denied).await;
    assert!(
        denied
            .records
            .iter()
            .any(|r| r.entry.operation == "command:/status"),
        "the stranger's /status was audited as denied"
    );
    assert!(denied.records.iter().any(|r| r.entry.operation == "command:/approve" && r.entry.target == "approval:decide"), "a user answering approvals was audited as denied");
    let waiting = page("fake:alice", AuditResult::NeedsApproval).await;
    assert_eq!(
        waiting.records.len(),
        3,
        "three requests waited for approval"
    );
    let ran = page("fake:alice", AuditResult::Ok).await;
    assert!(
        ran.records
            .iter()
            .any(|r| r.entry.operation == "command:/remind"
                && r.entry.args_summary.contains("water the plants")),
        "the approved reminder ran and was audited"
    );
    let expired = audit
        .query(
            &AuditFilter {
                operation: Some("approval:expired".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .expect("query");
    assert_eq!(
        expired.records.len(),
        1,
        "the unanswered request was audited as expired"
    );
    let report = audit.verify().await.expect("verify");
    assert!(
        report.is_intact() && report.verified > 10,
        "the chain verifies: {report:?}"
    );
    engine.shutdown().await;
}
