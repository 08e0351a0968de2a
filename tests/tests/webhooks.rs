//! Signed webhooks through the real `molten serve`: a genuine delivery reaches
//! the owner once, forged, stale and replayed ones do not.

use molten_engine::webhook::sign;
use molten_tests::{built_binary, Serve};
use std::io::Write;
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_webhooks_are_refused_and_genuine_ones_arrive_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "webhooks:\n  ci:\n    secret: webhook.ci\n",
    )
    .expect("config");
    let serve = Serve::start(dir.path());
    let secret = "whsec-test-0123456789";
    let mut child = Command::new(built_binary("molten"))
        .args(["secret", "set", "webhook.ci"])
        .env("MOLTEN_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(secret.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success(), "secret stored");

    let http = reqwest::Client::new();
    let url = format!("{}/v1/webhooks/ci", serve.url);
    let body = r#"{"pipeline":"main","status":"green"}"#;
    let now = chrono::Utc::now().timestamp();
    let post = |ts: i64, sig: String, body: &'static str| {
        http.post(&url)
            .header("X-Molten-Timestamp", ts.to_string())
            .header("X-Molten-Signature", sig)
            .body(body)
            .send()
    };
    let cases = [
        (
            "wrong secret",
            now,
            sign(b"not-the-secret", now, body.as_bytes()),
            401,
        ),
        (
            "stale",
            now - 3600,
            sign(secret.as_bytes(), now - 3600, body.as_bytes()),
            401,
        ),
        ("garbage", now, "sha256=nothex".to_string(), 401),
    ];
    for (what, ts, sig, want) in cases {
        let r = post(ts, sig, body).await.expect("reach");
        assert_eq!(r.status().as_u16(), want, "{what}");
        let err: serde_json::Value = r.json().await.expect("json error");
        assert_eq!(err["code"], "bad_signature", "{what}: {err}");
    }
    let tampered = post(
        now,
        sign(secret.as_bytes(), now, body.as_bytes()),
        r#"{"pipeline":"main","status":"red"}"#,
    )
    .await
    .expect("reach");
    assert_eq!(
        tampered.status(),
        401,
        "a body changed after signing is refused"
    );
    let unknown = http
        .post(format!("{}/v1/webhooks/nope", serve.url))
        .body("x")
        .send()
        .await
        .expect("reach");
    assert_eq!(unknown.status(), 404, "unknown webhook");
    let from_page = http
        .post(&url)
        .header("Origin", "https://evil.example")
        .body(body)
        .send()
        .await
        .expect("reach");
    assert_eq!(from_page.status(), 403, "browser origins refused");

    let sig = sign(secret.as_bytes(), now, body.as_bytes());
    let ok = post(now, sig.clone(), body).await.expect("reach");
    assert_eq!(ok.status(), 202, "a genuine delivery is accepted");
    let replay = post(now, sig, body).await.expect("reach");
    let replay: serde_json::Value = replay.json().await.expect("json");
    assert_eq!(
        replay["duplicate"], true,
        "a replay within the window is recognised"
    );

    let entries = serve.client().all_entries().await;
    let notices: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| {
            e["text"]
                .as_str()
                .is_some_and(|t| t.contains("Webhook `ci`"))
        })
        .collect();
    assert_eq!(
        notices.len(),
        1,
        "the owner sees the delivery once: {notices:?}"
    );
    let text = notices[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("green") && text.contains("not acted on"),
        "marked as outside content: {text}"
    );
    assert!(
        !entries.iter().any(|e| e["text"]
            .as_str()
            .is_some_and(|t| t.contains(r#""status":"red""#))),
        "refused bodies never reach the chat"
    );
}
