//! The DingTalk channel against a fake DingTalk that enforces the protocol:
//! messages reach the engine through the real supervisor, inbox and router and
//! are answered once through the session webhook; ACKs follow the inbox
//! write; lost ACKs and duplicates are answered once; `disconnect` and a
//! silent server lead to a reconnect with a fresh ticket; a wrong secret stops
//! the channel; an expired webhook falls back to the OpenAPI with a token.

mod common;
#[path = "fakes/dingtalk.rs"]
mod fake;

use async_trait::async_trait;
use common::*;
use fake::{FakeDingTalk, Options};
use molten_core::{ChannelState, SecretVault, Sensitive, Store, SystemClock, VaultError};
use molten_engine::channels::dingtalk::{DingTalkChannel, DingTalkConfig};
use molten_engine::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHANNEL: &str = "dingtalk.work";
const SECRET_NAME: &str = "dingtalk.work.secret";

/// A vault holding one secret in memory.
struct MemoryVault(Mutex<HashMap<String, String>>);

#[async_trait]
impl SecretVault for MemoryVault {
    async fn set(&self, name: &str, value: Sensitive<String>) -> Result<(), VaultError> {
        self.0
            .lock()
            .expect("lock")
            .insert(name.into(), value.expose().clone());
        Ok(())
    }
    async fn get(&self, name: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        Ok(self
            .0
            .lock()
            .expect("lock")
            .get(name)
            .cloned()
            .map(Sensitive::new))
    }
    async fn delete(&self, name: &str) -> Result<bool, VaultError> {
        Ok(self.0.lock().expect("lock").remove(name).is_some())
    }
    async fn names(&self) -> Result<Vec<String>, VaultError> {
        Ok(self.0.lock().expect("lock").keys().cloned().collect())
    }
}

fn channel(fake: &FakeDingTalk, secret: &str, ping_every: Duration) -> Arc<DingTalkChannel> {
    let config: DingTalkConfig = serde_yaml::from_str(&format!(
        "id: work\nclient_id: dingfakeclient\nclient_secret: {SECRET_NAME}\nendpoint: {}\n",
        fake.endpoint
    ))
    .expect("config parses");
    let vault = MemoryVault(Mutex::new(HashMap::from([(
        SECRET_NAME.to_string(),
        secret.to_string(),
    )])));
    Arc::new(DingTalkChannel::new(config, Some(Arc::new(vault))).with_ping_every(ping_every))
}

fn fast_config() -> molten_engine::Config {
    let mut c = quiet_config();
    c.channels.local.enabled = false;
    c.supervisor.backoff_initial_ms = std::num::NonZeroU32::MIN.saturating_add(19);
    c.supervisor.backoff_max_ms = std::num::NonZeroU32::MIN.saturating_add(99);
    c
}

async fn start_engine(dir: &std::path::Path, chan: Arc<DingTalkChannel>) -> Engine {
    let (engine, _) = start_with(dir, Arc::new(SystemClock), fast_config(), vec![chan]).await;
    engine
        .gate()
        .set_user_role(&format!("{CHANNEL}:staff1"), Some("user"))
        .expect("staff1 is a known user");
    engine
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn connected(fake: &FakeDingTalk, n: usize) {
    wait_for(&format!("connection #{n}"), || {
        fake.with_record(|r| r.tickets_used.len()) >= n && fake.live_connections() >= 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_recorded_before_its_ack_and_answered_once_by_webhook() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options::default()).await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "fake-secret", Duration::from_secs(5)),
    )
    .await;
    connected(&fake, 1).await;

    let store = molten_engine::store::SqliteStore::open(&dir.path().join("molten.db"))
        .expect("second handle");
    let in_inbox_at_ack = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&in_inbox_at_ack);
    fake.on_ack(Arc::new(move |message_id: String| {
        let store = store.clone();
        let seen = Arc::clone(&seen);
        Box::pin(async move {
            let row = store
                .inbound_by_platform_id(CHANNEL, &format!("msg{message_id}"))
                .await
                .expect("query");
            seen.lock().expect("lock").push(row.is_some());
        })
    }));

    fake.push_bot_message(json!({"text": {"content": " /whoami"}}));
    wait_for("the webhook reply", || {
        fake.with_record(|r| !r.webhook_posts.is_empty())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let posts = fake.with_record(|r| r.webhook_posts.clone());
    assert_eq!(posts.len(), 1, "one reply for one message: {posts:?}");
    assert_eq!(
        posts[0]["msgtype"], "markdown",
        "replies are markdown: {}",
        posts[0]
    );
    let text = posts[0]["markdown"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("staff1"),
        "/whoami answers with the sender's identity: {text}"
    );
    assert_eq!(
        *in_inbox_at_ack.lock().expect("lock"),
        vec![true],
        "the ACK arrived once, after the inbox row existed"
    );

    // A group message with rich text and a picture: answered with an @mention.
    fake.push_bot_message(json!({
        "msgtype": "richText", "conversationId": "cid-group-1", "conversationType": "2",
        "content": {"richText": [{"text": " /whoami"}, {"downloadCode": "dl1", "type": "picture"}]},
    }));
    wait_for("the group reply", || {
        fake.with_record(|r| r.webhook_posts.len() >= 2)
    })
    .await;
    let group = fake.with_record(|r| r.webhook_posts[1].clone());
    assert_eq!(
        group["at"]["atUserIds"],
        json!(["staff1"]),
        "the group reply @s the sender: {group}"
    );
    let (bad, pings) = fake.with_record(|r| (r.bad_acks.clone(), r.ping_acks));
    assert!(bad.is_empty(), "every ACK followed the protocol: {bad:?}");
    assert!(
        pings > 0,
        "SYSTEM pings were answered with their opaque echoed"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_acks_and_duplicates_are_answered_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options {
        redeliver_callbacks: true,
        redeliver_after: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "fake-secret", Duration::from_secs(5)),
    )
    .await;
    connected(&fake, 1).await;

    fake.lose_acks(1);
    let id = fake.push_bot_message(json!({"text": {"content": "/whoami"}}));
    wait_for("the redelivery to be ACKed", || {
        fake.with_record(|r| {
            r.redeliveries >= 1 && r.acks.iter().any(|a| a["headers"]["messageId"] == id)
        })
    })
    .await;
    let dup = fake.push_bot_message(json!({"msgId": "second", "text": {"content": "/whoami"}}));
    fake.duplicate_after_ack(&dup);
    wait_for("the duplicate to be ACKed", || {
        fake.with_record(|r| {
            r.acks
                .iter()
                .filter(|a| a["headers"]["messageId"] == dup)
                .count()
                >= 2
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let posts = fake.with_record(|r| r.webhook_posts.len());
    assert_eq!(
        posts, 2,
        "two messages, each answered once despite redelivery and a duplicate"
    );
    let bad = fake.with_record(|r| r.bad_acks.clone());
    assert!(bad.is_empty(), "every ACK followed the protocol: {bad:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_reconnects_with_a_fresh_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options::default()).await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "fake-secret", Duration::from_secs(5)),
    )
    .await;
    connected(&fake, 1).await;
    fake.send_disconnect();
    connected(&fake, 2).await;
    let (issued, used, refused) = fake.with_record(|r| {
        (
            r.tickets_issued.clone(),
            r.tickets_used.clone(),
            r.handshakes_refused.clone(),
        )
    });
    assert_ne!(used[0], used[1], "the second connection used a new ticket");
    assert_eq!(
        issued.len(),
        2,
        "one ticket requested per connection: {issued:?}"
    );
    assert!(refused.is_empty(), "no handshake was refused: {refused:?}");

    // The fake refuses a ticket used once.
    let reuse = format!("{}?ticket={}", fake.endpoint_ws(), used[0]);
    assert!(
        tokio_tungstenite::connect_async(reuse).await.is_err(),
        "a used ticket opens nothing"
    );
    assert!(
        fake.with_record(|r| r
            .handshakes_refused
            .iter()
            .any(|h| h.contains("already used"))),
        "the fake refused the reused ticket"
    );
    fake.push_bot_message(json!({"text": {"content": "/whoami"}}));
    wait_for("a reply on the new connection", || {
        fake.with_record(|r| r.webhook_posts.len() == 1)
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_fails_the_channel_without_retrying() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options::default()).await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "not-the-secret", Duration::from_secs(5)),
    )
    .await;
    wait_for("the failed state", || {
        engine
            .health()
            .channels
            .iter()
            .any(|c| c.id == CHANNEL && c.state == ChannelState::Failed)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        fake.with_record(|r| r.ticket_requests),
        1,
        "no retry loop on refused credentials"
    );
    let h = engine.health();
    let error = h
        .channels
        .iter()
        .find(|c| c.id == CHANNEL)
        .and_then(|c| c.last_error.clone())
        .unwrap_or_default();
    assert!(
        error.contains("credentials refused by dingtalk") && error.contains("client secret"),
        "the error says what to fix: {error}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_replaced_within_two_heartbeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options::default()).await;
    let heartbeat = Duration::from_millis(300);
    let engine = start_engine(dir.path(), channel(&fake, "fake-secret", heartbeat)).await;
    connected(&fake, 1).await;
    tokio::time::sleep(heartbeat * 3).await;
    assert_eq!(
        fake.with_record(|r| r.tickets_used.len()),
        1,
        "a live server keeps its connection"
    );
    let silent_from = Instant::now();
    fake.go_silent();
    wait_for("a new connection", || {
        fake.with_record(|r| r.tickets_used.len()) >= 2
    })
    .await;
    let took = silent_from.elapsed();
    // Two intervals, plus at most one backoff step (100 ms) and some slack.
    assert!(
        took <= heartbeat * 2 + Duration::from_millis(400),
        "replaced in {took:?}"
    );
    assert!(
        took >= heartbeat,
        "not replaced while it could still be alive: {took:?}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_webhook_falls_back_to_the_openapi_with_a_cached_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options {
        session_ttl: Duration::ZERO,
        ..Options::default()
    })
    .await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "fake-secret", Duration::from_secs(5)),
    )
    .await;
    connected(&fake, 1).await;
    fake.push_bot_message(json!({"text": {"content": "/whoami"}}));
    fake.push_bot_message(json!({"text": {"content": "/help"}}));
    wait_for("two OpenAPI sends", || {
        fake.with_record(|r| r.openapi_sends.len() >= 2)
    })
    .await;
    let (sends, tokens, refused) = fake.with_record(|r| {
        (
            r.openapi_sends.clone(),
            r.token_requests,
            r.openapi_refusals.clone(),
        )
    });
    assert_eq!(tokens, 1, "the token is cached between sends");
    assert!(
        refused.is_empty(),
        "every send carried a valid token and body: {refused:?}"
    );
    assert_eq!(
        sends[0].0, "/v1.0/robot/oToMessages/batchSend",
        "a 1:1 chat goes to batchSend"
    );
    assert_eq!(
        sends[0].1["userIds"],
        json!(["staff1"]),
        "addressed to the sender: {}",
        sends[0].1
    );
    let param: Value = serde_json::from_str(sends[0].1["msgParam"].as_str().unwrap_or_default())
        .expect("msgParam is a JSON string");
    assert!(
        param["text"].as_str().is_some_and(|t| t.contains("staff1")),
        "the reply text: {param}"
    );

    fake.revoke_tokens();
    fake.push_bot_message(json!({"text": {"content": "/whoami"}}));
    wait_for("a send after the token was revoked", || {
        fake.with_record(|r| r.openapi_sends.len() >= 3)
    })
    .await;
    assert_eq!(
        fake.with_record(|r| r.token_requests),
        2,
        "a 401 fetches a new token once"
    );
    assert!(
        fake.with_record(|r| r.webhook_posts.is_empty()),
        "expired webhooks are not used"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_acked_with_success_and_redelivered_when_the_ack_is_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeDingTalk::start(Options {
        redeliver_after: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let engine = start_engine(
        dir.path(),
        channel(&fake, "fake-secret", Duration::from_secs(5)),
    )
    .await;
    connected(&fake, 1).await;
    fake.lose_acks(1);
    let id = fake.push_event("chat_update_title", json!({"title": "new"}));
    wait_for("the redelivered event to be ACKed", || {
        fake.with_record(|r| r.acks.iter().any(|a| a["headers"]["messageId"] == id))
    })
    .await;
    let (acks, redeliveries, bad) =
        fake.with_record(|r| (r.acks.clone(), r.redeliveries, r.bad_acks.clone()));
    assert!(redeliveries >= 1, "the un-ACKed event was pushed again");
    let ack = acks
        .iter()
        .find(|a| a["headers"]["messageId"] == id)
        .expect("the event's ACK");
    let data: Value = serde_json::from_str(ack["data"].as_str().unwrap_or_default())
        .expect("data is a JSON string");
    assert_eq!(
        data["status"], "SUCCESS",
        "an event ACK carries a status: {ack}"
    );
    assert!(bad.is_empty(), "every ACK followed the protocol: {bad:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.with_record(|r| r.webhook_posts.is_empty() && r.openapi_sends.is_empty()),
        "an event is not answered as a message"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_refuses_expired_and_unknown_tickets() {
    let fake = FakeDingTalk::start(Options {
        ticket_ttl: Duration::from_millis(100),
        ..Options::default()
    })
    .await;
    let url = fake.ticket_url().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio_tungstenite::connect_async(url).await.is_err(),
        "an expired ticket opens nothing"
    );
    let unknown = format!("{}?ticket=never-issued", fake.endpoint_ws());
    assert!(
        tokio_tungstenite::connect_async(unknown).await.is_err(),
        "an unknown ticket opens nothing"
    );
    let refused = fake.with_record(|r| r.handshakes_refused.clone());
    assert!(
        refused.iter().any(|r| r.contains("expired"))
            && refused.iter().any(|r| r.contains("unknown")),
        "both refusals recorded: {refused:?}"
    );
    let fresh = fake.ticket_url().await;
    assert!(
        tokio_tungstenite::connect_async(fresh).await.is_ok(),
        "a fresh ticket connects"
    );
}

#[tokio::test]
async fn the_registry_builds_configured_channels_that_need_the_vault() {
    let config = molten_engine::Config::parse(
        "channels:\n  dingtalk:\n    - id: work\n      client_id: dingabc\n      client_secret: dingtalk.work\n",
        "config.yaml",
    )
    .expect("a DingTalk entry parses");
    let channels = molten_engine::channels::registry::from_config(&config, None);
    let ding = channels
        .iter()
        .find(|c| c.kind() == "dingtalk")
        .expect("the DingTalk channel is built");
    assert_eq!(ding.id().as_str(), CHANNEL, "named dingtalk.<id>");
    match ding.connect().await {
        Err(molten_core::ChannelError::Credentials { detail, .. }) => assert!(
            detail.contains("vault is locked") && detail.contains("dingtalk.work"),
            "says which secret and why: {detail}"
        ),
        other => panic!("a locked vault must stop the channel: {other:?}"),
    }
    let bad = molten_engine::Config::parse(
        "channels:\n  dingtalk:\n    - id: work\n      client_id: a\n      client_secret: b\n      secret: c\n",
        "config.yaml",
    );
    assert!(bad.is_err(), "unknown keys are refused");
}

#[tokio::test]
async fn a_long_reply_is_split_and_custom_robot_urls_are_signed() {
    let fake = FakeDingTalk::start(Options::default()).await;
    let chan = channel(&fake, "fake-secret", Duration::from_secs(5));
    let mut events = molten_core::Channel::connect(chan.as_ref())
        .await
        .expect("connects");
    fake.push_bot_message(json!({"conversationId": "cid-long"}));
    let (conversation, ack) = loop {
        match events.recv().await.expect("an event") {
            molten_core::ChannelEvent::Message(m, ack) => break (m.conversation, ack),
            _ => continue,
        }
    };
    ack.ack();
    let line = format!("{}\n", "字".repeat(99));
    let text = line.repeat(80); // 8000 characters
    let out = molten_core::OutboundMessage {
        outbox_id: 1,
        conversation,
        text: text.clone(),
        reply_to: None,
    };
    molten_core::Channel::send(chan.as_ref(), &out)
        .await
        .expect("sent");
    let posts = fake.with_record(|r| r.webhook_posts.clone());
    assert!(
        posts.len() >= 3,
        "8000 characters need several messages: {}",
        posts.len()
    );
    let parts: Vec<&str> = posts
        .iter()
        .map(|p| p["markdown"]["text"].as_str().unwrap_or_default())
        .collect();
    assert!(
        parts.iter().all(|p| p.chars().count() <= 3500),
        "each part within the limit"
    );
    assert_eq!(
        parts.concat(),
        text,
        "the parts add up to the reply, in order"
    );

    // The custom robot signature, checked by the fake exactly as §6 says.
    let now = chrono::Utc::now().timestamp_millis();
    let base = format!(
        "{}/robot/send?access_token={}",
        fake.endpoint,
        fake::CUSTOM_ROBOT_TOKEN
    );
    let client = reqwest::Client::new();
    let body = json!({"msgtype": "text", "text": {"content": "hi"}});
    for (secret, expect) in [(fake::CUSTOM_ROBOT_SECRET, 0), ("SECwrong", 310000)] {
        let url =
            molten_engine::channels::dingtalk::sign::signed_custom_robot_url(&base, secret, now)
                .expect("url");
        let answer: Value = client
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["errcode"], expect, "secret {secret}: {answer}");
    }
}

#[tokio::test]
async fn a_webhook_that_ends_early_hands_over_to_the_openapi() {
    let fake = FakeDingTalk::start(Options::default()).await;
    let chan = channel(&fake, "fake-secret", Duration::from_secs(5));
    let mut events = molten_core::Channel::connect(chan.as_ref())
        .await
        .expect("connects");
    fake.push_bot_message(json!({"conversationId": "cid-group-9", "conversationType": "2"}));
    let conversation = loop {
        if let molten_core::ChannelEvent::Message(m, ack) = events.recv().await.expect("an event") {
            ack.ack();
            break m.conversation;
        }
    };
    fake.end_sessions();
    let out = molten_core::OutboundMessage {
        outbox_id: 7,
        conversation,
        text: "hi".into(),
        reply_to: None,
    };
    let key = molten_core::Channel::send(chan.as_ref(), &out)
        .await
        .expect("sent");
    let (refused, sends) =
        fake.with_record(|r| (r.webhook_refusals.len(), r.openapi_sends.clone()));
    assert_eq!(refused, 1, "the webhook was tried first and refused");
    assert_eq!(sends.len(), 1, "then the OpenAPI carried the reply once");
    assert_eq!(
        sends[0].0, "/v1.0/robot/groupMessages/send",
        "a group goes to groupMessages/send"
    );
    assert_eq!(
        sends[0].1["openConversationId"], "cid-group-9",
        "to the same conversation"
    );
    assert!(key.is_some(), "the processQueryKey is the platform id");
}
