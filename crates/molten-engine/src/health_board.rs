//! The engine's live health: each channel's truth plus the router's queue,
//! published on a watch so the tray and `/health` see every change.

use molten_core::{ChannelHealth, ChannelState, Health};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug)]
pub struct HealthBoard {
    channels: Mutex<BTreeMap<String, ChannelHealth>>,
    paused: AtomicBool,
    depth: AtomicUsize,
    tx: watch::Sender<Health>,
}

impl HealthBoard {
    pub fn new() -> Arc<Self> {
        let (tx, _) = watch::channel(Health::summarize(false, 0, Vec::new()));
        Arc::new(Self {
            channels: Mutex::new(BTreeMap::new()),
            paused: AtomicBool::new(false),
            depth: AtomicUsize::new(0),
            tx,
        })
    }

    pub fn snapshot(&self) -> Health {
        let channels = self
            .channels
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        Health::summarize(
            self.paused.load(Ordering::SeqCst),
            self.depth.load(Ordering::SeqCst),
            channels,
        )
    }

    pub fn subscribe(&self) -> watch::Receiver<Health> {
        self.tx.subscribe()
    }

    fn publish(&self) {
        let next = self.snapshot();
        self.tx.send_if_modified(|cur| {
            if *cur == next {
                false
            } else {
                *cur = next;
                true
            }
        });
    }

    /// Registers a channel or changes its entry.
    pub fn update(&self, id: &str, kind: &str, f: impl FnOnce(&mut ChannelHealth)) {
        if let Ok(mut m) = self.channels.lock() {
            let entry = m.entry(id.to_string()).or_insert_with(|| ChannelHealth {
                id: id.to_string(),
                kind: kind.to_string(),
                state: ChannelState::Connecting,
                last_inbound_at: None,
                reconnects: 0,
                last_error: None,
                next_retry_at: None,
            });
            f(entry);
        }
        self.publish();
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.publish();
    }

    pub fn queue_add(&self) {
        if self.depth.fetch_add(1, Ordering::SeqCst) == 0 {
            self.publish();
        }
    }

    pub fn queue_done(&self) {
        let before = self
            .depth
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| {
                Some(d.saturating_sub(1))
            })
            .unwrap_or(0);
        if before <= 1 {
            self.publish();
        }
    }

    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::SeqCst)
    }
}
