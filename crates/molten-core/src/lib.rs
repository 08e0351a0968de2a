//! Molten's core: the message model and the traits at the engine's seams.
//!
//! Nothing here knows about a GUI, a database or a platform; the engine and the
//! desktop shell plug implementations into these traits.

pub mod channel;
pub mod clock;
pub mod error;
pub mod health;
pub mod message;
pub mod notifier;
pub mod sensitive;
pub mod store;
pub mod vault;

pub use channel::{Ack, Channel, ChannelEvent, ChannelEvents};
pub use clock::{Clock, SystemClock, TokioClock};
pub use error::{ChannelError, StoreError};
pub use health::{ChannelHealth, ChannelState, Health, Overall};
pub use message::{
    ChannelId, ConversationRef, Direction, Identity, InboundMessage, MessageStatus,
    OutboundMessage, StoredMessage,
};
pub use notifier::{Notification, Notifier};
pub use sensitive::Sensitive;
pub use store::{NewReminder, Reminder, ReminderQuery, ReminderStatus, Store};
pub use vault::{validate_secret_name, SecretVault, VaultError};
