//! A supervisor owns one channel's life: connect, record every inbound message
//! in the inbox before acknowledging it, hand it to the router, and reconnect
//! forever with capped, jittered backoff. A connection silent for two
//! heartbeat intervals is a zombie and is replaced. Credential errors stop the
//! retries and say why, until the user acts (pause/resume).

use crate::backoff::Backoff;
use crate::health_board::HealthBoard;
use crate::router::Router;
use molten_core::{
    Ack, Channel, ChannelError, ChannelEvent, ChannelState, Clock, InboundMessage, Store,
    StoredMessage,
};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

pub struct Supervisor {
    pub channel: Arc<dyn Channel>,
    pub store: Arc<dyn Store>,
    pub router: Router,
    pub board: Arc<HealthBoard>,
    pub clock: Arc<dyn Clock>,
    pub entries: broadcast::Sender<StoredMessage>,
    pub backoff: Backoff,
    /// Wakes the outbox when the channel (re)connects.
    pub on_connected: Arc<tokio::sync::Notify>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// How a live connection ended.
enum Ended {
    Shutdown,
    Paused,
    Dropped(Option<ChannelError>),
}

impl Supervisor {
    fn set(&self, f: impl FnOnce(&mut molten_core::ChannelHealth)) {
        self.board
            .update(self.channel.id().as_str(), self.channel.kind(), f);
    }

    pub async fn run(
        mut self,
        mut paused: watch::Receiver<bool>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        self.set(|h| h.state = ChannelState::Connecting);
        loop {
            if *shutdown.borrow() {
                self.set(|h| h.state = ChannelState::Stopped);
                return;
            }
            if *paused.borrow() {
                self.set(|h| {
                    h.state = ChannelState::Paused;
                    h.next_retry_at = None;
                });
                tokio::select! {
                    _ = paused.changed() => {}
                    _ = shutdown.changed() => {}
                }
                self.backoff.reset();
                continue;
            }
            self.set(|h| h.state = ChannelState::Connecting);
            let connected = tokio::select! {
                r = self.channel.connect() => r,
                _ = shutdown.changed() => continue,
                _ = paused.changed() => continue,
            };
            let error = match connected {
                Ok(events) => {
                    self.set(|h| {
                        h.state = ChannelState::Connected;
                        h.last_error = None;
                        h.next_retry_at = None;
                    });
                    self.on_connected.notify_one();
                    match self.pump(events, &mut paused, &mut shutdown).await {
                        Ended::Shutdown => continue,
                        Ended::Paused => continue,
                        Ended::Dropped(e) => {
                            self.set(|h| h.reconnects += 1);
                            e
                        }
                    }
                }
                Err(e) => Some(e),
            };
            if let Some(e) = &error {
                if !e.is_retryable() {
                    tracing::error!(channel = %self.channel.id(), error = %e, "channel stopped: retrying cannot help");
                    self.set(|h| {
                        h.state = ChannelState::Failed;
                        h.last_error = Some(e.to_string());
                        h.next_retry_at = None;
                    });
                    // Wait for the user: pausing and resuming tries again.
                    tokio::select! {
                        _ = paused.changed() => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            }
            let delay = error
                .as_ref()
                .and_then(ChannelError::retry_after)
                .unwrap_or_else(|| self.backoff.next_delay());
            let retry_at = self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
            tracing::warn!(channel = %self.channel.id(), ?delay, error = ?error, "reconnecting after a pause");
            self.set(|h| {
                h.state = ChannelState::Backoff;
                h.last_error = error
                    .as_ref()
                    .map(ToString::to_string)
                    .or(h.last_error.take());
                h.next_retry_at = Some(retry_at);
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
                _ = paused.changed() => {}
            }
        }
    }

    /// Reads one connection until it ends.
    async fn pump(
        &mut self,
        mut events: molten_core::ChannelEvents,
        paused: &mut watch::Receiver<bool>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Ended {
        let zombie_after = self.channel.heartbeat_interval().map(|h| h * 2);
        loop {
            let next = async {
                match zombie_after {
                    Some(limit) => tokio::time::timeout(limit, events.recv()).await.ok(),
                    None => Some(events.recv().await),
                }
            };
            let event = tokio::select! {
                e = next => e,
                _ = shutdown.changed() => return Ended::Shutdown,
                _ = paused.changed() => return Ended::Paused,
            };
            match event {
                None => {
                    tracing::warn!(channel = %self.channel.id(), "no sign of life for two heartbeat intervals: reconnecting");
                    return Ended::Dropped(Some(ChannelError::Transient(
                        "connection went silent (zombie)".into(),
                    )));
                }
                Some(None) => return Ended::Dropped(None),
                Some(Some(ChannelEvent::Alive)) => {}
                Some(Some(ChannelEvent::Closed(e))) => return Ended::Dropped(Some(e)),
                Some(Some(ChannelEvent::Message(msg, ack))) => {
                    let at = self.clock.now();
                    self.set(|h| h.last_inbound_at = Some(at));
                    if let Err(e) = self.ingest(msg, ack).await {
                        // Not acknowledged: the platform redelivers it.
                        tracing::error!(channel = %self.channel.id(), error = %e, "could not record an inbound message");
                        self.set(|h| h.last_error = Some(format!("{e}: {}", e.hint())));
                    }
                }
            }
        }
    }

    /// Inbox first, then the ack, then the router.
    async fn ingest(&self, msg: InboundMessage, ack: Ack) -> Result<(), crate::error::EngineError> {
        let (row, duplicate) = self.store.insert_inbound(&msg).await?;
        let channel = msg.conversation.channel.as_str();
        let counter = if duplicate {
            "molten_inbound_duplicates_total"
        } else {
            "molten_inbound_messages_total"
        };
        self.metrics.count(counter, channel);
        ack.ack();
        if duplicate {
            tracing::debug!(id = row.id, "redelivered message ignored");
            return Ok(());
        }
        let _ = self.entries.send(row.clone());
        self.router.submit(row).await
    }
}
