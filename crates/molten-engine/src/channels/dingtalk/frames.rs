//! Stream-mode wire types: the ticket request/response, the frame envelope
//! (`data` is a JSON document inside a string), ACK frames, and the bot
//! message carried by the `/v1.0/im/bot/messages/get` callback.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The callback topic of robot messages.
pub const BOT_MESSAGE_TOPIC: &str = "/v1.0/im/bot/messages/get";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub subscriptions: Vec<Subscription>,
    pub ua: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Subscription {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub topic: &'static str,
}

impl TicketRequest<'_> {
    pub fn subscriptions() -> Vec<Subscription> {
        vec![
            Subscription {
                kind: "EVENT",
                topic: "*",
            },
            Subscription {
                kind: "CALLBACK",
                topic: BOT_MESSAGE_TOPIC,
            },
        ]
    }
}

#[derive(Debug, Deserialize)]
pub struct TicketResponse {
    #[serde(default)]
    pub endpoint: String,
    #[serde(default)]
    pub ticket: String,
}

/// A server→client frame.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub headers: HashMap<String, String>,
    #[serde(default)]
    pub data: String,
}

impl Frame {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn topic(&self) -> &str {
        self.header("topic").unwrap_or_default()
    }
    pub fn message_id(&self) -> Option<&str> {
        self.header("messageId").filter(|m| !m.is_empty())
    }
}

/// The client→server ACK for `message_id`; `data` is sent as a JSON string.
pub fn ack_frame(message_id: &str, code: u16, message: &str, data: &Value) -> String {
    json!({
        "code": code,
        "headers": {"messageId": message_id, "contentType": "application/json"},
        "message": message,
        "data": data.to_string(),
    })
    .to_string()
}

/// The ACK to a SYSTEM `ping`: its `data` (the `opaque`) echoed verbatim.
pub fn pong_frame(message_id: &str, request_data: &str) -> String {
    json!({
        "code": 200,
        "headers": {"messageId": message_id, "contentType": "application/json"},
        "message": "OK",
        "data": request_data,
    })
    .to_string()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BotMessage {
    pub msg_id: String,
    pub msgtype: String,
    pub text: Option<TextBody>,
    pub content: Option<Value>,
    pub conversation_id: String,
    pub conversation_type: String,
    pub conversation_title: Option<String>,
    pub sender_id: String,
    pub sender_staff_id: Option<String>,
    pub sender_nick: Option<String>,
    pub robot_code: Option<String>,
    pub session_webhook: Option<String>,
    pub session_webhook_expired_time: Option<i64>,
    pub create_at: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextBody {
    #[serde(default)]
    pub content: String,
}

impl BotMessage {
    /// A group chat (`conversationType` "2"), as opposed to a 1:1 chat ("1").
    pub fn is_group(&self) -> bool {
        self.conversation_type == "2"
    }

    /// The sender's stable id: the org staff id, else the encrypted sender id.
    pub fn sender(&self) -> &str {
        self.sender_staff_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.sender_id)
    }

    /// The message as text: text as typed (the @mention DingTalk strips
    /// leaves a leading space), rich text joined, media as a note.
    pub fn body_text(&self) -> String {
        match self.msgtype.as_str() {
            "text" => self
                .text
                .as_ref()
                .map(|t| t.content.trim().to_string())
                .unwrap_or_default(),
            "richText" => {
                let parts = self
                    .content
                    .as_ref()
                    .and_then(|c| c.get("richText"))
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| match i.get("text").and_then(Value::as_str) {
                                Some(t) => Some(t.to_string()),
                                None if i.get("downloadCode").is_some() => {
                                    Some("[picture]".to_string())
                                }
                                None => None,
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                parts.join(" ").trim().to_string()
            }
            "picture" => "[picture attachment]".to_string(),
            other => format!("[{other} attachment]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_of_each_message_type() {
        let m: BotMessage = serde_json::from_value(json!({
            "msgId": "m", "msgtype": "richText", "conversationId": "cid", "conversationType": "2",
            "senderId": "$:enc", "content": {"richText": [{"text": " hello"}, {"downloadCode": "x", "type": "picture"}, {"text": "there"}]}
        }))
        .expect("parses");
        assert_eq!(m.body_text(), "hello [picture] there", "rich text joined");
        assert!(m.is_group(), "type 2 is a group");
        assert_eq!(m.sender(), "$:enc", "falls back to the encrypted id");
        let p: BotMessage =
            serde_json::from_value(json!({"msgtype": "picture", "content": {"downloadCode": "d"}}))
                .expect("parses");
        assert_eq!(
            p.body_text(),
            "[picture attachment]",
            "pictures become a note"
        );
    }

    #[test]
    fn ping_ack_echoes_the_data_string() {
        let f: Value =
            serde_json::from_str(&pong_frame("id1", "{\"opaque\":\"x\"}")).expect("json");
        assert_eq!(f["data"], "{\"opaque\":\"x\"}", "data echoed as a string");
        assert_eq!(f["headers"]["messageId"], "id1", "same messageId");
    }
}
