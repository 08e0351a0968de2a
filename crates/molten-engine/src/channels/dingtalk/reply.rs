//! Sending: a reply goes to the conversation's `sessionWebhook` while it is
//! valid; after that (or for a conversation never heard from) it goes through
//! the robot OpenAPI with an access token cached until shortly before expiry
//! and refreshed on 401. Long text is split; text is sent as markdown.

use super::sessions::Session;
use super::{http_error, Request};
use molten_core::ChannelError;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Longest piece sent in one message, in characters (DingTalk's markdown
/// limit is about 5000; leave room for the title and mentions).
pub const MAX_CHUNK_CHARS: usize = 3500;
/// A webhook this close to expiry is not used.
const WEBHOOK_MARGIN_MS: i64 = 5_000;
/// Tokens are refreshed this long before they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

/// Splits `text` into pieces of at most `max` characters, at line breaks
/// where possible.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0;
    for line in text.split_inclusive('\n') {
        let len = line.chars().count();
        if cur_len + len > max && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur_len = 0;
        }
        if len > max {
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(max) {
                out.push(piece.iter().collect());
            }
            continue;
        }
        cur.push_str(line);
        cur_len += len;
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

fn title(text: &str) -> String {
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("Molten");
    first
        .trim()
        .trim_start_matches('#')
        .trim()
        .chars()
        .take(20)
        .collect()
}

/// The webhook to use now, if the session has a live one.
pub fn live_webhook(session: &Session, now_ms: i64) -> Option<&str> {
    session
        .webhook
        .as_deref()
        .filter(|_| session.webhook_expires_ms - WEBHOOK_MARGIN_MS > now_ms)
}

pub async fn post_webhook(
    http: &reqwest::Client,
    webhook: &str,
    session: &Session,
    text: &str,
) -> Result<(), ChannelError> {
    let mut body = json!({"msgtype": "markdown", "markdown": {"title": title(text), "text": text}});
    if let (true, Some(staff)) = (session.group, &session.last_sender_staff_id) {
        body["at"] = json!({"atUserIds": [staff]});
    }
    let resp =
        http.post(webhook).json(&body).send().await.map_err(|e| {
            ChannelError::Transient(format!("DingTalk session webhook failed: {e}"))
        })?;
    if !resp.status().is_success() {
        return Err(http_error("the session webhook", Request::Send, resp).await);
    }
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    match answer.get("errcode").and_then(Value::as_i64) {
        None | Some(0) => Ok(()),
        Some(code) => Err(ChannelError::Rejected(format!(
            "DingTalk session webhook answered errcode {code}: {}",
            answer
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenAnswer {
    access_token: String,
    expire_in: u64,
}

/// The robot OpenAPI with its cached access token.
#[derive(Default)]
pub struct OpenApi {
    token: Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenApi { token: <redacted> }")
    }
}

/// Where and as whom a proactive message goes.
pub struct Target<'a> {
    pub endpoint: &'a str,
    pub app_key: &'a str,
    pub app_secret: &'a str,
    pub robot_code: &'a str,
    pub conversation_id: &'a str,
    /// A 1:1 chat's user; `None` sends to the group `conversation_id`.
    pub user_id: Option<&'a str>,
}

impl OpenApi {
    async fn token(&self, http: &reqwest::Client, t: &Target<'_>) -> Result<String, ChannelError> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let resp = http
            .post(format!(
                "{}/v1.0/oauth2/accessToken",
                t.endpoint.trim_end_matches('/')
            ))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&json!({"appKey": t.app_key, "appSecret": t.app_secret}))
            .send()
            .await
            .map_err(|e| ChannelError::Transient(format!("DingTalk token request failed: {e}")))?;
        if !resp.status().is_success() {
            return Err(http_error("the access token request", Request::Credentials, resp).await);
        }
        let answer: TokenAnswer = resp.json().await.map_err(|e| {
            ChannelError::Transient(format!("DingTalk answered the token request with {e}"))
        })?;
        let life = Duration::from_secs(answer.expire_in);
        let until = Instant::now() + life.checked_sub(TOKEN_MARGIN).unwrap_or(life / 2);
        *cached = Some((answer.access_token.clone(), until));
        Ok(answer.access_token)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// Sends `text` proactively; returns DingTalk's `processQueryKey`.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        t: &Target<'_>,
        text: &str,
    ) -> Result<Option<String>, ChannelError> {
        let param = json!({"title": title(text), "text": text}).to_string();
        let (path, body) = match t.user_id {
            Some(user) => (
                "/v1.0/robot/oToMessages/batchSend",
                json!({"robotCode": t.robot_code, "userIds": [user], "msgKey": "sampleMarkdown", "msgParam": param}),
            ),
            None => (
                "/v1.0/robot/groupMessages/send",
                json!({"robotCode": t.robot_code, "openConversationId": t.conversation_id, "msgKey": "sampleMarkdown", "msgParam": param}),
            ),
        };
        let url = format!("{}{path}", t.endpoint.trim_end_matches('/'));
        for attempt in 0..2 {
            let token = self.token(http, t).await?;
            let resp = http
                .post(&url)
                .header("x-acs-dingtalk-access-token", token)
                .header(reqwest::header::ACCEPT, "application/json")
                .json(&body)
                .send()
                .await
                .map_err(|e| ChannelError::Transient(format!("DingTalk robot send failed: {e}")))?;
            if resp.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.forget_token().await;
                continue;
            }
            if !resp.status().is_success() {
                return Err(http_error("the robot send", Request::Send, resp).await);
            }
            let answer: Value = resp.json().await.unwrap_or(Value::Null);
            return Ok(answer
                .get("processQueryKey")
                .and_then(Value::as_str)
                .map(str::to_string));
        }
        Err(ChannelError::Transient(
            "DingTalk refused a fresh access token; retrying later".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_split_within_the_limit() {
        let text = format!("{}\n{}", "a".repeat(10), "b".repeat(25));
        let parts = split(&text, 12);
        assert!(
            parts.iter().all(|p| p.chars().count() <= 12),
            "each part fits: {parts:?}"
        );
        assert_eq!(parts.concat(), text, "nothing is lost");
        assert_eq!(
            split("hi", 12),
            vec!["hi".to_string()],
            "short text is one part"
        );
    }
}
