//! Delivery of the durable outbox: per channel, in order, with retries.
//!
//! A reply is stored before it is sent and marked sent after; a crash between
//! the two resends it on restart with the same outbox id, which platforms with
//! idempotent sends use as the key, so it is not delivered twice.

use crate::backoff::Backoff;
use molten_core::{Channel, ChannelError, Clock, OutboundMessage, Store, StoredMessage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

/// Wakes a channel's delivery task when it has something new to send.
#[derive(Clone, Default)]
pub struct OutboxWakers(Arc<Mutex<HashMap<String, Arc<Notify>>>>);

impl OutboxWakers {
    pub fn for_channel(&self, channel: &str) -> Arc<Notify> {
        match self.0.lock() {
            Ok(mut m) => Arc::clone(m.entry(channel.to_string()).or_default()),
            Err(_) => Arc::new(Notify::new()),
        }
    }

    pub fn wake(&self, channel: &str) {
        self.for_channel(channel).notify_one();
    }

    pub fn wake_all(&self) {
        if let Ok(m) = self.0.lock() {
            m.values().for_each(|n| n.notify_one());
        }
    }
}

pub struct Delivery {
    pub channel: Arc<dyn Channel>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub entries: broadcast::Sender<StoredMessage>,
    pub wake: Arc<Notify>,
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Delivery {
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let id = self.channel.id().to_string();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pending = match self.store.pending_outbound(&id).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(channel = %id, error = %e, "cannot read the outbox");
                    if self.pause(Duration::from_secs(1), &mut shutdown).await {
                        return;
                    }
                    continue;
                }
            };
            if pending.is_empty() {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            for row in pending {
                if let Some(delay) = self.deliver(row).await {
                    if self.pause(delay, &mut shutdown).await {
                        return;
                    }
                    // Start over from the oldest so order holds.
                    break;
                }
            }
        }
    }

    /// Sends one row; returns a delay when delivery must wait and retry.
    async fn deliver(&mut self, row: StoredMessage) -> Option<Duration> {
        let msg = OutboundMessage {
            outbox_id: row.id,
            conversation: row.conversation.clone(),
            text: row.text.clone(),
            reply_to: row.reply_to,
        };
        match self.channel.send(&msg).await {
            Ok(platform_id) => {
                self.backoff.reset();
                self.metrics
                    .count("molten_outbound_sent_total", self.channel.id().as_str());
                match self
                    .store
                    .mark_sent(row.id, platform_id, self.clock.now())
                    .await
                {
                    Ok(sent) => {
                        let _ = self.entries.send(sent);
                        None
                    }
                    Err(e) => {
                        tracing::error!(id = row.id, error = %e, "sent but could not record it");
                        Some(Duration::from_secs(1))
                    }
                }
            }
            // Paused or reconnecting: wait to be woken, do not count attempts.
            Err(ChannelError::NotRunning) => Some(Duration::from_secs(3600)),
            Err(e) => {
                self.metrics
                    .count("molten_outbound_errors_total", self.channel.id().as_str());
                let give_up = !e.is_retryable() || row.attempts + 1 >= self.max_attempts;
                tracing::warn!(id = row.id, error = %e, give_up, "send failed");
                if let Ok(r) = self
                    .store
                    .mark_send_failed(row.id, &e.to_string(), give_up)
                    .await
                {
                    let _ = self.entries.send(r);
                }
                (!give_up).then(|| e.retry_after().unwrap_or_else(|| self.backoff.next_delay()))
            }
        }
    }

    /// Waits `delay` or until woken; true when shutting down.
    async fn pause(&self, delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => false,
            _ = self.wake.notified() => false,
            _ = shutdown.changed() => true,
        }
    }
}
