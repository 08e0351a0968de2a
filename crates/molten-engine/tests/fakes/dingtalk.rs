//! A fake DingTalk for tests, following the protocol notes' checklist: the
//! ticket endpoint (credentials checked, one-use tickets that expire), a
//! WebSocket server that pushes frames shaped like the real ones, pings, asks
//! clients to `disconnect`, validates and records ACKs and redelivers
//! un-ACKed EVENT frames (and, when told to, CALLBACK frames); the
//! `sessionWebhook`, the token endpoint and the robot send endpoints, with
//! their auth checked. Everything it saw is recorded for assertions.
#![allow(dead_code)]

use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message;

pub const TOPIC: &str = "/v1.0/im/bot/messages/get";

/// Knobs fixed at start.
pub struct Options {
    pub client_id: String,
    pub client_secret: String,
    /// SYSTEM `ping` cadence; `None` sends none.
    pub ping_every: Option<Duration>,
    pub ticket_ttl: Duration,
    pub redeliver_after: Duration,
    /// Redeliver un-ACKed CALLBACK frames too (the real server does not).
    pub redeliver_callbacks: bool,
    /// How long a pushed message's `sessionWebhook` lives.
    pub session_ttl: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            client_id: "dingfakeclient".into(),
            client_secret: "fake-secret".into(),
            ping_every: Some(Duration::from_millis(200)),
            ticket_ttl: Duration::from_secs(90),
            redeliver_after: Duration::from_secs(60),
            redeliver_callbacks: false,
            session_ttl: Duration::from_secs(3600),
        }
    }
}

enum Cmd {
    Frame(String),
    /// Stop reading, answering and pinging, but keep the socket open.
    GoSilent,
    Close,
}

struct Pending {
    frame: String,
    kind: String,
    sent_at: Instant,
}

type AckHook = Arc<dyn Fn(String) -> BoxFuture<'static, ()> + Send + Sync>;

#[derive(Default)]
pub struct Record {
    pub ticket_requests: usize,
    pub ticket_refusals: Vec<Value>,
    pub tickets_issued: Vec<String>,
    /// Tickets that opened a connection, in order.
    pub tickets_used: Vec<String>,
    pub handshakes_refused: Vec<String>,
    /// Each valid ACK, as received.
    pub acks: Vec<Value>,
    /// ACKs that did not match the protocol, with the reason.
    pub bad_acks: Vec<String>,
    pub ping_acks: usize,
    pub redeliveries: usize,
    pub webhook_posts: Vec<Value>,
    pub webhook_refusals: Vec<String>,
    pub token_requests: usize,
    pub openapi_sends: Vec<(String, Value)>,
    pub openapi_refusals: Vec<String>,
    /// Custom group robot posts accepted, and (errcode, why) of refusals.
    pub custom_robot_posts: Vec<Value>,
    pub custom_robot_refusals: Vec<(i64, String)>,
}

struct State {
    opts: Options,
    ws_url: String,
    base: String,
    tickets: HashMap<String, (Instant, bool)>,
    subscribed: HashSet<(String, String)>,
    conns: Vec<mpsc::UnboundedSender<Cmd>>,
    outstanding: HashMap<String, Pending>,
    sessions: HashMap<String, i64>,
    tokens: HashSet<String>,
    drop_acks: usize,
    duplicate_after_ack: HashSet<String>,
    ack_hook: Option<AckHook>,
    custom_robot_sent_at: Vec<Instant>,
    record: Record,
}

#[derive(Clone)]
pub struct FakeDingTalk {
    /// The OpenAPI base URL to configure as the channel's `endpoint`.
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    ids: Arc<AtomicU64>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl FakeDingTalk {
    pub async fn start(opts: Options) -> Self {
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind ws");
        let base = format!("http://{}", http.local_addr().expect("addr"));
        let ws_url = format!("ws://{}/connect", ws.local_addr().expect("addr"));
        let redeliver_every = opts.redeliver_after.min(Duration::from_millis(50));
        let state = Arc::new(Mutex::new(State {
            opts,
            ws_url,
            base: base.clone(),
            tickets: HashMap::new(),
            subscribed: HashSet::new(),
            conns: Vec::new(),
            outstanding: HashMap::new(),
            sessions: HashMap::new(),
            tokens: HashSet::new(),
            drop_acks: 0,
            duplicate_after_ack: HashSet::new(),
            ack_hook: None,
            custom_robot_sent_at: Vec::new(),
            record: Record::default(),
        }));
        let app = Router::new()
            .route("/v1.0/gateway/connections/open", post(open_connection))
            .route("/robot/sendBySession", post(send_by_session))
            .route("/robot/send", post(custom_robot_send))
            .route("/v1.0/oauth2/accessToken", post(access_token))
            .route("/v1.0/robot/oToMessages/batchSend", post(robot_send))
            .route("/v1.0/robot/groupMessages/send", post(robot_send))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(http, app).await;
        });
        let fake = Self {
            endpoint: base,
            state,
            ids: Arc::new(AtomicU64::new(1)),
        };
        let acceptor = fake.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = ws.accept().await {
                let f = acceptor.clone();
                tokio::spawn(async move { f.serve_socket(tcp).await });
            }
        });
        let redeliverer = fake.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(redeliver_every).await;
                redeliverer.redeliver_due();
            }
        });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake state")
    }

    /// A read of everything recorded so far.
    pub fn with_record<T>(&self, f: impl FnOnce(&Record) -> T) -> T {
        f(&self.lock().record)
    }

    pub fn live_connections(&self) -> usize {
        let mut s = self.lock();
        s.conns.retain(|c| !c.is_closed());
        s.conns.len()
    }

    /// The next `n` ACKs are lost on the way (not recorded, not honoured).
    pub fn lose_acks(&self, n: usize) {
        self.lock().drop_acks = n;
    }

    /// Called with each CALLBACK ACK's messageId before it is recorded.
    pub fn on_ack(&self, hook: AckHook) {
        self.lock().ack_hook = Some(hook);
    }

    /// After `message_id` is ACKed, push it once more (duplicates happen).
    pub fn duplicate_after_ack(&self, message_id: &str) {
        self.lock()
            .duplicate_after_ack
            .insert(message_id.to_string());
    }

    fn next_id(&self) -> String {
        format!(
            "{:08x}_974_{:x}",
            self.ids.fetch_add(1, Ordering::SeqCst),
            now_ms()
        )
    }

    /// Pushes a bot message to one live connection; returns its messageId.
    /// `data` fields override the defaults (a 1:1 text from `staff1`).
    pub fn push_bot_message(&self, data: Value) -> String {
        let message_id = self.next_id();
        let mut s = self.lock();
        assert!(
            s.subscribed
                .contains(&("CALLBACK".to_string(), TOPIC.to_string())),
            "the client never subscribed to {TOPIC}"
        );
        let session = format!("sess-{message_id}");
        let expires = now_ms() + s.opts.session_ttl.as_millis() as i64;
        s.sessions.insert(session.clone(), expires);
        let mut body = json!({
            "msgId": format!("msg{message_id}"),
            "msgtype": "text",
            "text": {"content": "hello"},
            "conversationId": "cid-dm-1",
            "conversationType": "1",
            "senderId": "$:LWCP_v1:$enc1",
            "senderStaffId": "staff1",
            "senderNick": "Alice",
            "senderCorpId": "corp1",
            "chatbotCorpId": "corp1",
            "chatbotUserId": "$:LWCP_v1:$bot",
            "isAdmin": false,
            "isInAtList": true,
            "atUsers": [],
            "robotCode": s.opts.client_id,
            "sessionWebhook": format!("{}/robot/sendBySession?session={session}", s.base),
            "sessionWebhookExpiredTime": expires,
            "createAt": now_ms(),
        });
        if let (Some(b), Some(o)) = (body.as_object_mut(), data.as_object()) {
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        }
        let frame = json!({
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {
                "appId": "fake-app", "connectionId": "fake-conn", "contentType": "application/json",
                "messageId": message_id, "time": now_ms().to_string(), "topic": TOPIC,
            },
            "data": body.to_string(),
        })
        .to_string();
        s.outstanding.insert(
            message_id.clone(),
            Pending {
                frame: frame.clone(),
                kind: "CALLBACK".into(),
                sent_at: Instant::now(),
            },
        );
        deliver(&mut s, frame);
        message_id
    }

    /// Pushes an EVENT frame (if the client subscribed to events); returns
    /// its messageId.
    pub fn push_event(&self, event_type: &str, data: Value) -> String {
        let message_id = self.next_id();
        let mut s = self.lock();
        assert!(
            s.subscribed
                .contains(&("EVENT".to_string(), "*".to_string())),
            "the client never subscribed to events"
        );
        let frame = json!({
            "specVersion": "1.0",
            "type": "EVENT",
            "headers": {
                "appId": "fake-app", "connectionId": "fake-conn", "contentType": "application/json",
                "messageId": message_id, "time": now_ms().to_string(), "topic": event_type,
                "eventId": format!("ev-{message_id}"), "eventBornTime": now_ms().to_string(),
                "eventCorpId": "corp1", "eventType": event_type, "eventUnifiedAppId": "fake-app",
            },
            "data": data.to_string(),
        })
        .to_string();
        let pending = Pending {
            frame: frame.clone(),
            kind: "EVENT".into(),
            sent_at: Instant::now(),
        };
        s.outstanding.insert(message_id.clone(), pending);
        deliver(&mut s, frame);
        message_id
    }

    /// Asks for a ticket as a client would; returns the WebSocket URL.
    pub async fn ticket_url(&self) -> String {
        let (id, secret) = {
            let s = self.lock();
            (s.opts.client_id.clone(), s.opts.client_secret.clone())
        };
        let answer: Value = reqwest::Client::new()
            .post(format!("{}/v1.0/gateway/connections/open", self.endpoint))
            .header("accept", "application/json")
            .json(&json!({"clientId": id, "clientSecret": secret, "subscriptions": [{"type": "EVENT", "topic": "*"}]}))
            .send()
            .await
            .expect("ticket request")
            .json()
            .await
            .expect("ticket JSON");
        format!(
            "{}?ticket={}",
            answer["endpoint"].as_str().expect("endpoint"),
            answer["ticket"].as_str().expect("ticket")
        )
    }

    /// Sends SYSTEM `disconnect` to every connection; closes any still open
    /// 10 s later, as the real server does.
    pub fn send_disconnect(&self) {
        let message_id = self.next_id();
        let frame = json!({
            "specVersion": "1.0", "type": "SYSTEM",
            "headers": {"topic": "disconnect", "contentType": "application/json", "messageId": message_id, "time": now_ms().to_string()},
            "data": json!({"reason": "connection is expired"}).to_string(),
        })
        .to_string();
        let conns: Vec<_> = {
            let mut s = self.lock();
            let pending = Pending {
                frame: frame.clone(),
                kind: "SYSTEM".into(),
                sent_at: Instant::now(),
            };
            s.outstanding.insert(message_id, pending);
            s.conns.clone()
        };
        for c in conns {
            let _ = c.send(Cmd::Frame(frame.clone()));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let _ = c.send(Cmd::Close);
            });
        }
    }

    /// Every connection stops answering, reading and pinging.
    pub fn go_silent(&self) {
        for c in self.lock().conns.iter() {
            let _ = c.send(Cmd::GoSilent);
        }
    }

    fn redeliver_due(&self) {
        let mut s = self.lock();
        let after = s.opts.redeliver_after;
        let callbacks = s.opts.redeliver_callbacks;
        let due: Vec<String> = s
            .outstanding
            .iter()
            .filter(|(_, p)| p.kind == "EVENT" || (callbacks && p.kind == "CALLBACK"))
            .filter(|(_, p)| p.sent_at.elapsed() >= after)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            let frame = match s.outstanding.get_mut(&id) {
                Some(p) => {
                    p.sent_at = Instant::now();
                    p.frame.clone()
                }
                None => continue,
            };
            s.record.redeliveries += 1;
            deliver(&mut s, frame);
        }
    }

    async fn serve_socket(self, tcp: tokio::net::TcpStream) {
        let state = Arc::clone(&self.state);
        // The signature is tungstenite's; its error type is what it is.
        #[allow(clippy::result_large_err)]
        let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
            let ticket = req
                .uri()
                .query()
                .and_then(|q| {
                    url_decode_pairs(q)
                        .into_iter()
                        .find(|(k, _)| k == "ticket")
                        .map(|(_, v)| v)
                })
                .unwrap_or_default();
            let mut s = state.lock().expect("fake state");
            let ttl = s.opts.ticket_ttl;
            let refusal = match s.tickets.get_mut(&ticket) {
                None => Some("unknown ticket"),
                Some((_, true)) => Some("ticket already used"),
                Some((issued, _)) if issued.elapsed() > ttl => Some("ticket expired"),
                Some((_, used)) => {
                    *used = true;
                    None
                }
            };
            match refusal {
                Some(why) => {
                    s.record.handshakes_refused.push(format!("{why}: {ticket}"));
                    let mut r = ErrorResponse::new(Some(why.to_string()));
                    *r.status_mut() = StatusCode::FORBIDDEN;
                    Err(r)
                }
                None => {
                    s.record.tickets_used.push(ticket);
                    Ok(resp)
                }
            }
        };
        let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
            return;
        };
        let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        let ping_every = {
            let mut s = self.lock();
            s.conns.push(cmd_tx);
            s.opts.ping_every
        };
        let (mut sink, mut stream) = ws.split();
        let mut ping = tokio::time::interval(ping_every.unwrap_or(Duration::from_secs(3600)));
        ping.tick().await;
        loop {
            tokio::select! {
                cmd = cmd_rx.recv() => match cmd {
                    Some(Cmd::Frame(f)) => { let _ = sink.send(Message::text(f)).await; }
                    Some(Cmd::GoSilent) => {
                        // Hold the socket, read nothing (so no pongs), until closed.
                        while let Some(c) = cmd_rx.recv().await {
                            if matches!(c, Cmd::Close) { break; }
                        }
                        return;
                    }
                    Some(Cmd::Close) | None => { let _ = sink.close().await; return; }
                },
                _ = ping.tick(), if ping_every.is_some() => {
                    let frame = json!({
                        "specVersion": "1.0", "type": "SYSTEM",
                        "headers": {"topic": "ping", "messageId": self.next_id(), "contentType": "application/json", "time": now_ms().to_string()},
                        "data": json!({"opaque": format!("op-{}", now_ms())}).to_string(),
                    });
                    let id = frame["headers"]["messageId"].as_str().unwrap_or_default().to_string();
                    self.lock().outstanding.insert(id, Pending { frame: frame.to_string(), kind: "PING".into(), sent_at: Instant::now() });
                    let _ = sink.send(Message::text(frame.to_string())).await;
                }
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(t))) => self.receive_ack(t.as_str()).await,
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        }
    }

    async fn receive_ack(&self, text: &str) {
        let ack: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.lock()
                    .record
                    .bad_acks
                    .push(format!("not JSON ({e}): {text}"));
                return;
            }
        };
        let id = ack["headers"]["messageId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (kind, pushed) = {
            let mut s = self.lock();
            let problem = if !ack["code"].is_i64() {
                Some("code is not an integer")
            } else if ack["headers"]["contentType"] != "application/json" {
                Some("headers.contentType missing")
            } else if !ack["data"].is_string() {
                Some("data is not a string")
            } else if !s.outstanding.contains_key(&id) {
                Some("messageId matches no outstanding push")
            } else {
                None
            };
            if let Some(p) = problem {
                s.record.bad_acks.push(format!("{p}: {text}"));
                return;
            }
            if s.drop_acks > 0 {
                s.drop_acks -= 1;
                return;
            }
            let pending = s
                .outstanding
                .get(&id)
                .map(|p| (p.kind.clone(), p.frame.clone()));
            match pending {
                Some(p) => p,
                None => return,
            }
        };
        if kind == "PING" {
            let sent: Value = serde_json::from_str(&pushed).unwrap_or_default();
            let mut s = self.lock();
            if ack["data"] == sent["data"] {
                s.record.ping_acks += 1;
                s.outstanding.remove(&id);
            } else {
                s.record
                    .bad_acks
                    .push(format!("ping opaque not echoed: {text}"));
            }
            return;
        }
        if kind == "CALLBACK" {
            let hook = self.lock().ack_hook.clone();
            if let Some(h) = hook {
                h(id.clone()).await;
            }
        }
        let mut s = self.lock();
        let ok = ack["code"] == 200
            && (kind != "EVENT"
                || serde_json::from_str::<Value>(ack["data"].as_str().unwrap_or_default())
                    .is_ok_and(|d| d["status"] == "SUCCESS"));
        s.record.acks.push(ack.clone());
        if ok {
            s.outstanding.remove(&id);
            if s.duplicate_after_ack.remove(&id) {
                let again = Pending {
                    frame: pushed.clone(),
                    kind,
                    sent_at: Instant::now(),
                };
                s.outstanding.insert(id, again);
                deliver(&mut s, pushed);
            }
        }
    }
}

fn deliver(s: &mut State, frame: String) {
    s.conns.retain(|c| !c.is_closed());
    if s.conns.is_empty() {
        return;
    }
    let i = fastrand::usize(..s.conns.len());
    let _ = s.conns[i].send(Cmd::Frame(frame));
}

fn url_decode_pairs(q: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{q}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

type Shared = AxState<Arc<Mutex<State>>>;

async fn open_connection(
    AxState(state): Shared,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut s = state.lock().expect("fake state");
    s.record.ticket_requests += 1;
    if headers.get("accept").and_then(|v| v.to_str().ok()) != Some("application/json") {
        s.record
            .ticket_refusals
            .push(json!("no Accept: application/json"));
        return (
            StatusCode::NOT_ACCEPTABLE,
            Json(json!({"code": "notAcceptable", "message": "send Accept: application/json"})),
        );
    }
    let id = body["clientId"].as_str().unwrap_or_default();
    let secret = body["clientSecret"].as_str().unwrap_or_default();
    if id.is_empty() || id != s.opts.client_id || secret != s.opts.client_secret {
        s.record.ticket_refusals.push(body.clone());
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"code": "InvalidAuthentication", "message": "clientId or clientSecret is invalid", "requestid": "fake"}),
            ),
        );
    }
    let subs = body["subscriptions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if subs.is_empty() {
        s.record.ticket_refusals.push(body.clone());
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "MissingSubscriptions", "message": "subscriptions is empty"})),
        );
    }
    for sub in subs {
        let pair = (
            sub["type"].as_str().unwrap_or_default().to_string(),
            sub["topic"].as_str().unwrap_or_default().to_string(),
        );
        s.subscribed.insert(pair);
    }
    let ticket = format!("{:032x}", fastrand::u128(..));
    s.tickets.insert(ticket.clone(), (Instant::now(), false));
    s.record.tickets_issued.push(ticket.clone());
    (
        StatusCode::OK,
        Json(json!({"endpoint": s.ws_url, "ticket": ticket})),
    )
}

async fn send_by_session(
    AxState(state): Shared,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut s = state.lock().expect("fake state");
    let session = q.get("session").cloned().unwrap_or_default();
    let refusal = match s.sessions.get(&session) {
        None => Some("unknown session"),
        Some(exp) if *exp < now_ms() => Some("session expired"),
        _ => {
            let kind = body["msgtype"].as_str().unwrap_or_default();
            let valid = match kind {
                "text" => body["text"]["content"].is_string(),
                "markdown" => {
                    body["markdown"]["title"].is_string() && body["markdown"]["text"].is_string()
                }
                _ => false,
            };
            (!valid).then_some("msgtype and its body do not match")
        }
    };
    if let Some(why) = refusal {
        s.record.webhook_refusals.push(format!("{why}: {body}"));
        return Json(json!({"errcode": 300001, "errmsg": why}));
    }
    s.record.webhook_posts.push(body);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

async fn access_token(
    AxState(state): Shared,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut s = state.lock().expect("fake state");
    s.record.token_requests += 1;
    if body["appKey"] != s.opts.client_id.as_str()
        || body["appSecret"] != s.opts.client_secret.as_str()
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"}),
            ),
        );
    }
    let token = format!("tok{:016x}", fastrand::u64(..));
    s.tokens.insert(token.clone());
    (
        StatusCode::OK,
        Json(json!({"accessToken": token, "expireIn": 7200})),
    )
}

async fn robot_send(
    AxState(state): Shared,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut s = state.lock().expect("fake state");
    let token = headers
        .get("x-acs-dingtalk-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !s.tokens.contains(token) {
        s.record
            .openapi_refusals
            .push(format!("bad token on {}", uri.path()));
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "InvalidAuthentication", "message": "不合法的access_token"})),
        );
    }
    let param_ok = body["msgParam"]
        .as_str()
        .is_some_and(|p| serde_json::from_str::<Value>(p).is_ok());
    let users_ok = body["userIds"]
        .as_array()
        .is_none_or(|u| !u.is_empty() && u.len() <= 20);
    if !param_ok || !users_ok || !body["robotCode"].is_string() {
        s.record.openapi_refusals.push(format!("bad body: {body}"));
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": "invalidParameter", "message": "msgParam must be a JSON string; at most 20 userIds"}),
            ),
        );
    }
    s.record.openapi_sends.push((uri.path().to_string(), body));
    (
        StatusCode::OK,
        Json(json!({"processQueryKey": format!("pqk{:x}", fastrand::u64(..))})),
    )
}

impl FakeDingTalk {
    /// The WebSocket URL tickets open.
    pub fn endpoint_ws(&self) -> String {
        self.lock().ws_url.clone()
    }

    /// Every session webhook stops working before its advertised expiry.
    pub fn end_sessions(&self) {
        self.lock().sessions.clear();
    }

    /// Revokes every access token (the next robot send gets a 401).
    pub fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }
}

/// The custom group robot's access token and `SEC…` secret.
pub const CUSTOM_ROBOT_TOKEN: &str = "robot-token-1";
pub const CUSTOM_ROBOT_SECRET: &str = "SECfake0123456789";

async fn custom_robot_send(
    AxState(state): Shared,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut s = state.lock().expect("fake state");
    let ts: i64 = q
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    // Query<> has already URL-decoded `sign`.
    let expected = {
        use base64::Engine as _;
        use hmac::Mac;
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(CUSTOM_ROBOT_SECRET.as_bytes())
                .expect("any key length");
        mac.update(format!("{ts}\n{CUSTOM_ROBOT_SECRET}").as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    s.custom_robot_sent_at
        .retain(|t| t.elapsed() < Duration::from_secs(60));
    let refusal = if q.get("access_token").map(String::as_str) != Some(CUSTOM_ROBOT_TOKEN) {
        Some((300001, "token is not exist"))
    } else if (now_ms() - ts).abs() > 3_600_000 {
        Some((310000, "timestamp is out of the one-hour window"))
    } else if q.get("sign") != Some(&expected) {
        Some((310000, "sign not match"))
    } else if s.custom_robot_sent_at.len() >= 20 {
        Some((410100, "send too fast, exceed 20 times per minute"))
    } else {
        None
    };
    if let Some((code, why)) = refusal {
        s.record.custom_robot_refusals.push((code, why.to_string()));
        return Json(json!({"errcode": code, "errmsg": why}));
    }
    s.custom_robot_sent_at.push(Instant::now());
    s.record.custom_robot_posts.push(body);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}
