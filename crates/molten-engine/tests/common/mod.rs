//! Shared helpers for the engine's integration tests.
#![allow(dead_code)]

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use molten_core::{Channel, ChannelError, ChannelEvent, ChannelEvents, ChannelId, OutboundMessage};
use molten_core::{Clock, Notification, Notifier};
use molten_engine::{ChatEntry, Config, DataDir, Engine, EngineOptions};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Records every notification with the clock's time when it was raised.
pub struct RecordingNotifier {
    pub clock: Arc<dyn Clock>,
    pub seen: Mutex<Vec<(Notification, DateTime<Utc>)>>,
}

impl Notifier for RecordingNotifier {
    fn notify(&self, n: Notification) {
        let at = self.clock.now();
        self.seen.lock().expect("notifier lock").push((n, at));
    }
}

pub fn quiet_config() -> Config {
    let mut c = Config::default();
    c.api.enabled = false;
    c.timezone = molten_engine::config::TimeZone(Some(chrono_tz::Asia::Shanghai));
    c
}

pub async fn start(
    dir: &std::path::Path,
    clock: Arc<dyn Clock>,
    config: Config,
) -> (Engine, Arc<RecordingNotifier>) {
    start_with(dir, clock, config, Vec::new()).await
}

pub async fn start_with(
    dir: &std::path::Path,
    clock: Arc<dyn Clock>,
    config: Config,
    channels: Vec<Arc<dyn molten_core::Channel>>,
) -> (Engine, Arc<RecordingNotifier>) {
    let notifier = Arc::new(RecordingNotifier {
        clock: Arc::clone(&clock),
        seen: Mutex::new(Vec::new()),
    });
    let engine = Engine::start(EngineOptions {
        data_dir: DataDir::at(dir),
        clock,
        notifier: notifier.clone(),
        config: Some(config),
        channels,
    })
    .await
    .expect("engine starts");
    (engine, notifier)
}

/// Sends through the local chat, retrying while the channel is still connecting.
pub async fn send(engine: &Engine, text: &str) -> ChatEntry {
    for _ in 0..200 {
        match engine.send_local(text.to_string(), None).await {
            Ok(e) => return e,
            Err(e) if e.code() == "channels_paused" => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            Err(e) => panic!("send {text:?} failed: {e}"),
        }
    }
    panic!("the local channel never connected");
}

/// Polls `f` every 10 ms for up to 5 s.
pub async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The scripted channel's live connection, once the supervisor has opened it.
pub async fn connected(chan: &Scripted) -> mpsc::Sender<ChannelEvent> {
    wait_for("the channel to connect", || chan.current().is_some()).await;
    chan.current().expect("connected")
}

/// Waits for the replies to an inbound entry.
pub async fn replies_to(engine: &Engine, id: i64) -> Vec<ChatEntry> {
    for _ in 0..500 {
        let (all, _) = engine.local_history(None, 500).await.expect("history");
        let replies: Vec<ChatEntry> = all.into_iter().filter(|e| e.reply_to == Some(id)).collect();
        if !replies.is_empty()
            && replies
                .iter()
                .all(|r| r.status == molten_core::MessageStatus::Sent)
        {
            return replies;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no reply to message {id}");
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

/// What the next `connect` does.
pub enum Connect {
    Fail(ChannelError),
    /// A connection whose event sender the test keeps.
    Live,
}

pub struct Scripted {
    pub id: ChannelId,
    pub script: Mutex<VecDeque<Connect>>,
    pub connects: AtomicUsize,
    pub heartbeat: Option<Duration>,
    pub live: Mutex<Vec<mpsc::Sender<ChannelEvent>>>,
    pub sent: Mutex<Vec<OutboundMessage>>,
    pub send_failures: AtomicUsize,
}

impl Scripted {
    pub fn new(script: Vec<Connect>, heartbeat: Option<Duration>) -> Arc<Self> {
        Arc::new(Self {
            id: ChannelId::new("fake"),
            script: Mutex::new(script.into()),
            connects: AtomicUsize::new(0),
            heartbeat,
            live: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
            send_failures: AtomicUsize::new(0),
        })
    }

    pub fn current(&self) -> Option<mpsc::Sender<ChannelEvent>> {
        self.live.lock().expect("lock").last().cloned()
    }
}

#[async_trait]
impl Channel for Scripted {
    fn id(&self) -> &ChannelId {
        &self.id
    }
    fn kind(&self) -> &'static str {
        "fake"
    }
    fn heartbeat_interval(&self) -> Option<Duration> {
        self.heartbeat
    }
    async fn connect(&self) -> Result<ChannelEvents, ChannelError> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        match self
            .script
            .lock()
            .expect("lock")
            .pop_front()
            .unwrap_or(Connect::Live)
        {
            Connect::Fail(e) => Err(e),
            Connect::Live => {
                let (tx, rx) = mpsc::channel(16);
                self.live.lock().expect("lock").push(tx);
                Ok(rx)
            }
        }
    }
    async fn send(&self, msg: &OutboundMessage) -> Result<Option<String>, ChannelError> {
        if self
            .send_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(ChannelError::Transient("503 from the platform".into()));
        }
        self.sent.lock().expect("lock").push(msg.clone());
        Ok(Some(format!("plat-{}", msg.outbox_id)))
    }
}
