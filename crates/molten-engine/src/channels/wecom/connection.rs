//! One live long connection: open and authenticate, then a single task owns
//! the socket — it writes every outgoing frame, pings on the heartbeat,
//! correlates acks to commands by `req_id`, and turns pushes into events.

use super::frames::{self, CommandAck, ServerFrame};
use futures_util::{SinkExt, StreamExt};
use molten_core::{Ack, ChannelError, ChannelEvent, ChannelEvents, Sensitive};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// How long the server has to answer a command (the SDK's reply ack timeout).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);

/// The error a kicked connection reports: retrying would kick the other client.
pub const KICKED: &str = "another client connected with this bot; stop it or this one will keep being kicked (pause and resume the channel once it is stopped)";

/// The latest pushed message's `req_id` per conversation, remembered once the
/// inbox has recorded the message; replies in that conversation use it.
pub type ReplyTargets = Arc<Mutex<HashMap<String, String>>>;

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<CommandAck>>>>;

/// What is needed to open one connection.
pub struct OpenParams {
    pub url: String,
    pub bot_id: String,
    pub secret: Sensitive<String>,
    pub secret_name: String,
    pub channel_id: String,
    pub heartbeat: Duration,
    pub targets: ReplyTargets,
}

/// The sending side of a live connection.
#[derive(Debug)]
pub struct Link {
    outgoing: mpsc::Sender<String>,
    pending: Pending,
}

impl Link {
    /// Sends one command and waits for its ack (matched by `req_id`).
    pub async fn request(
        &self,
        cmd: &str,
        req_id: &str,
        body: serde_json::Value,
    ) -> Result<CommandAck, ChannelError> {
        let (done, ack) = oneshot::channel();
        lock(&self.pending).insert(req_id.to_string(), done);
        let frame = frames::command(cmd, req_id, Some(body));
        if self.outgoing.send(frame).await.is_err() {
            lock(&self.pending).remove(req_id);
            return Err(ChannelError::NotRunning);
        }
        match tokio::time::timeout(ACK_TIMEOUT, ack).await {
            Ok(Ok(ack)) => Ok(ack),
            Ok(Err(_)) => Err(ChannelError::Transient(format!(
                "the WeCom connection closed before `{cmd}` was acknowledged"
            ))),
            Err(_) => {
                lock(&self.pending).remove(req_id);
                Err(ChannelError::Transient(format!(
                    "WeCom did not acknowledge `{cmd}` within {ACK_TIMEOUT:?}"
                )))
            }
        }
    }

    pub fn is_open(&self) -> bool {
        !self.outgoing.is_closed()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn transient(what: impl std::fmt::Display) -> ChannelError {
    ChannelError::Transient(what.to_string())
}

/// Opens the WebSocket, authenticates with `aibot_subscribe`, and starts the
/// connection task. A refused subscribe is a credentials error.
pub async fn open(p: OpenParams) -> Result<(Arc<Link>, ChannelEvents), ChannelError> {
    let (mut ws, _) = tokio::time::timeout(OPEN_TIMEOUT, tokio_tungstenite::connect_async(&p.url))
        .await
        .map_err(|_| transient(format!("no WebSocket to {} within {OPEN_TIMEOUT:?}", p.url)))?
        .map_err(|e| transient(format!("cannot reach WeCom at {}: {e}", p.url)))?;

    let req_id = frames::new_req_id(frames::CMD_SUBSCRIBE);
    let body = frames::subscribe_body(&p.bot_id, p.secret.expose());
    ws.send(Message::text(frames::command(
        frames::CMD_SUBSCRIBE,
        &req_id,
        Some(body),
    )))
    .await
    .map_err(|e| transient(format!("sending aibot_subscribe failed: {e}")))?;

    let answer = tokio::time::timeout(OPEN_TIMEOUT, async {
        while let Some(msg) = ws.next().await {
            let msg = msg.map_err(|e| transient(format!("WeCom connection failed: {e}")))?;
            if let Message::Text(text) = msg {
                if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                    if frame.cmd.is_none() && frame.headers.req_id == req_id {
                        return Ok(frame.ack());
                    }
                }
            }
        }
        Err(transient(
            "WeCom closed the connection before answering aibot_subscribe",
        ))
    })
    .await
    .map_err(|_| {
        transient(format!(
            "WeCom did not answer aibot_subscribe within {OPEN_TIMEOUT:?}"
        ))
    })??;

    if answer.errcode != 0 {
        let _ = ws.close(None).await;
        return Err(ChannelError::Credentials {
            platform: "wecom".into(),
            detail: format!(
                "bot {} was refused ({} {}): check bot_id in config.yaml and the secret in the vault (`molten secret set {}`)",
                p.bot_id, answer.errcode, answer.errmsg, p.secret_name
            ),
        });
    }

    let (outgoing, outgoing_rx) = mpsc::channel(64);
    let (events, events_rx) = mpsc::channel(64);
    let pending: Pending = Arc::default();
    let task = ConnectionTask {
        channel_id: p.channel_id,
        heartbeat: p.heartbeat,
        targets: p.targets,
        pending: Arc::clone(&pending),
        events,
    };
    tokio::spawn(task.run(ws, outgoing_rx));
    Ok((Arc::new(Link { outgoing, pending }), events_rx))
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct ConnectionTask {
    channel_id: String,
    heartbeat: Duration,
    targets: ReplyTargets,
    pending: Pending,
    events: mpsc::Sender<ChannelEvent>,
}

/// Why the connection task stopped.
enum Stop {
    /// The supervisor let go of the events: nothing to report.
    Released,
    Closed(ChannelError),
}

impl ConnectionTask {
    async fn run(self, mut ws: Socket, mut outgoing: mpsc::Receiver<String>) {
        let stop = self.serve(&mut ws, &mut outgoing).await;
        // Unanswered commands fail now rather than at their timeout.
        lock(&self.pending).clear();
        let _ = ws.close(None).await;
        if let Stop::Closed(e) = stop {
            let _ = self.events.send(ChannelEvent::Closed(e)).await;
        }
    }

    async fn serve(&self, ws: &mut Socket, outgoing: &mut mpsc::Receiver<String>) -> Stop {
        let start = tokio::time::Instant::now() + self.heartbeat;
        let mut ticker = tokio::time::interval_at(start, self.heartbeat);
        let mut unanswered_pings = 0u32;
        loop {
            tokio::select! {
                _ = self.events.closed() => return Stop::Released,
                _ = ticker.tick() => {
                    // The SDK's rule: two consecutive pings without an ack = dead.
                    if unanswered_pings >= 2 {
                        return Stop::Closed(transient("WeCom left two pings unanswered; reconnecting"));
                    }
                    unanswered_pings += 1;
                    let ping = frames::command(frames::CMD_PING, &frames::new_req_id(frames::CMD_PING), None);
                    if let Err(e) = ws.send(Message::text(ping)).await {
                        return Stop::Closed(transient(format!("sending a ping failed: {e}")));
                    }
                }
                frame = outgoing.recv() => {
                    let Some(frame) = frame else { return Stop::Released };
                    if let Err(e) = ws.send(Message::text(frame)).await {
                        return Stop::Closed(transient(format!("writing to WeCom failed: {e}")));
                    }
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else {
                            tracing::warn!(channel = %self.channel_id, "ignoring an unreadable WeCom frame");
                            continue;
                        };
                        if frame.cmd.is_none() && frame.headers.req_id.starts_with("ping_") {
                            unanswered_pings = 0;
                        }
                        if let Some(stop) = self.on_frame(frame).await {
                            return stop;
                        }
                    }
                    Some(Ok(Message::Close(reason))) => {
                        return Stop::Closed(transient(format!("WeCom closed the connection: {reason:?}")));
                    }
                    Some(Ok(_)) => {} // binary frames are not part of the protocol; ping/pong handled below us
                    Some(Err(e)) => return Stop::Closed(transient(format!("WeCom connection failed: {e}"))),
                    None => return Stop::Closed(transient("WeCom closed the connection")),
                },
            }
        }
    }

    async fn on_frame(&self, frame: ServerFrame) -> Option<Stop> {
        let event = match frame.cmd.as_deref() {
            None => {
                let waiter = lock(&self.pending).remove(&frame.headers.req_id);
                match waiter {
                    Some(done) => {
                        let _ = done.send(frame.ack());
                    }
                    None if frame.headers.req_id.starts_with("ping_") => {}
                    None => {
                        tracing::debug!(req_id = %frame.headers.req_id, "ack for no waiting command")
                    }
                }
                ChannelEvent::Alive
            }
            Some(frames::CMD_MSG_CALLBACK) => {
                let body = frame.body.unwrap_or_default();
                match frames::inbound(&self.channel_id, &body) {
                    Ok(msg) => {
                        // The protocol has no per-message ack: "acknowledging"
                        // here means the recorded message may now be replied to.
                        let targets = Arc::clone(&self.targets);
                        let conversation = msg.conversation.conversation_id.clone();
                        let req_id = frame.headers.req_id;
                        let ack = Ack::new(move || {
                            lock(&targets).insert(conversation, req_id);
                        });
                        ChannelEvent::Message(msg, ack)
                    }
                    Err(e) => {
                        tracing::warn!(channel = %self.channel_id, error = %e, "ignoring a message push");
                        ChannelEvent::Alive
                    }
                }
            }
            Some(frames::CMD_EVENT_CALLBACK) => match frame.event_type() {
                Some("disconnected_event") => {
                    return Some(Stop::Closed(ChannelError::Rejected(KICKED.into())))
                }
                _ => ChannelEvent::Alive,
            },
            Some(other) => {
                tracing::debug!(cmd = other, "ignoring an unknown WeCom command");
                ChannelEvent::Alive
            }
        };
        if self.events.send(event).await.is_err() {
            return Some(Stop::Released);
        }
        None
    }
}
