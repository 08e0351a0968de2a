//! Shared helpers for the black-box suites: find the built binaries, run
//! `molten serve` on a temp data dir, and talk to its local API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A built binary of this workspace (`cargo build --workspace` puts it beside
/// the test executables' parent directory).
pub fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// The API token, as a script gets it: `molten api-token` (from the vault).
pub fn api_token(data_dir: &Path) -> String {
    let out = Command::new(built_binary("molten"))
        .arg("api-token")
        .env("MOLTEN_DATA_DIR", data_dir)
        .output()
        .expect("run molten api-token");
    assert!(
        out.status.success(),
        "molten api-token failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 token")
        .trim()
        .to_string()
}

/// A running `molten serve` and how to reach its API.
pub struct Serve {
    pub child: Child,
    pub url: String,
    pub token: String,
}

impl Serve {
    /// Starts `molten serve` on `data_dir` and waits for its API.
    pub fn start(data_dir: &Path) -> Serve {
        Self::spawn(data_dir, None)
    }

    /// Like [`Serve::start`], appending the engine's debug log to `log`.
    pub fn start_logged(data_dir: &Path, log: &Path) -> Serve {
        Self::spawn(data_dir, Some(log))
    }

    fn spawn(data_dir: &Path, log: Option<&Path>) -> Serve {
        let endpoint = data_dir.join("api.json");
        let _ = std::fs::remove_file(&endpoint);
        let child = Command::new(built_binary("molten"))
            .arg("serve")
            .env("MOLTEN_DATA_DIR", data_dir)
            .env("RUST_LOG", if log.is_some() { "debug" } else { "warn" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(match log {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .expect("open the log file"),
                ),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn molten serve");
        // Owned by the guard at once: a panic below still kills the child.
        let mut serve = Serve {
            child,
            url: String::new(),
            token: String::new(),
        };
        let pid = u64::from(serve.child.id());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let announced = std::fs::read_to_string(&endpoint)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .filter(|v| v["pid"].as_u64() == Some(pid));
            if let Some(v) = announced {
                serve.url = v["url"].as_str().expect("url in api.json").to_string();
                serve.token = api_token(data_dir);
                return serve;
            }
            assert!(
                Instant::now() < deadline,
                "molten serve did not announce its API within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            url: self.url.clone(),
            token: self.token.clone(),
        }
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("kill molten serve");
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
    pub token: String,
}

impl Api {
    pub async fn send(&self, id: &str, text: &str) -> Result<serde_json::Value, String> {
        let r = self
            .http
            .post(format!("{}/v1/chat/messages", self.url))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "id": id, "text": text }))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("HTTP {status}: {body}"))
        }
    }

    pub async fn get(&self, path: &str) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("GET reaches the API");
        assert!(r.status().is_success(), "GET {path}: HTTP {}", r.status());
        r.json().await.expect("JSON answer")
    }

    /// Every local chat entry, oldest first.
    pub async fn all_entries(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .get(&format!("/v1/chat/messages?after={after}&limit=1000"))
                .await;
            let entries = page["entries"].as_array().cloned().unwrap_or_default();
            if entries.is_empty() {
                return out;
            }
            after = entries
                .last()
                .and_then(|e| e["id"].as_i64())
                .expect("entry id");
            out.extend(entries);
        }
    }
}
