//! `molten send <text>`: posts to a running engine's local chat through its
//! API and prints the reply.

use molten_engine::DataDir;
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(text: String) -> ExitCode {
    match send(text).await {
        Ok(replies) => {
            for r in replies {
                println!("{r}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("molten send: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn send(text: String) -> Result<Vec<String>, String> {
    let dir = DataDir::resolve().map_err(|e| e.to_string())?;
    let endpoint = std::fs::read_to_string(dir.api_endpoint()).map_err(|_| {
        "no running engine found; start one with `molten serve` (or the app)".to_string()
    })?;
    let url = serde_json::from_str::<serde_json::Value>(&endpoint)
        .ok()
        .and_then(|v| v["url"].as_str().map(String::from))
        .ok_or("api.json is unreadable; restart the engine")?;
    let token = crate::secret::api_token().await?;
    let client = Client {
        url,
        token: token.expose().trim().to_string(),
    };
    let sent = client
        .request(
            "POST",
            "/v1/chat/messages",
            Some(serde_json::json!({ "text": text })),
        )
        .await?;
    let id = sent["id"]
        .as_i64()
        .ok_or_else(|| format!("unexpected answer: {sent}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut after = id;
    let mut replies = Vec::new();
    while tokio::time::Instant::now() < deadline {
        let page = client
            .request(
                "GET",
                &format!("/v1/chat/messages?after={after}&wait_ms=5000"),
                None,
            )
            .await?;
        for e in page["entries"].as_array().into_iter().flatten() {
            after = after.max(e["id"].as_i64().unwrap_or(after));
            if e["reply_to"].as_i64() == Some(id) {
                replies.push(e["text"].as_str().unwrap_or_default().to_string());
            }
        }
        if !replies.is_empty() {
            return Ok(replies);
        }
    }
    Err("no reply within 30 s; check `molten doctor`".into())
}

struct Client {
    url: String,
    token: String,
}

impl Client {
    /// A minimal HTTP/1.1 client over loopback, enough for the local API.
    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.url.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(host)
            .await
            .map_err(|e| format!("cannot reach the engine at {host}: {e}"))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.token,
            body.len()
        );
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
        let raw = String::from_utf8_lossy(&raw);
        let (head, rest) = raw.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
        let status = head.split_whitespace().nth(1).unwrap_or("0");
        let json: serde_json::Value =
            serde_json::from_str(rest.trim()).map_err(|e| format!("HTTP {status}: {e}"))?;
        if status.starts_with('2') {
            Ok(json)
        } else {
            Err(format!(
                "{} (next step: {})",
                json["message"].as_str().unwrap_or(status),
                json["hint"].as_str().unwrap_or("")
            ))
        }
    }
}
