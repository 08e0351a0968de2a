//! Shared helpers for the engine's integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use molten_core::{Clock, Notification, Notifier};
use molten_engine::{ChatEntry, Config, DataDir, Engine, EngineOptions};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
