//! The Stream-mode connection: a one-use ticket from
//! `/v1.0/gateway/connections/open`, one WebSocket, and a task that turns
//! frames into channel events. ACKs go out through the same task: SYSTEM
//! frames at once, bot messages only when their `Ack` is called (after the
//! inbox has recorded them).

use super::frames::BOT_MESSAGE_TOPIC;
use super::frames::{ack_frame, pong_frame, BotMessage, Frame, TicketRequest, TicketResponse};
use super::sessions::Sessions;
use super::{http_error, Request};
use futures_util::{SinkExt, StreamExt};
use molten_core::{
    Ack, ChannelError, ChannelEvent, ChannelEvents, ConversationRef, Identity, InboundMessage,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// What one connection needs from its channel.
pub struct StreamContext {
    pub channel_id: String,
    pub sessions: Arc<Sessions>,
    /// The client sends a WebSocket ping this often; a pong (or any frame)
    /// proves the connection alive.
    pub ping_every: Duration,
}

/// Registers a connection and returns the WebSocket URL with its ticket.
pub async fn open_ticket(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<String, ChannelError> {
    let url = format!(
        "{}/v1.0/gateway/connections/open",
        endpoint.trim_end_matches('/')
    );
    let body = TicketRequest {
        client_id,
        client_secret,
        subscriptions: TicketRequest::subscriptions(),
        ua: concat!("molten/", env!("CARGO_PKG_VERSION")),
    };
    let resp = http
        .post(&url)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body)
        .send()
        .await
        .map_err(|e| ChannelError::Transient(format!("DingTalk ticket request failed: {e}")))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(http_error("the connection ticket request", Request::Credentials, resp).await);
    }
    let ticket: TicketResponse = resp.json().await.map_err(|e| {
        ChannelError::Transient(format!("DingTalk answered the ticket request with {e}"))
    })?;
    if ticket.endpoint.is_empty() || ticket.ticket.is_empty() {
        return Err(ChannelError::Transient(
            "DingTalk's ticket answer lacks an endpoint or ticket".into(),
        ));
    }
    let mut ws_url = reqwest::Url::parse(&ticket.endpoint).map_err(|e| {
        ChannelError::Transient(format!("DingTalk sent a bad stream endpoint: {e}"))
    })?;
    ws_url
        .query_pairs_mut()
        .append_pair("ticket", &ticket.ticket);
    Ok(ws_url.to_string())
}

/// Opens the WebSocket and starts the task that reads it.
pub async fn connect(url: &str, ctx: StreamContext) -> Result<ChannelEvents, ChannelError> {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| ChannelError::Transient(format!("DingTalk stream handshake failed: {e}")))?;
    let (events_tx, events_rx) = mpsc::channel(64);
    tokio::spawn(run(ws, events_tx, ctx));
    Ok(events_rx)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn run(ws: Ws, events: mpsc::Sender<ChannelEvent>, ctx: StreamContext) {
    let (mut sink, mut stream) = ws.split();
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<String>();
    let mut ping = tokio::time::interval(ctx.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let end = loop {
        tokio::select! {
            _ = events.closed() => break None,
            Some(ack) = acks_rx.recv() => {
                if let Err(e) = sink.send(WsMessage::text(ack)).await {
                    break Some(ChannelError::Transient(format!("DingTalk stream write failed: {e}")));
                }
            }
            _ = ping.tick() => {
                if let Err(e) = sink.send(WsMessage::Ping(Vec::new().into())).await {
                    break Some(ChannelError::Transient(format!("DingTalk stream write failed: {e}")));
                }
            }
            next = stream.next() => match next {
                None => break Some(ChannelError::Transient("DingTalk closed the stream".into())),
                Some(Err(e)) => break Some(ChannelError::Transient(format!("DingTalk stream error: {e}"))),
                Some(Ok(WsMessage::Text(text))) => {
                    match handle_frame(text.as_str(), &ctx, &acks_tx) {
                        Handled::Event(ev) => {
                            if events.send(ev).await.is_err() {
                                break None;
                            }
                        }
                        Handled::Disconnect(reason) => {
                            // Write the ACK first, or the server resends it.
                            while let Ok(ack) = acks_rx.try_recv() {
                                let _ = sink.send(WsMessage::text(ack)).await;
                            }
                            break Some(ChannelError::Transient(format!(
                                "DingTalk asked to reconnect: {reason}"
                            )));
                        }
                    }
                }
                Some(Ok(WsMessage::Close(_))) => {
                    break Some(ChannelError::Transient("DingTalk closed the stream".into()))
                }
                // Pongs (and pings, answered by the library) prove liveness.
                Some(Ok(_)) => {
                    if events.send(ChannelEvent::Alive).await.is_err() {
                        break None;
                    }
                }
            }
        }
    };
    let _ = sink.close().await;
    if let Some(e) = end {
        tracing::info!(channel = %ctx.channel_id, error = %e, "DingTalk stream ended");
        let _ = events.send(ChannelEvent::Closed(e)).await;
    }
}

enum Handled {
    Event(ChannelEvent),
    Disconnect(String),
}

fn handle_frame(text: &str, ctx: &StreamContext, acks: &mpsc::UnboundedSender<String>) -> Handled {
    let frame: Frame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(channel = %ctx.channel_id, error = %e, "unreadable DingTalk frame ignored");
            return Handled::Event(ChannelEvent::Alive);
        }
    };
    let id = frame.message_id().map(str::to_string);
    let ack_now = |code: u16, message: &str, data: Value| {
        if let Some(id) = &id {
            let _ = acks.send(ack_frame(id, code, message, &data));
        }
    };
    match (frame.kind.as_str(), frame.topic()) {
        ("SYSTEM", "ping") => {
            if let Some(id) = &id {
                let _ = acks.send(pong_frame(id, &frame.data));
            }
            Handled::Event(ChannelEvent::Alive)
        }
        ("SYSTEM", "disconnect") => {
            ack_now(200, "OK", json!({"response": null}));
            let reason = serde_json::from_str::<Value>(&frame.data)
                .ok()
                .and_then(|d| d.get("reason").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| "no reason given".into());
            Handled::Disconnect(reason)
        }
        ("SYSTEM", _) => {
            ack_now(200, "OK", json!({"response": null}));
            Handled::Event(ChannelEvent::Alive)
        }
        ("EVENT", _) => {
            // No event is handled yet; SUCCESS stops redelivery.
            ack_now(
                200,
                "OK",
                json!({"status": "SUCCESS", "message": "ignored"}),
            );
            Handled::Event(ChannelEvent::Alive)
        }
        ("CALLBACK", BOT_MESSAGE_TOPIC) => match bot_message(&frame, ctx) {
            Ok(msg) => {
                let ack = match id {
                    Some(id) => {
                        let acks = acks.clone();
                        Ack::new(move || {
                            let _ =
                                acks.send(ack_frame(&id, 200, "OK", &json!({"response": null})));
                        })
                    }
                    None => Ack::noop(),
                };
                Handled::Event(ChannelEvent::Message(msg, ack))
            }
            Err(e) => {
                tracing::warn!(channel = %ctx.channel_id, error = %e, "unreadable DingTalk bot message");
                ack_now(400, "bad message", json!({"response": null}));
                Handled::Event(ChannelEvent::Alive)
            }
        },
        (kind, topic) => {
            tracing::debug!(kind, topic, "unsupported DingTalk frame");
            ack_now(404, "topic not supported", json!({"response": null}));
            Handled::Event(ChannelEvent::Alive)
        }
    }
}

fn bot_message(frame: &Frame, ctx: &StreamContext) -> Result<InboundMessage, serde_json::Error> {
    let bot: BotMessage = serde_json::from_str(&frame.data)?;
    ctx.sessions.remember(&bot);
    let received_at = bot
        .create_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_else(chrono::Utc::now);
    Ok(InboundMessage {
        conversation: ConversationRef::new(&ctx.channel_id, &bot.conversation_id),
        sender: Identity::new(&ctx.channel_id, bot.sender()),
        platform_msg_id: if bot.msg_id.is_empty() {
            frame.message_id().unwrap_or_default().to_string()
        } else {
            bot.msg_id.clone()
        },
        text: bot.body_text(),
        received_at,
    })
}
