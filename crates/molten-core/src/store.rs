//! The `Store` seam: the durable inbox and outbox, chat history and reminders.

use crate::error::StoreError;
use crate::message::{ConversationRef, InboundMessage, MessageStatus, StoredMessage};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReminderStatus {
    Pending,
    Fired,
    Cancelled,
}

impl ReminderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Fired => "fired",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "fired" => Self::Fired,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    pub id: i64,
    pub owner: String,
    pub conversation: ConversationRef,
    pub text: String,
    pub due_at: DateTime<Utc>,
    pub status: ReminderStatus,
    pub created_at: DateTime<Utc>,
    /// Language of the request (`en` or `zh`), so the alert speaks it too.
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewReminder {
    /// Idempotency key: the inbound message that asked for it. Creating the
    /// same origin twice returns the first reminder.
    pub origin: String,
    pub owner: String,
    pub conversation: ConversationRef,
    pub text: String,
    pub due_at: DateTime<Utc>,
    pub lang: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReminderQuery {
    pub search: String,
    /// `None` means every status.
    pub status: Option<ReminderStatus>,
    /// Only this owner's reminders, when set.
    pub owner: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Records an inbound message durably. Returns the stored row and whether
    /// it was already there (a platform redelivery).
    async fn insert_inbound(
        &self,
        msg: &InboundMessage,
    ) -> Result<(StoredMessage, bool), StoreError>;

    /// The stored inbound message with this platform id, if any.
    async fn inbound_by_platform_id(
        &self,
        channel: &str,
        platform_msg_id: &str,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// Inbound messages not yet handled, oldest first (work left by a crash).
    async fn unfinished_inbound(&self) -> Result<Vec<StoredMessage>, StoreError>;

    /// Marks an inbound message handled and queues its replies, in one
    /// transaction. Idempotent: a second call changes nothing and returns none.
    async fn finish_inbound(
        &self,
        id: i64,
        status: MessageStatus,
        error: Option<String>,
        replies: Vec<String>,
        at: DateTime<Utc>,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    /// Queues a message not answering anything in particular (an alert, a
    /// notice to the owner). Idempotent on `origin`: `None` if it exists.
    async fn enqueue_outbound(
        &self,
        conversation: &ConversationRef,
        text: String,
        origin: String,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredMessage>, StoreError>;

    async fn message(&self, id: i64) -> Result<StoredMessage, StoreError>;

    /// Outbound messages still to send on a channel, oldest first.
    async fn pending_outbound(&self, channel: &str) -> Result<Vec<StoredMessage>, StoreError>;

    async fn mark_sent(
        &self,
        id: i64,
        platform_msg_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<StoredMessage, StoreError>;

    /// Records a failed attempt; `give_up` marks the message failed for good.
    async fn mark_send_failed(
        &self,
        id: i64,
        error: &str,
        give_up: bool,
    ) -> Result<StoredMessage, StoreError>;

    /// A page of a conversation, oldest first: the `limit` messages before id
    /// `before` (or the newest). The bool says whether older ones exist.
    async fn history(
        &self,
        conversation: &ConversationRef,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<StoredMessage>, bool), StoreError>;

    /// Messages of a conversation with id greater than `after`, oldest first.
    async fn messages_after(
        &self,
        conversation: &ConversationRef,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    async fn create_reminder(&self, new: NewReminder) -> Result<Reminder, StoreError>;
    async fn reminders(&self, query: &ReminderQuery) -> Result<(Vec<Reminder>, u64), StoreError>;
    /// Cancels a pending reminder; `owner` restricts it to that owner's.
    async fn cancel_reminder(&self, id: i64, owner: Option<&str>) -> Result<Reminder, StoreError>;
    async fn next_pending_reminder(&self) -> Result<Option<Reminder>, StoreError>;
    /// Marks the reminder fired and queues its message, in one transaction.
    /// Returns `None` when it was no longer pending (fired once only).
    async fn fire_reminder(
        &self,
        id: i64,
        text: String,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// Counts of (inbound unfinished, outbound pending), for status and health.
    async fn backlog(&self) -> Result<(u64, u64), StoreError>;
}
