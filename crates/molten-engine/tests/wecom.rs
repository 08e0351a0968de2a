//! The WeCom AI Bot channel against a fake long-connection server, through
//! the real supervisor, inbox, router and outbox: replies on the push's
//! `req_id` exactly once, a refused secret stops retrying, a kicked bot stops
//! instead of fighting, a silent server is replaced, redeliveries answered once.

mod common;
#[path = "fakes/wecom.rs"]
mod fake;

use async_trait::async_trait;
use common::*;
use fake::{FakeWeCom, Rules};
use molten_core::{ChannelHealth, ChannelState, SecretVault, Sensitive, SystemClock, VaultError};
use molten_engine::channels::wecom::{WeComChannel, WeComConfig, KICKED};
use molten_engine::Engine;
use std::sync::Arc;
use std::time::Duration;

const BOT: &str = "aib-test-bot";
const SECRET: &str = "s3cret";
const HEARTBEAT: Duration = Duration::from_millis(200);

/// A vault holding one secret in memory.
struct OneSecret(String);

#[async_trait]
impl SecretVault for OneSecret {
    async fn set(&self, _: &str, _: Sensitive<String>) -> Result<(), VaultError> {
        Ok(())
    }
    async fn get(&self, name: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        Ok((name == "wecom.team").then(|| Sensitive::new(self.0.clone())))
    }
    async fn delete(&self, _: &str) -> Result<bool, VaultError> {
        Ok(false)
    }
    async fn names(&self) -> Result<Vec<String>, VaultError> {
        Ok(vec!["wecom.team".into()])
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    engine: Engine,
    fake: FakeWeCom,
}

async fn setup(secret: &str, rules: Rules) -> Setup {
    let fake = FakeWeCom::start(BOT, SECRET, rules).await;
    let config = WeComConfig {
        id: "team".into(),
        bot_id: BOT.into(),
        secret: "wecom.team".into(),
        url: fake.url.clone(),
    };
    let channel = WeComChannel::new(config, Some(Arc::new(OneSecret(secret.into()))))
        .with_heartbeat(HEARTBEAT);
    let mut c = quiet_config();
    c.channels.local.enabled = false;
    c.supervisor.backoff_initial_ms = std::num::NonZeroU32::MIN.saturating_add(19);
    c.supervisor.backoff_max_ms = std::num::NonZeroU32::MIN.saturating_add(99);
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = start_with(
        dir.path(),
        Arc::new(SystemClock),
        c,
        vec![Arc::new(channel)],
    )
    .await;
    engine
        .gate()
        .set_user_role("wecom.team:zhangsan", Some("user"))
        .expect("zhangsan becomes a user");
    Setup {
        _dir: dir,
        engine,
        fake,
    }
}

/// The channel's health (before its supervisor first reports: connecting).
fn health(engine: &Engine) -> ChannelHealth {
    engine
        .health()
        .channels
        .into_iter()
        .find(|c| c.id == "wecom.team")
        .unwrap_or_else(|| ChannelHealth {
            id: "wecom.team".into(),
            kind: "wecom".into(),
            state: ChannelState::Connecting,
            last_inbound_at: None,
            reconnects: 0,
            last_error: None,
            next_retry_at: None,
        })
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_answered_once_on_its_req_id_even_when_redelivered() {
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    let req_id = s.fake.push_text("zhangsan", None, "msg-1", "/help");
    wait_for("a reply", || !s.fake.replies().is_empty()).await;
    // The platform redelivers the same msgid under a fresh req_id.
    let again = s.fake.push_text("zhangsan", None, "msg-1", "/help");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replies = s.fake.replies();
    assert_eq!(replies.len(), 1, "one reply for one message: {replies:?}");
    assert_eq!(
        replies[0].req_id, req_id,
        "the reply uses the push's req_id"
    );
    assert!(!replies[0].content.is_empty(), "the reply has text");
    assert!(
        !replies.iter().any(|r| r.req_id == again),
        "the redelivery is not answered"
    );
    assert!(
        s.fake.sent().is_empty(),
        "nothing went proactively: {:?}",
        s.fake.sent()
    );
    assert!(
        s.fake.violations().is_empty(),
        "protocol kept: {:?}",
        s.fake.violations()
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_message_is_answered_in_its_group() {
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    let req_id = s
        .fake
        .push_text("zhangsan", Some("wr-group"), "msg-g", "/whoami");
    wait_for("a reply", || !s.fake.replies().is_empty()).await;
    let replies = s.fake.replies();
    assert_eq!(
        replies[0].req_id, req_id,
        "group reply on the push's req_id"
    );
    assert!(
        replies[0].content.contains("zhangsan"),
        "whoami names the sender: {:?}",
        replies[0].content
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_fails_the_channel_without_retrying() {
    let s = setup("wrong", Rules::default()).await;
    wait_for("failed health", || {
        health(&s.engine).state == ChannelState::Failed
    })
    .await;
    let h = health(&s.engine);
    let error = h.last_error.unwrap_or_default();
    assert!(
        error.contains("853000"),
        "the server's code is shown: {error}"
    );
    assert!(
        error.contains("molten secret set wecom.team"),
        "the fix is named: {error}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.fake.auth_failures(),
        1,
        "no retry loop after a refused secret"
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kicked_bot_stops_instead_of_fighting() {
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    s.fake.kick();
    wait_for("failed health", || {
        health(&s.engine).state == ChannelState::Failed
    })
    .await;
    let error = health(&s.engine).last_error.unwrap_or_default();
    assert!(error.contains(KICKED), "the kick is explained: {error}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.fake.connections(),
        1,
        "no reconnect that would kick the other client"
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_replaced_within_two_heartbeats() {
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    wait_for("connected health", || {
        health(&s.engine).state == ChannelState::Connected
    })
    .await;
    s.fake.set_silent(true);
    let went_silent = std::time::Instant::now();
    wait_for("a second connection", || s.fake.connections() >= 2).await;
    let took = went_silent.elapsed();
    // Two heartbeat intervals of silence, then the backoff (≤ 100 ms) and
    // the reconnect itself, with slack for a loaded machine.
    let limit = HEARTBEAT * 2 + Duration::from_millis(600);
    assert!(took < limit, "replaced after {took:?}, more than {limit:?}");
    assert!(
        health(&s.engine).reconnects >= 1,
        "health counts the reconnect"
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_stops_pinging_is_dropped_by_the_fake() {
    // The fake enforces the ping deadline; a healthy bot pings well within it.
    let rules = Rules {
        ping_deadline: HEARTBEAT * 2,
        ..Rules::default()
    };
    let s = setup(SECRET, rules).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    tokio::time::sleep(HEARTBEAT * 4).await;
    assert_eq!(
        s.fake.connections(),
        1,
        "pings arrive in time: one connection"
    );
    assert!(
        s.fake.violations().is_empty(),
        "no violations: {:?}",
        s.fake.violations()
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_replies_are_split_and_expired_req_ids_fall_back_to_proactive_sends() {
    use molten_core::{Channel, ChannelEvent, ConversationRef, OutboundMessage};
    let rules = Rules {
        reply_window: Duration::from_millis(300),
        ..Rules::default()
    };
    let fake = FakeWeCom::start(BOT, SECRET, rules).await;
    let config = WeComConfig {
        id: "team".into(),
        bot_id: BOT.into(),
        secret: "wecom.team".into(),
        url: fake.url.clone(),
    };
    let channel = WeComChannel::new(config, Some(Arc::new(OneSecret(SECRET.into()))))
        .with_heartbeat(HEARTBEAT);
    let mut events = channel.connect().await.expect("connects");
    let req_id = fake.push_text("lisi", None, "msg-long", "tell me everything");
    let ack = loop {
        match events.recv().await.expect("the push arrives") {
            ChannelEvent::Message(m, ack) => {
                assert_eq!(m.sender.to_string(), "wecom.team:lisi", "sender identity");
                break ack;
            }
            _ => continue,
        }
    };
    ack.ack(); // recorded: the req_id may now be replied to
    let long = "好".repeat(10_000); // 30000 bytes: more than one frame holds
    let reply = OutboundMessage {
        outbox_id: 7,
        conversation: ConversationRef::new("wecom.team", "lisi"),
        text: long.clone(),
        reply_to: Some(1),
    };
    channel.send(&reply).await.expect("the long reply is sent");
    let replies = fake.replies();
    assert_eq!(replies.len(), 1, "one stream reply: {replies:?}");
    assert_eq!(replies[0].req_id, req_id, "on the push's req_id");
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "the rest went proactively");
    assert_eq!(
        replies[0].content.clone() + &sent[0].1,
        long,
        "nothing lost in the split"
    );

    tokio::time::sleep(Duration::from_millis(400)).await; // the req_id expires
    let late = OutboundMessage {
        outbox_id: 8,
        text: "late".into(),
        ..reply
    };
    channel
        .send(&late)
        .await
        .expect("an expired req_id falls back");
    assert_eq!(fake.replies().len(), 1, "no reply on the expired req_id");
    assert_eq!(
        fake.sent().last().map(|s| s.1.as_str()),
        Some("late"),
        "sent proactively"
    );
    drop(events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_real_client_kicks_the_first_which_does_not_kick_back() {
    use molten_core::Channel;
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    let config = WeComConfig {
        id: "team".into(),
        bot_id: BOT.into(),
        secret: "wecom.team".into(),
        url: s.fake.url.clone(),
    };
    let other = WeComChannel::new(config, Some(Arc::new(OneSecret(SECRET.into()))))
        .with_heartbeat(HEARTBEAT);
    let mut other_events = other.connect().await.expect("the other client connects");
    wait_for("failed health", || {
        health(&s.engine).state == ChannelState::Failed
    })
    .await;
    let error = health(&s.engine).last_error.unwrap_or_default();
    assert!(error.contains(KICKED), "the kick is explained: {error}");
    tokio::time::sleep(HEARTBEAT * 3).await;
    assert_eq!(
        s.fake.connections(),
        2,
        "the engine did not reconnect and kick back"
    );
    // The newer client is still the live one: it keeps hearing ping acks.
    assert!(s.fake.is_connected(), "the other client stays connected");
    while let Ok(event) = other_events.try_recv() {
        assert!(
            !matches!(event, molten_core::ChannelEvent::Closed(_)),
            "the other client was not closed: {event:?}"
        );
    }
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enter_chat_event_keeps_the_connection_and_adds_no_message() {
    let s = setup(SECRET, Rules::default()).await;
    wait_for("the bot to subscribe", || s.fake.is_connected()).await;
    s.fake.push_enter_chat("zhangsan");
    tokio::time::sleep(HEARTBEAT * 2).await;
    assert_eq!(
        health(&s.engine).state,
        ChannelState::Connected,
        "still connected"
    );
    assert_eq!(s.fake.connections(), 1, "no reconnect over an event");
    assert!(
        s.fake.replies().is_empty() && s.fake.sent().is_empty(),
        "an event is not a message to answer"
    );
    s.engine.shutdown().await;
}

#[test]
fn config_yaml_builds_one_wecom_channel_per_bot() {
    let yaml =
        "channels:\n  wecom:\n    - id: team\n      bot_id: aib1\n      secret: wecom.team\n";
    let config = molten_engine::Config::parse(yaml, "config.yaml").expect("the example parses");
    let channels = molten_engine::channels::registry::from_config(&config, None);
    let ids: Vec<String> = channels.iter().map(|c| c.id().to_string()).collect();
    assert_eq!(
        ids,
        vec!["wecom.team".to_string()],
        "one channel named after its id"
    );
    assert_eq!(channels[0].kind(), "wecom", "its kind");
    assert_eq!(
        channels[0].heartbeat_interval(),
        Some(Duration::from_secs(30)),
        "the SDK's 30 s ping"
    );
    let bad = "channels:\n  wecom:\n    - id: team\n      bot_id: aib1\n      secret: s\n      token: x\n";
    assert!(
        molten_engine::Config::parse(bad, "config.yaml").is_err(),
        "an unknown key in a wecom entry is refused"
    );
}
