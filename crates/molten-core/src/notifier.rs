//! The `Notifier` seam: desktop notifications in the app, logs when headless.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub title: String,
    pub body: String,
}

pub trait Notifier: Send + Sync + 'static {
    /// Shows the notification. Must not block; failures are logged by the
    /// implementation, because a missing notification daemon must never stop
    /// the engine.
    fn notify(&self, notification: Notification);
}
