//! The built-in local chat: the window's conversation with its owner.
//!
//! Its "platform" is the engine itself: a message submitted here is handed to
//! the supervisor like any other channel's, and `submit` returns only once the
//! inbox has recorded it (the ack). Replies need no transport: they are in the
//! store, and the window hears of them through the engine's entry events.

use async_trait::async_trait;
use chrono::Utc;
use molten_core::{
    Ack, Channel, ChannelError, ChannelEvent, ChannelEvents, ChannelId, ConversationRef, Identity,
    InboundMessage, OutboundMessage,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

pub const LOCAL_CHANNEL: &str = "local";
pub const OWNER: &str = "owner";

/// The one local conversation.
pub fn conversation() -> ConversationRef {
    ConversationRef::new(LOCAL_CHANNEL, OWNER)
}

#[derive(Debug)]
pub struct LocalChat {
    id: ChannelId,
    live: Mutex<Option<mpsc::Sender<ChannelEvent>>>,
    counter: AtomicU64,
}

impl Default for LocalChat {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalChat {
    pub fn new() -> Self {
        Self {
            id: ChannelId::new(LOCAL_CHANNEL),
            live: Mutex::new(None),
            counter: AtomicU64::new(0),
        }
    }

    fn live(&self) -> Option<mpsc::Sender<ChannelEvent>> {
        self.live
            .lock()
            .ok()
            .and_then(|g| g.clone())
            .filter(|tx| !tx.is_closed())
    }

    /// Hands a message from the owner to the engine and waits until it is
    /// recorded. `client_id` makes a retried submit a duplicate, not a copy.
    pub async fn submit(
        &self,
        text: String,
        client_id: Option<String>,
    ) -> Result<String, ChannelError> {
        let tx = self.live().ok_or(ChannelError::NotRunning)?;
        let platform_msg_id = client_id.unwrap_or_else(|| {
            format!(
                "local-{}-{}",
                Utc::now().timestamp_nanos_opt().unwrap_or_default(),
                self.counter.fetch_add(1, Ordering::Relaxed)
            )
        });
        let msg = InboundMessage {
            conversation: conversation(),
            sender: Identity::new(LOCAL_CHANNEL, OWNER),
            platform_msg_id: platform_msg_id.clone(),
            text,
            received_at: Utc::now(),
        };
        let (done, recorded) = oneshot::channel();
        let ack = Ack::new(move || {
            let _ = done.send(());
        });
        tx.send(ChannelEvent::Message(msg, ack))
            .await
            .map_err(|_| ChannelError::NotRunning)?;
        recorded
            .await
            // The connection closed first (paused or stopping): not recorded.
            .map_err(|_| ChannelError::NotRunning)?;
        Ok(platform_msg_id)
    }
}

#[async_trait]
impl Channel for LocalChat {
    fn id(&self) -> &ChannelId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    async fn connect(&self) -> Result<ChannelEvents, ChannelError> {
        let (tx, rx) = mpsc::channel(64);
        let mut live = self
            .live
            .lock()
            .map_err(|_| ChannelError::Transient("local chat lock poisoned".into()))?;
        *live = Some(tx);
        Ok(rx)
    }

    async fn send(&self, _msg: &OutboundMessage) -> Result<Option<String>, ChannelError> {
        // Delivered by being stored: the window reads the store.
        if self.live().is_some() {
            Ok(None)
        } else {
            Err(ChannelError::NotRunning)
        }
    }
}
