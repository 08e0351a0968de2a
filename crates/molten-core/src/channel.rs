//! The `Channel` seam: connect to a platform for a stream of events, and send.
//!
//! A channel never stores or routes anything itself: the engine's supervisor
//! records every inbound message in the durable inbox *before* it calls the
//! message's [`Ack`], and the outbox calls [`Channel::send`] for replies.

use crate::error::ChannelError;
use crate::message::{ChannelId, InboundMessage, OutboundMessage};
use async_trait::async_trait;
use std::fmt;
use std::time::Duration;
use tokio::sync::mpsc;

/// The receiving half of a live connection. It ends (yields `None`) when the
/// connection is gone; the supervisor then reconnects.
pub type ChannelEvents = mpsc::Receiver<ChannelEvent>;

/// What a live connection reports.
#[derive(Debug)]
pub enum ChannelEvent {
    /// A message to record, then acknowledge with its [`Ack`].
    Message(InboundMessage, Ack),
    /// Proof of life with no message (a heartbeat answered, a poll returned
    /// empty). Keeps zombie detection quiet; does not count as inbound.
    Alive,
    /// The platform closed the connection, with its reason.
    Closed(ChannelError),
}

/// Acknowledges one inbound message to its platform. Dropping it without
/// calling [`Ack::ack`] leaves the message un-acknowledged, so the platform
/// redelivers it.
pub struct Ack(Option<Box<dyn FnOnce() + Send>>);

impl Ack {
    pub fn new(f: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(f)))
    }

    /// An ack for platforms with implicit confirmation (e.g. the next poll offset).
    pub fn noop() -> Self {
        Self(None)
    }

    pub fn ack(mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl fmt::Debug for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Ack(pending)"
        } else {
            "Ack(none)"
        })
    }
}

/// A chat platform connection (or the built-in local chat).
#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// The configured instance id, e.g. `local`.
    fn id(&self) -> &ChannelId;

    /// The platform kind, e.g. `local`, `dingtalk`.
    fn kind(&self) -> &'static str;

    /// How often a live connection proves itself (a heartbeat, a poll). The
    /// supervisor declares a connection dead after two intervals of silence.
    /// `None`: the channel has no liveness signal (the local chat).
    fn heartbeat_interval(&self) -> Option<Duration> {
        None
    }

    /// Opens a fresh connection (a fresh ticket or URL where the platform has
    /// one) and returns its events. Errors say whether retrying can help.
    async fn connect(&self) -> Result<ChannelEvents, ChannelError>;

    /// Sends one message; returns the platform's id for it when it has one.
    async fn send(&self, msg: &OutboundMessage) -> Result<Option<String>, ChannelError>;
}
