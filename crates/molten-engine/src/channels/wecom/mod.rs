//! WeCom (企业微信) AI Bot over its long connection (`aibot_*` frames on one
//! outbound WebSocket; see the protocol notes in the shared docs).
//!
//! Messages arrive as `aibot_msg_callback` pushes; a reply goes back as a
//! finished stream frame on the push's `req_id` (remembered per conversation
//! once the inbox has recorded the message), anything else as a proactive
//! `aibot_send_msg`. Only one connection per bot may live: a newer one kicks
//! this one, which then stops instead of kicking back.

mod config;
mod connection;
mod frames;

pub use config::{WeComConfig, DEFAULT_URL};
pub use connection::KICKED;

use async_trait::async_trait;
use connection::{Link, OpenParams, ReplyTargets};
use molten_core::{Channel, ChannelError, ChannelEvents, ChannelId, OutboundMessage, SecretVault};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The SDK's heartbeat: a `ping` every 30 s.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

pub struct WeComChannel {
    id: ChannelId,
    config: WeComConfig,
    vault: Option<Arc<dyn SecretVault>>,
    heartbeat: Duration,
    link: Mutex<Option<Arc<Link>>>,
    targets: ReplyTargets,
    /// Frames for one `req_id` go strictly one after another.
    sending: tokio::sync::Mutex<()>,
}

impl WeComChannel {
    pub fn new(config: WeComConfig, vault: Option<Arc<dyn SecretVault>>) -> Self {
        Self {
            id: ChannelId::new(config.channel_id()),
            config,
            vault,
            heartbeat: HEARTBEAT,
            link: Mutex::new(None),
            targets: ReplyTargets::default(),
            sending: tokio::sync::Mutex::new(()),
        }
    }

    /// A different ping interval (tests).
    pub fn with_heartbeat(mut self, heartbeat: Duration) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    async fn secret(&self) -> Result<molten_core::Sensitive<String>, ChannelError> {
        let name = &self.config.secret;
        let refused = |detail: String| ChannelError::Credentials {
            platform: "wecom".into(),
            detail,
        };
        let vault = self.vault.as_ref().ok_or_else(|| {
            refused(format!(
                "no secret vault is available to read `{name}`: unlock the vault, then `molten secret set {name}`"
            ))
        })?;
        match vault.get(name).await {
            Ok(Some(secret)) => Ok(secret),
            Ok(None) => Err(refused(format!(
                "the vault has no secret `{name}`: run `molten secret set {name}` with the bot's secret"
            ))),
            Err(e) => Err(refused(format!("reading secret `{name}` failed: {e}"))),
        }
    }

    fn live_link(&self) -> Result<Arc<Link>, ChannelError> {
        self.link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .filter(|l| l.is_open())
            .ok_or(ChannelError::NotRunning)
    }

    fn reply_target(&self, conversation: &str) -> Option<String> {
        self.targets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(conversation)
            .cloned()
    }
}

#[async_trait]
impl Channel for WeComChannel {
    fn id(&self) -> &ChannelId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "wecom"
    }

    fn heartbeat_interval(&self) -> Option<Duration> {
        Some(self.heartbeat)
    }

    async fn connect(&self) -> Result<ChannelEvents, ChannelError> {
        let secret = self.secret().await?;
        let (link, events) = connection::open(OpenParams {
            url: self.config.url.clone(),
            bot_id: self.config.bot_id.clone(),
            secret,
            secret_name: self.config.secret.clone(),
            channel_id: self.id.to_string(),
            heartbeat: self.heartbeat,
            targets: Arc::clone(&self.targets),
        })
        .await?;
        *self
            .link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(link);
        Ok(events)
    }

    async fn send(&self, msg: &OutboundMessage) -> Result<Option<String>, ChannelError> {
        let link = self.live_link()?;
        let _serial = self.sending.lock().await;
        let chat = &msg.conversation.conversation_id;
        let mut pieces = frames::split_content(&msg.text, frames::MAX_CONTENT_BYTES).into_iter();
        if let (Some(_), Some(req_id)) = (msg.reply_to, self.reply_target(chat)) {
            if let Some(first) = pieces.clone().next() {
                let stream_id = format!("stream_{}", msg.outbox_id);
                let body = frames::stream_reply_body(&stream_id, first);
                let ack = link.request(frames::CMD_RESPOND_MSG, &req_id, body).await?;
                if ack.errcode == 0 {
                    pieces.next();
                } else {
                    // Expired or unknown req_id: the text goes proactively.
                    tracing::info!(channel = %self.id, errcode = ack.errcode, errmsg = %ack.errmsg, "reply refused; sending proactively");
                }
            }
        }
        // Whatever the reply could not carry goes as proactive messages.
        for piece in pieces {
            let req_id = frames::new_req_id(frames::CMD_SEND_MSG);
            let body = frames::markdown_send_body(chat, piece);
            let ack = link.request(frames::CMD_SEND_MSG, &req_id, body).await?;
            if ack.errcode != 0 {
                return Err(ChannelError::Rejected(format!(
                    "WeCom refused a message to `{chat}` ({} {}): check that the bot is in that chat",
                    ack.errcode, ack.errmsg
                )));
            }
        }
        Ok(None)
    }
}
