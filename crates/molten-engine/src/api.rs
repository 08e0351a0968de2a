//! The local HTTP API for the CLI, scripts and (later) webhooks. It binds
//! 127.0.0.1 only; every request needs `Authorization: Bearer <token>` (the
//! token lives in the secret vault: `molten api-token` prints it); tokens in URLs are not
//! accepted; requests from a web page (an `Origin` header) are refused.

use crate::engine::{ChatEntry, Engine};
use crate::error::EngineError;
use crate::vault::SqliteVault;
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use molten_core::{Reminder, ReminderQuery, ReminderStatus};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
struct Api {
    engine: Engine,
    token: Arc<str>,
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
    hint: String,
}

struct ApiError(StatusCode, ErrorBody);

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match e.code() {
            "too_long" => StatusCode::PAYLOAD_TOO_LARGE,
            "empty" => StatusCode::BAD_REQUEST,
            "not_found" => StatusCode::NOT_FOUND,
            "channels_paused" | "engine_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(
            status,
            ErrorBody {
                code: e.code(),
                message: e.to_string(),
                hint: e.hint(),
            },
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn refuse(status: StatusCode, code: &'static str, message: &str, hint: &str) -> Response {
    ApiError(
        status,
        ErrorBody {
            code,
            message: message.into(),
            hint: hint.into(),
        },
    )
    .into_response()
}

/// Compares without an early exit, so timing does not reveal the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn guard(State(api): State<Api>, req: Request, next: Next) -> Response {
    if req.headers().contains_key(header::ORIGIN) {
        return refuse(
            StatusCode::FORBIDDEN,
            "origin_refused",
            "requests from web pages are refused",
            "Call the API from a script or the molten CLI, not from a browser page.",
        );
    }
    // Webhooks prove themselves with their signature instead (checked in the handler).
    if req.uri().path().starts_with("/v1/webhooks/") {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(presented.as_bytes(), api.token.as_bytes()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token",
            "Send `Authorization: Bearer <token>` with the token `molten api-token` prints.",
        );
    }
    next.run(req).await
}

async fn health(State(api): State<Api>) -> Json<molten_core::Health> {
    Json(api.engine.health())
}

async fn metrics(State(api): State<Api>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        api.engine.metrics_text(),
    )
}

async fn webhook(
    State(api): State<Api>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use molten_core::SecretVault;
    let Some(cfg) = api.engine.config().webhooks.get(&name) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "no webhook by that name",
            "Add it under `webhooks:` in config.yaml.",
        );
    };
    let Some(vault) = api.engine.vault() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "vault_locked",
            "the secret vault is locked",
            "Unlock the keyring or set MOLTEN_PASSPHRASE, then restart.",
        );
    };
    let secret = match vault.get(&cfg.secret).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let hint = format!("Store the webhook's key: molten secret set {}", cfg.secret);
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "secret_missing",
                "the webhook's secret is not in the vault",
                &hint,
            );
        }
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "vault",
                &e.to_string(),
                &e.hint(),
            )
        }
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (ts, sig) = (header("x-molten-timestamp"), header("x-molten-signature"));
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = crate::webhook::verify(secret.expose().as_bytes(), ts, sig, &body, now) {
        tracing::warn!(webhook = %name, reason = %e.message(), "webhook refused");
        let _ = api
            .engine
            .record(
                "webhook",
                "api",
                &format!("webhook:{name}"),
                &name,
                &e.message(),
                crate::audit::AuditResult::Denied,
            )
            .await;
        return refuse(StatusCode::UNAUTHORIZED, "bad_signature", &e.message(), "Sign `<timestamp>.<body>` with HMAC-SHA256 and the webhook's secret; send both headers.");
    }
    let summary = format!("{} bytes", body.len());
    if let Err(e) = api
        .engine
        .record(
            "webhook",
            "api",
            &format!("webhook:{name}"),
            &name,
            &summary,
            crate::audit::AuditResult::Ok,
        )
        .await
    {
        return ApiError::from(e).into_response();
    }
    match api
        .engine
        .webhook_received(&name, sig.unwrap_or_default(), &body)
        .await
    {
        Ok(fresh) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "accepted": true, "duplicate": !fresh })),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct SendBody {
    text: String,
    /// The client's id for the message: sending it again is harmless.
    id: Option<String>,
}

async fn send(
    State(api): State<Api>,
    Json(body): Json<SendBody>,
) -> Result<Json<ChatEntry>, ApiError> {
    Ok(Json(api.engine.send_local(body.text, body.id).await?))
}

#[derive(Deserialize)]
struct AfterQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
    /// Long-poll: wait up to this long for something new.
    wait_ms: Option<u64>,
}

#[derive(Serialize)]
struct Entries {
    entries: Vec<ChatEntry>,
}

async fn list(
    State(api): State<Api>,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Entries>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    let mut events = api.engine.subscribe_entries();
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(q.wait_ms.unwrap_or(0).min(60_000));
    loop {
        let entries = api.engine.local_after(q.after, limit).await?;
        if !entries.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(Entries { entries }));
        }
        // Any event may be ours; re-read either way.
        let _ = tokio::time::timeout_at(deadline, events.recv()).await;
    }
}

#[derive(Deserialize)]
struct RemindersQuery {
    #[serde(default)]
    query: String,
    status: Option<String>,
    #[serde(default)]
    page: u32,
    page_size: Option<u32>,
}

#[derive(Serialize)]
struct RemindersPage {
    items: Vec<Reminder>,
    total: u64,
}

async fn reminders(
    State(api): State<Api>,
    Query(q): Query<RemindersQuery>,
) -> Result<Json<RemindersPage>, ApiError> {
    let size = q.page_size.unwrap_or(20).clamp(1, 200);
    let (items, total) = api
        .engine
        .reminders(&ReminderQuery {
            search: q.query,
            status: q.status.as_deref().and_then(ReminderStatus::parse),
            owner: None,
            offset: q.page.saturating_mul(size),
            limit: size,
        })
        .await?;
    Ok(Json(RemindersPage { items, total }))
}

/// Starts the API on 127.0.0.1:`port` (0: any free port); returns its URL and
/// writes it to the data dir's `api.json`.
pub async fn serve(engine: Engine, port: u16, vault: &SqliteVault) -> Result<String, EngineError> {
    let dir = engine.data_dir().clone();
    let token =
        crate::api_token::load_or_create(vault)
            .await
            .map_err(|e| EngineError::DataDir {
                path: dir.root().display().to_string(),
                detail: format!("the API token cannot be read from the vault: {e}"),
            })?;
    let token: Arc<str> = token.expose().as_str().into();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| EngineError::Listen {
            addr: addr.to_string(),
            detail: e.to_string(),
        })?;
    let bound = listener.local_addr().map_err(|e| EngineError::Listen {
        addr: addr.to_string(),
        detail: e.to_string(),
    })?;
    let url = format!("http://{bound}");
    let api = Api {
        engine: engine.clone(),
        token,
    };
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/chat/messages", get(list).post(send))
        .route("/v1/reminders", get(reminders))
        .route("/v1/webhooks/{name}", axum::routing::post(webhook))
        .layer(middleware::from_fn_with_state(api.clone(), guard))
        .with_state(api);
    let endpoint = serde_json::json!({ "url": url, "pid": std::process::id() });
    std::fs::write(dir.api_endpoint(), endpoint.to_string()).map_err(|e| EngineError::DataDir {
        path: dir.api_endpoint().display().to_string(),
        detail: e.to_string(),
    })?;
    let mut shutdown = engine.shutdown_signal();
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "local API stopped");
        }
    });
    engine.spawn_task(task);
    tracing::info!(%url, "local API listening");
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_compare_is_exact() {
        assert!(same(b"abc", b"abc"), "equal tokens match");
        assert!(!same(b"abc", b"abd"), "one byte differs");
        assert!(!same(b"abc", b"abcd"), "length differs");
        assert!(!same(b"", b"abc"), "empty never matches");
    }
}
