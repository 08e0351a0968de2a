//! DingTalk (钉钉) in Stream mode: receive over one outbound WebSocket opened
//! with a one-use ticket, reply through the conversation's `sessionWebhook`,
//! and fall back to the robot OpenAPI once that has expired. The protocol is
//! described in the project's DingTalk protocol notes.

mod config;
mod frames;
mod reply;
mod sessions;
pub mod sign;
mod stream;

pub use config::{DingTalkConfig, DEFAULT_ENDPOINT};

use async_trait::async_trait;
use molten_core::{
    Channel, ChannelError, ChannelEvents, ChannelId, OutboundMessage, SecretVault, Sensitive,
};
use sessions::Sessions;
use std::sync::Arc;
use std::time::Duration;

const PLATFORM: &str = "dingtalk";

/// The client's WebSocket ping cadence; two of these without a pong or a
/// frame and the supervisor replaces the connection.
pub const DEFAULT_PING_EVERY: Duration = Duration::from_secs(30);

pub struct DingTalkChannel {
    id: ChannelId,
    config: DingTalkConfig,
    vault: Option<Arc<dyn SecretVault>>,
    http: reqwest::Client,
    sessions: Arc<Sessions>,
    openapi: reply::OpenApi,
    ping_every: Duration,
}

impl std::fmt::Debug for DingTalkChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DingTalkChannel")
            .field("id", &self.id)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DingTalkChannel {
    /// A channel whose secret is read from `vault` at each connect; without a
    /// vault it fails with a message saying how to unlock it.
    pub fn new(config: DingTalkConfig, vault: Option<Arc<dyn SecretVault>>) -> Self {
        Self {
            id: ChannelId::new(config.channel_id()),
            config,
            vault,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            sessions: Arc::default(),
            openapi: reply::OpenApi::default(),
            ping_every: DEFAULT_PING_EVERY,
        }
    }

    /// Overrides the WebSocket ping cadence (and so the zombie deadline).
    pub fn with_ping_every(mut self, every: Duration) -> Self {
        self.ping_every = every;
        self
    }

    async fn secret(&self) -> Result<Sensitive<String>, ChannelError> {
        let name = &self.config.client_secret;
        let credentials = |detail: String| ChannelError::Credentials {
            platform: PLATFORM.into(),
            detail,
        };
        let vault = self.vault.as_ref().ok_or_else(|| {
            credentials(format!(
                "the secret vault is locked, so the client secret `{name}` cannot be read; unlock the vault and resume the channel"
            ))
        })?;
        match vault.get(name).await {
            Ok(Some(secret)) => Ok(secret),
            Ok(None) => Err(credentials(format!(
                "no secret named `{name}` in the vault; run `molten secret set {name}` with the app's Client Secret"
            ))),
            Err(e) => Err(credentials(format!("the client secret `{name}` cannot be read: {e}"))),
        }
    }
}

/// Which request was refused: a 400/401/403 from one that carries the
/// credentials means they are wrong; from a send, that the message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    Credentials,
    Send,
}

/// Turns a refused HTTP answer into an error that says whether to retry.
pub(crate) async fn http_error(what: &str, kind: Request, resp: reqwest::Response) -> ChannelError {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = resp.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .map(|v| {
            let code = v.get("code").or_else(|| v.get("errcode"));
            let message = v.get("message").or_else(|| v.get("errmsg"));
            format!(
                "{} {}",
                code.map(ToString::to_string).unwrap_or_default(),
                message.and_then(|m| m.as_str()).unwrap_or_default()
            )
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    let detail = format!("{what} got HTTP {}: {}", status.as_u16(), detail.trim());
    match status.as_u16() {
        400 | 401 | 403 if kind == Request::Credentials => ChannelError::Credentials {
            platform: PLATFORM.into(),
            detail: format!("{detail}; check client_id and the client secret in the vault"),
        },
        429 => ChannelError::RateLimited {
            retry_after: retry_after.unwrap_or(Duration::from_secs(60)),
        },
        400..=499 if status.as_u16() != 408 => ChannelError::Rejected(detail),
        _ => ChannelError::Transient(detail),
    }
}

#[async_trait]
impl Channel for DingTalkChannel {
    fn id(&self) -> &ChannelId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        PLATFORM
    }

    fn heartbeat_interval(&self) -> Option<Duration> {
        Some(self.ping_every)
    }

    async fn connect(&self) -> Result<ChannelEvents, ChannelError> {
        let secret = self.secret().await?;
        // The secret leaves the process only in the ticket request body.
        let url = stream::open_ticket(
            &self.http,
            &self.config.endpoint,
            &self.config.client_id,
            secret.expose(),
        )
        .await?;
        stream::connect(
            &url,
            stream::StreamContext {
                channel_id: self.id.to_string(),
                sessions: Arc::clone(&self.sessions),
                ping_every: self.ping_every,
            },
        )
        .await
    }

    async fn send(&self, msg: &OutboundMessage) -> Result<Option<String>, ChannelError> {
        let conversation_id = msg.conversation.conversation_id.as_str();
        let session = self.sessions.get(conversation_id);
        let parts = reply::split(&msg.text, reply::MAX_CHUNK_CHARS);
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut parts = parts.as_slice();
        if let Some(s) = &session {
            if let Some(webhook) = reply::live_webhook(s, now_ms) {
                while let Some((part, rest)) = parts.split_first() {
                    match reply::post_webhook(&self.http, webhook, s, part).await {
                        Ok(()) => parts = rest,
                        // The webhook ended early: the rest goes by OpenAPI.
                        Err(ChannelError::Rejected(why)) => {
                            tracing::info!(channel = %self.id, %why, "session webhook refused; using the robot OpenAPI");
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                if parts.is_empty() {
                    return Ok(None);
                }
            }
        }
        let robot_code = self
            .config
            .robot_code
            .clone()
            .or_else(|| session.as_ref().and_then(|s| s.robot_code.clone()))
            .unwrap_or_else(|| self.config.client_id.clone());
        let user_id = match &session {
            Some(s) if !s.group => Some(s.last_sender_staff_id.clone().ok_or_else(|| {
                ChannelError::Rejected(format!(
                    "the reply window for {conversation_id} has closed and its sender has no staff id to message directly"
                ))
            })?),
            _ => None,
        };
        let secret = self.secret().await?;
        let target = reply::Target {
            endpoint: &self.config.endpoint,
            app_key: &self.config.client_id,
            app_secret: secret.expose(),
            robot_code: &robot_code,
            conversation_id,
            user_id: user_id.as_deref(),
        };
        let mut key = None;
        for part in parts {
            key = self.openapi.send(&self.http, &target, part).await?;
        }
        Ok(key)
    }
}
