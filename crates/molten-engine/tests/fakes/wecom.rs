//! A fake WeCom AI Bot long-connection server on 127.0.0.1, enforcing the
//! protocol notes' fake-server checklist: `aibot_subscribe` first with the
//! right bot_id/secret (else the real error and a close), pings acked and
//! required in time, pushes with fresh `req_id`s, stream replies validated
//! (known unexpired `req_id`, stable `stream.id`, ≤ 20480 bytes, `msg_item`
//! only when finishing, nothing after `finish`), `aibot_send_msg` only to
//! known chats, and a second client kicking the first with
//! `disconnected_event`. It records what the bot sent and every violation.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub const MAX_CONTENT_BYTES: usize = 20480;

/// A finished stream reply as the user would see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub req_id: String,
    pub stream_id: String,
    pub content: String,
}

/// Knobs; the defaults follow the protocol notes, scaled down for tests.
#[derive(Debug, Clone)]
pub struct Rules {
    /// A client sending no ping for this long is dropped.
    pub ping_deadline: Duration,
    /// How long a pushed `req_id` accepts replies.
    pub reply_window: Duration,
    /// How long an event's `req_id` accepts a welcome or card-update reply.
    pub event_reply_window: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            ping_deadline: Duration::from_secs(60),
            reply_window: Duration::from_secs(60),
            event_reply_window: Duration::from_secs(5),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Authenticated connections, oldest first: (connection number, outgoing frames).
    live: Vec<(usize, mpsc::UnboundedSender<Message>)>,
    connections: usize,
    auth_failures: usize,
    silent: bool,
    pushed: HashMap<String, Instant>,
    events: HashMap<String, Instant>,
    open_streams: HashMap<String, String>,
    finished: HashSet<(String, String)>,
    known_chats: HashSet<String>,
    replies: Vec<Reply>,
    sent: Vec<(String, String)>,
    violations: Vec<String>,
    next_push: usize,
}

struct Shared {
    bot_id: String,
    secret: String,
    rules: Rules,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake wecom lock")
    }
}

pub struct FakeWeCom {
    pub url: String,
    shared: Arc<Shared>,
}

fn ack(req_id: &str, errcode: i64, errmsg: &str) -> Message {
    Message::text(
        json!({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}).to_string(),
    )
}

impl FakeWeCom {
    pub async fn start(bot_id: &str, secret: &str, rules: Rules) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let url = format!("ws://{}", listener.local_addr().expect("local addr"));
        let shared = Arc::new(Shared {
            bot_id: bot_id.into(),
            secret: secret.into(),
            rules,
            inner: Mutex::default(),
        });
        let s = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                        serve(s, ws).await;
                    }
                });
            }
        });
        Self { url, shared }
    }

    /// Pushes a text message to the newest connection; returns its `req_id`.
    pub fn push_text(&self, userid: &str, chatid: Option<&str>, msgid: &str, text: &str) -> String {
        let mut g = self.shared.lock();
        g.next_push += 1;
        let req_id = format!("REQ-{}-{}", g.next_push, msgid);
        let mut body = json!({"msgid": msgid, "aibotid": self.shared.bot_id, "chattype": "single",
            "from": {"userid": userid}, "create_time": 1722500000, "msgtype": "text",
            "text": {"content": text}});
        g.known_chats.insert(userid.to_string());
        if let Some(chat) = chatid {
            body["chattype"] = json!("group");
            body["chatid"] = json!(chat);
            g.known_chats.insert(chat.to_string());
        }
        let frame =
            json!({"cmd": "aibot_msg_callback", "headers": {"req_id": req_id}, "body": body});
        g.pushed.insert(req_id.clone(), Instant::now());
        let (_, tx) = g.live.last().expect("a connected bot to push to");
        tx.send(Message::text(frame.to_string())).expect("push");
        req_id
    }

    /// Pushes an `enter_chat` event; returns its `req_id`.
    pub fn push_enter_chat(&self, userid: &str) -> String {
        let mut g = self.shared.lock();
        g.next_push += 1;
        let req_id = format!("EVT-{}", g.next_push);
        let frame = json!({"cmd": "aibot_event_callback", "headers": {"req_id": req_id},
            "body": {"msgid": req_id, "create_time": 1722500000, "aibotid": self.shared.bot_id,
                     "chattype": "single", "from": {"userid": userid}, "msgtype": "event",
                     "event": {"eventtype": "enter_chat"}}});
        g.known_chats.insert(userid.to_string());
        g.events.insert(req_id.clone(), Instant::now());
        let (_, tx) = g.live.last().expect("a connected bot to push to");
        tx.send(Message::text(frame.to_string())).expect("push");
        req_id
    }

    /// Simulates a second client authenticating as the same bot.
    pub fn kick(&self) {
        kick_all(&mut self.shared.lock());
    }

    /// Stops answering anything (pings included) while keeping sockets open.
    pub fn set_silent(&self, silent: bool) {
        self.shared.lock().silent = silent;
    }

    pub fn is_connected(&self) -> bool {
        !self.shared.lock().live.is_empty()
    }
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }
    pub fn auth_failures(&self) -> usize {
        self.shared.lock().auth_failures
    }
    pub fn replies(&self) -> Vec<Reply> {
        self.shared.lock().replies.clone()
    }
    pub fn sent(&self) -> Vec<(String, String)> {
        self.shared.lock().sent.clone()
    }
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }
}

fn kick_all(g: &mut Inner) {
    for (_, tx) in g.live.drain(..) {
        let event = json!({"cmd": "aibot_event_callback", "headers": {"req_id": "EVT-kick"},
            "body": {"msgid": "kick", "create_time": 1722500000, "aibotid": "aib", "chattype": "single",
                     "from": {"userid": "system"}, "msgtype": "event",
                     "event": {"eventtype": "disconnected_event"}}});
        let _ = tx.send(Message::text(event.to_string()));
        let _ = tx.send(Message::Close(None));
    }
}

async fn serve(s: Arc<Shared>, ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            let close = matches!(m, Message::Close(_));
            if sink.send(m).await.is_err() || close {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let number = {
        let mut g = s.lock();
        g.connections += 1;
        g.connections
    };
    let mut authed = false;
    let mut deadline = tokio::time::Instant::now() + s.rules.ping_deadline;
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            _ = tokio::time::sleep_until(deadline) => {
                s.lock().violations.push(format!("connection {number}: no ping in time; dropped"));
                break;
            }
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => continue, // binary / control frames are ignored
        };
        if s.lock().silent {
            continue;
        }
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            s.lock().violations.push(format!("not JSON: {text}"));
            continue;
        };
        let cmd = frame["cmd"].as_str().unwrap_or_default().to_string();
        let req_id = frame["headers"]["req_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let body = &frame["body"];
        if !authed {
            let mut g = s.lock();
            if cmd != "aibot_subscribe" {
                g.violations.push(format!("`{cmd}` before aibot_subscribe"));
                let _ = tx.send(ack(&req_id, 40001, "not subscribed"));
                let _ = tx.send(Message::Close(None));
                break;
            }
            if body["bot_id"] != json!(s.bot_id) || body["secret"] != json!(s.secret) {
                g.auth_failures += 1;
                let _ = tx.send(ack(&req_id, 853000, "invalid bot_id or secret"));
                let _ = tx.send(Message::Close(None));
                break;
            }
            if !req_id.starts_with("aibot_subscribe_") {
                g.violations
                    .push(format!("subscribe req_id without its prefix: {req_id}"));
            }
            // One live connection per bot: the newer one kicks the older.
            kick_all(&mut g);
            g.live.push((number, tx.clone()));
            authed = true;
            deadline = tokio::time::Instant::now() + s.rules.ping_deadline;
            let _ = tx.send(ack(&req_id, 0, "ok"));
            continue;
        }
        let (code, msg) = match cmd.as_str() {
            "ping" => {
                deadline = tokio::time::Instant::now() + s.rules.ping_deadline;
                (0, String::new())
            }
            "aibot_respond_msg" => check_reply(&s, &req_id, body),
            "aibot_send_msg" => check_send(&s, body),
            "aibot_respond_welcome_msg" | "aibot_respond_update_msg" => {
                check_event_reply(&s, &req_id)
            }
            other => (40002, format!("unknown cmd {other}")),
        };
        if code != 0 {
            s.lock()
                .violations
                .push(format!("{cmd} {req_id}: {code} {msg}"));
        }
        let _ = tx.send(ack(&req_id, code, if code == 0 { "ok" } else { &msg }));
    }
    s.lock().live.retain(|(n, _)| *n != number);
}

fn check_reply(s: &Shared, req_id: &str, body: &Value) -> (i64, String) {
    let mut g = s.lock();
    match g.pushed.get(req_id) {
        None => return (846605, "invalid req_id".into()),
        Some(at) if at.elapsed() > s.rules.reply_window => {
            return (846608, "stream message update expired".into())
        }
        Some(_) => {}
    }
    if body["msgtype"] != json!("stream") {
        return (
            40003,
            format!("unsupported reply msgtype {}", body["msgtype"]),
        );
    }
    let stream = &body["stream"];
    let (Some(id), Some(content)) = (stream["id"].as_str(), stream["content"].as_str()) else {
        return (40003, "stream needs id and content".into());
    };
    let finish = stream["finish"].as_bool().unwrap_or(false);
    if content.len() > MAX_CONTENT_BYTES {
        return (40003, format!("content is {} bytes", content.len()));
    }
    if !stream["msg_item"].is_null() && !finish {
        return (40003, "msg_item only with finish:true".into());
    }
    let key = (req_id.to_string(), id.to_string());
    if g.finished.contains(&key) {
        return (846608, "stream already finished".into());
    }
    match g.open_streams.get(req_id) {
        Some(open) if open != id => {
            return (40003, format!("stream.id changed from {open} to {id}"))
        }
        _ => {}
    }
    if finish {
        g.open_streams.remove(req_id);
        g.finished.insert(key);
        g.replies.push(Reply {
            req_id: req_id.into(),
            stream_id: id.into(),
            content: content.into(),
        });
    } else {
        g.open_streams.insert(req_id.into(), id.into());
    }
    (0, String::new())
}

fn check_send(s: &Shared, body: &Value) -> (i64, String) {
    let mut g = s.lock();
    let chat = body["chatid"].as_str().unwrap_or_default().to_string();
    if !g.known_chats.contains(&chat) {
        return (93006, format!("unknown chatid {chat}"));
    }
    let content = body["markdown"]["content"]
        .as_str()
        .or(body["text"]["content"].as_str())
        .unwrap_or_default()
        .to_string();
    if content.len() > MAX_CONTENT_BYTES {
        return (40003, format!("content is {} bytes", content.len()));
    }
    g.sent.push((chat, content));
    (0, String::new())
}

fn check_event_reply(s: &Shared, req_id: &str) -> (i64, String) {
    match s.lock().events.get(req_id) {
        None => (846605, "invalid req_id".into()),
        Some(at) if at.elapsed() > s.rules.event_reply_window => {
            (846608, "event reply window passed".into())
        }
        Some(_) => (0, String::new()),
    }
}
