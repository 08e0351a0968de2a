//! The message model: who said what, where, and under which platform id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A configured channel instance, e.g. `local` or `dingtalk.work`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

impl ChannelId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sender: the channel it came through and its id on that platform.
/// Written as `channel:user`, e.g. `local:owner` or `dingtalk.work:0123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    pub channel: ChannelId,
    pub user_id: String,
}

impl Identity {
    pub fn new(channel: impl Into<String>, user_id: impl Into<String>) -> Self {
        Self {
            channel: ChannelId::new(channel),
            user_id: user_id.into(),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.user_id)
    }
}

/// Where a message belongs: one chat (a DM or a group) on one channel.
/// Messages of one conversation are handled strictly in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConversationRef {
    pub channel: ChannelId,
    pub conversation_id: String,
}

impl ConversationRef {
    pub fn new(channel: impl Into<String>, conversation_id: impl Into<String>) -> Self {
        Self {
            channel: ChannelId::new(channel),
            conversation_id: conversation_id.into(),
        }
    }
}

impl fmt::Display for ConversationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.channel, self.conversation_id)
    }
}

/// A message as a channel hands it over, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub conversation: ConversationRef,
    pub sender: Identity,
    /// The platform's own id for the message; the inbox deduplicates on
    /// (channel, platform_msg_id) because every push platform can redeliver.
    pub platform_msg_id: String,
    pub text: String,
    pub received_at: DateTime<Utc>,
}

/// A reply or a proactive message, as the outbox hands it to a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// The outbox row id; channels whose platform supports idempotent sends use
    /// it as the idempotency key so a resend after a crash is not a duplicate.
    pub outbox_id: i64,
    pub conversation: ConversationRef,
    pub text: String,
    /// The stored inbound message this answers, if any.
    pub reply_to: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

/// Life of a stored message. Inbound: received → done | failed.
/// Outbound: pending → sent | failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Received,
    Done,
    Failed,
    Pending,
    Sent,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Pending => "pending",
            Self::Sent => "sent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "received" => Self::Received,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            _ => return None,
        })
    }
}

/// A message as the store holds it, in either direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: i64,
    pub direction: Direction,
    pub conversation: ConversationRef,
    pub sender: String,
    pub text: String,
    pub at: DateTime<Utc>,
    pub status: MessageStatus,
    pub reply_to: Option<i64>,
    pub attempts: u32,
    pub last_error: Option<String>,
}
