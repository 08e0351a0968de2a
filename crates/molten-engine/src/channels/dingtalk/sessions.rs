//! What a reply needs to know about each conversation, remembered from its
//! latest inbound message: the `sessionWebhook` and its expiry, whether it is a
//! group, who spoke last (to @ them, or to address a 1:1 proactive send), and
//! the robot code.

use super::frames::BotMessage;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Session {
    pub webhook: Option<String>,
    /// Epoch ms after which the webhook no longer works.
    pub webhook_expires_ms: i64,
    pub group: bool,
    pub last_sender_staff_id: Option<String>,
    pub robot_code: Option<String>,
}

#[derive(Debug, Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    pub fn remember(&self, m: &BotMessage) {
        let session = Session {
            webhook: m.session_webhook.clone().filter(|w| !w.is_empty()),
            webhook_expires_ms: m.session_webhook_expired_time.unwrap_or_default(),
            group: m.is_group(),
            last_sender_staff_id: m.sender_staff_id.clone().filter(|s| !s.is_empty()),
            robot_code: m.robot_code.clone().filter(|s| !s.is_empty()),
        };
        if let Ok(mut map) = self.0.lock() {
            map.insert(m.conversation_id.clone(), session);
        }
    }

    pub fn get(&self, conversation_id: &str) -> Option<Session> {
        self.0.lock().ok()?.get(conversation_id).cloned()
    }
}
