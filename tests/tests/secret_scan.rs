//! A whole session with secrets in play — channel and model credentials and a
//! mail password stored through the CLI, the API used with its token — then
//! every file in the data dir and the engine's debug log are searched for
//! each secret value: none may appear in plaintext.

use molten_tests::{api_token, built_binary, Serve};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn store_secret(data_dir: &Path, name: &str, value: &str) {
    let mut child = Command::new(built_binary("molten"))
        .args(["secret", "set", name])
        .env("MOLTEN_DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn molten secret set");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value.as_bytes())
        .expect("write the value");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "secret set {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !printed.contains(value),
        "`molten secret set` must not echo the value"
    );
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_value_reaches_disk_or_logs_in_plaintext() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let log_path = dir.path().join("engine.log");
    let secrets = [
        (
            "telegram.bot_token",
            "7215554321:AAF-scan-me-telegram-token-q9Z",
        ),
        ("llm.deepseek.api_key", "sk-scan-me-deepseek-0f9e8d7c6b5a"),
        ("mail.password", "correct horse battery staple scan-me"),
    ];
    // First start creates the vault's key and the API token; then the secrets.
    let serve = Serve::start_logged(&data, &log_path);
    let token = serve.token.clone();
    for (name, value) in secrets {
        store_secret(&data, name, value);
    }
    let api = serve.client();
    for text in [
        "/status",
        "/whoami",
        "/remind in 1h check the secret scan",
        "hello",
    ] {
        api.send(&format!("scan-{text}"), text).await.expect("send");
    }
    let entries = api.all_entries().await;
    assert!(
        entries.len() >= 4,
        "the session ran: {} entries",
        entries.len()
    );
    assert_eq!(
        api_token(&data),
        token,
        "the token is stable and readable through the CLI"
    );
    serve.kill();
    // A restart reads the same vault.
    let again = Serve::start_logged(&data, &log_path);
    assert_eq!(again.token, token, "same token after a restart");
    drop(again);

    let mut files = Vec::new();
    files_under(&data, &mut files);
    files.push(log_path.clone());
    let needles: Vec<(&str, &str)> = secrets
        .iter()
        .copied()
        .chain([("api.token", token.as_str())])
        .collect();
    let mut scanned = 0;
    for f in &files {
        let bytes = std::fs::read(f).expect("read file");
        scanned += bytes.len();
        for (name, value) in &needles {
            let hit = bytes.windows(value.len()).any(|w| w == value.as_bytes());
            assert!(
                !hit,
                "the value of {name} appears in plaintext in {}",
                f.display()
            );
        }
    }
    assert!(
        files.iter().any(|f| f.ends_with("molten.db")),
        "the database was scanned: {files:?}"
    );
    assert!(
        std::fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0) > 0,
        "the debug log was written and scanned"
    );
    assert!(
        scanned > 10_000,
        "something substantial was scanned ({scanned} bytes)"
    );
}
