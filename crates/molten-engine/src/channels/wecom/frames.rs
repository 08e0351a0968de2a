//! The AI Bot long connection's JSON frames: what the client sends, what the
//! server pushes, and how a pushed message becomes an [`InboundMessage`].

use chrono::Utc;
use molten_core::{ConversationRef, Identity, InboundMessage};
use serde::Deserialize;
use serde_json::{json, Value};

pub const CMD_SUBSCRIBE: &str = "aibot_subscribe";
pub const CMD_PING: &str = "ping";
pub const CMD_MSG_CALLBACK: &str = "aibot_msg_callback";
pub const CMD_EVENT_CALLBACK: &str = "aibot_event_callback";
pub const CMD_RESPOND_MSG: &str = "aibot_respond_msg";
pub const CMD_SEND_MSG: &str = "aibot_send_msg";

/// The largest `content` a stream or markdown frame may carry, in bytes.
pub const MAX_CONTENT_BYTES: usize = 20480;

/// A fresh `req_id` in the SDK's `<cmd>_<epoch ms>_<random>` form.
pub fn new_req_id(cmd: &str) -> String {
    format!(
        "{cmd}_{}_{:08x}",
        Utc::now().timestamp_millis(),
        fastrand::u32(..)
    )
}

/// A client command frame.
pub fn command(cmd: &str, req_id: &str, body: Option<Value>) -> String {
    let mut frame = json!({"cmd": cmd, "headers": {"req_id": req_id}});
    if let Some(body) = body {
        frame["body"] = body;
    }
    frame.to_string()
}

pub fn subscribe_body(bot_id: &str, secret: &str) -> Value {
    json!({"bot_id": bot_id, "secret": secret})
}

/// One finished stream reply: the whole text in a single `finish: true` frame.
pub fn stream_reply_body(stream_id: &str, content: &str) -> Value {
    json!({"msgtype": "stream", "stream": {"id": stream_id, "finish": true, "content": content}})
}

pub fn markdown_send_body(chat_id: &str, content: &str) -> Value {
    json!({"chatid": chat_id, "msgtype": "markdown", "markdown": {"content": content}})
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Headers {
    #[serde(default)]
    pub req_id: String,
}

/// Any frame from the server: a push (has `cmd`) or an ack (has `errcode`).
#[derive(Debug, Clone, Deserialize)]
pub struct ServerFrame {
    #[serde(default)]
    pub cmd: Option<String>,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub errcode: Option<i64>,
    #[serde(default)]
    pub errmsg: Option<String>,
}

/// The server's answer to one client command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandAck {
    pub errcode: i64,
    pub errmsg: String,
}

impl ServerFrame {
    pub fn ack(&self) -> CommandAck {
        CommandAck {
            errcode: self.errcode.unwrap_or(0),
            errmsg: self.errmsg.clone().unwrap_or_default(),
        }
    }

    /// The `eventtype` of an event push.
    pub fn event_type(&self) -> Option<&str> {
        self.body.as_ref()?.get("event")?.get("eventtype")?.as_str()
    }
}

#[derive(Debug, Clone, Deserialize)]
struct From {
    userid: String,
}

#[derive(Debug, Clone, Deserialize)]
struct MessagePush {
    msgid: String,
    #[serde(default)]
    chatid: Option<String>,
    #[serde(default)]
    chattype: Option<String>,
    from: From,
    msgtype: String,
    #[serde(flatten)]
    content: serde_json::Map<String, Value>,
}

impl MessagePush {
    fn text(&self) -> String {
        let field = |kind: &str| {
            self.content
                .get(kind)
                .and_then(|v| v.get("content"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match self.msgtype.as_str() {
            "text" | "voice" => field(&self.msgtype).unwrap_or_default(),
            "mixed" => self
                .content
                .get("mixed")
                .and_then(|m| m.get("msg_item"))
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|i| match i.get("msgtype").and_then(Value::as_str) {
                            Some("text") => i
                                .get("text")
                                .and_then(|t| t.get("content"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            Some(other) => format!("[{other}]"),
                            None => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
            other => format!("[{other}]"),
        }
    }
}

/// A message push as the engine's inbound message: the sender is
/// `<channel>:<userid>`, the conversation the group's `chatid` or, in a single
/// chat, the user's `userid` (what `aibot_send_msg` takes as `chatid`).
pub fn inbound(channel: &str, body: &Value) -> Result<InboundMessage, String> {
    let push: MessagePush = serde_json::from_value(body.clone())
        .map_err(|e| format!("unreadable aibot_msg_callback body: {e}"))?;
    let conversation = match (push.chattype.as_deref(), &push.chatid) {
        (Some("group"), Some(chat)) => chat.clone(),
        _ => push.from.userid.clone(),
    };
    Ok(InboundMessage {
        conversation: ConversationRef::new(channel, conversation),
        sender: Identity::new(channel, push.from.userid.clone()),
        platform_msg_id: push.msgid.clone(),
        text: push.text(),
        received_at: Utc::now(),
    })
}

/// Splits `text` into pieces of at most `max` bytes, on char boundaries,
/// preferring a line break in the second half of a piece.
pub fn split_content(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(nl) = rest[..cut].rfind('\n').filter(|&nl| nl > cut / 2) {
            cut = nl + 1;
        }
        let (head, tail) = rest.split_at(cut);
        pieces.push(head);
        rest = tail;
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_single_pushes_map_to_conversations() {
        let group = json!({"msgid":"m1","aibotid":"aib","chatid":"wr1","chattype":"group",
            "from":{"userid":"zhangsan"},"msgtype":"text","text":{"content":"hi"}});
        let m = inbound("wecom.team", &group).expect("group push");
        assert_eq!(m.conversation.conversation_id, "wr1", "group: the chatid");
        assert_eq!(
            m.sender.to_string(),
            "wecom.team:zhangsan",
            "sender identity"
        );
        assert_eq!(m.platform_msg_id, "m1", "msgid is the dedupe key");
        let single = json!({"msgid":"m2","aibotid":"aib","chattype":"single",
            "from":{"userid":"lisi"},"msgtype":"voice","voice":{"content":"语音"}});
        let m = inbound("wecom.team", &single).expect("single push");
        assert_eq!(m.conversation.conversation_id, "lisi", "single: the userid");
        assert_eq!(m.text, "语音", "voice carries its transcript");
    }

    #[test]
    fn split_respects_the_byte_limit_and_char_boundaries() {
        let text = "好".repeat(10_000); // 30000 bytes
        let pieces = split_content(&text, MAX_CONTENT_BYTES);
        assert!(
            pieces.iter().all(|p| p.len() <= MAX_CONTENT_BYTES),
            "each piece fits"
        );
        assert_eq!(pieces.concat(), text, "nothing lost");
        assert_eq!(
            split_content("short", 10),
            vec!["short"],
            "short text is one piece"
        );
    }
}
