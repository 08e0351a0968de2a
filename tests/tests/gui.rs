//! GUI end to end: the real Molten window, driven through tauri-driver.
//!
//! `scripts/test.sh gui` prepares a throw-away desktop session (Xvfb, a private
//! D-Bus session bus, dunst logging every notification, tauri-driver) and runs
//! this test with:
//!
//! | variable | meaning |
//! |---|---|
//! | `MOLTEN_E2E_APP` | absolute path of the built `molten-desktop` binary, or of a launcher script that `exec`s it |
//! | `MOLTEN_E2E_WEBDRIVER` | tauri-driver's URL, e.g. `http://127.0.0.1:4444` |
//! | `MOLTEN_E2E_NOTIFY_LOG` | dunst's log: one `id\tapp\turgency\tsummary\tbody` line per notification |
//! | `MOLTEN_E2E_ARTIFACTS` | where `window.png` and `page.html` go |
//! | `MOLTEN_E2E_KEEP_SESSION` | `1`: leave the window open for the script's root screenshot |
//!
//! Without them (a plain `cargo test --workspace`) it prints a "skipped" line
//! and passes.
//!
//! The scenario: `/help` answers with the command list; `/remind in 3s ...`
//! is confirmed in the chat and, three seconds later, arrives as a desktop
//! notification; the health badge carries a known state; the reminders page
//! lists a reminder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHAT_INPUT: &str = "#chat-input";
const CHAT_SEND: &str = "#chat-send";
const OUT_TEXT: &str = r#"#chat-log .chat-entry[data-direction="out"] .chat-text"#;
const HEALTH: &str = "#health";
const NAV_REMINDERS: &str = "#nav-reminders";
const REMINDER_ROW: &str = ".reminder-row";

const REMINDER_TEXT: &str = "stretch your legs";
const REMINDER_SUMMARY: &str = "Molten · Reminder";
const HEALTH_STATES: [&str; 4] = ["ok", "busy", "degraded", "offline"];

/// The app has to start, open its window and load the engine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(45);
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(20);
const PAGE_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(250);

type Outcome<T> = Result<T, String>;

/// What one look at the window (or the log) found.
enum Probe<T> {
    /// The condition holds; here is what satisfied it.
    Ready(T),
    /// Not yet; what was seen, for the timeout message.
    Pending(String),
}

/// The run's settings, all from the environment `scripts/test.sh` sets up.
struct E2eEnv {
    app: PathBuf,
    webdriver: String,
    notify_log: PathBuf,
    artifacts: PathBuf,
    keep_session: bool,
}

impl E2eEnv {
    const REQUIRED: [&'static str; 4] = [
        "MOLTEN_E2E_APP",
        "MOLTEN_E2E_WEBDRIVER",
        "MOLTEN_E2E_NOTIFY_LOG",
        "MOLTEN_E2E_ARTIFACTS",
    ];

    /// `Ok(None)` when none is set (skip); an error when only some are.
    fn from_process() -> Outcome<Option<Self>> {
        let values = Self::REQUIRED.map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let missing: Vec<&str> = Self::REQUIRED
            .iter()
            .zip(&values)
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| *name)
            .collect();
        let [Some(app), Some(webdriver), Some(notify_log), Some(artifacts)] = values else {
            return Err(format!(
                "GUI test environment incomplete, missing {missing:?}; run scripts/test.sh gui"
            ));
        };
        let env = Self {
            app: PathBuf::from(app),
            webdriver,
            notify_log: PathBuf::from(notify_log),
            artifacts: PathBuf::from(artifacts),
            keep_session: std::env::var("MOLTEN_E2E_KEEP_SESSION").is_ok_and(|v| v == "1"),
        };
        if !env.app.is_file() {
            return Err(format!(
                "MOLTEN_E2E_APP={} is not a file; build it with cargo build",
                env.app.display()
            ));
        }
        Ok(Some(env))
    }
}

#[tokio::test]
async fn window_chat_reminder_notification_and_pages() {
    let env = match E2eEnv::from_process() {
        Ok(Some(env)) => env,
        Ok(None) => {
            println!(
                "skipped: the GUI end-to-end test needs a prepared desktop session; run `bash scripts/test.sh gui`"
            );
            return;
        }
        Err(problem) => panic!("{problem}"),
    };

    let client = connect(&env).await.unwrap_or_else(|e| panic!("{e}"));
    let mut outcome = scenario(&client, &env).await;
    if let Err(problem) = &mut outcome {
        let diagnostics = page_diagnostics(&client).await;
        problem.push_str(&format!("\npage diagnostics: {diagnostics}"));
        let path = env.artifacts.join("diagnostics.txt");
        if let Err(e) = std::fs::write(&path, &diagnostics) {
            eprintln!("[gui] warning: writing {}: {e}", path.display());
        }
    }
    // Evidence first, pass or fail: the window as WebDriver sees it.
    if let Err(problem) = save_window_evidence(&client, &env.artifacts).await {
        eprintln!("[gui] warning: {problem}");
    }
    end_session(client, env.keep_session).await;

    if let Err(problem) = outcome {
        panic!(
            "GUI end-to-end test failed: {problem}\n(artifacts: {}; the app's output is in app.log there)",
            env.artifacts.display()
        );
    }
}

/// The user-visible path through the app, one checked step after another.
async fn scenario(client: &Client, env: &E2eEnv) -> Outcome<()> {
    step("waiting for the chat input");
    wait_for_element(client, CHAT_INPUT, STARTUP_TIMEOUT).await?;

    step("/help lists the commands");
    let before_help = out_ids(client).await?;
    send_chat(client, "/help").await?;
    let help = wait_for_out_text(
        client,
        &before_help,
        REPLY_TIMEOUT,
        "a new /help reply mentioning /remind",
        |text| text.contains("/remind"),
    )
    .await?;
    step(&format!("help reply: {}", one_line(&help.text)));

    step("/remind in 3s is confirmed in the chat");
    let before_remind = out_ids(client).await?;
    send_chat(client, &format!("/remind in 3s {REMINDER_TEXT}")).await?;
    let confirmation = wait_for_out_text(
        client,
        &before_remind,
        REPLY_TIMEOUT,
        &format!("a new reply confirming the reminder (mentioning {REMINDER_TEXT:?})"),
        |text| text.contains(REMINDER_TEXT),
    )
    .await?;
    step(&format!("confirmation: {}", one_line(&confirmation.text)));

    step("the reminder arrives as a desktop notification");
    let line = wait_for_notification(&env.notify_log, REMINDER_SUMMARY, REMINDER_TEXT).await?;
    step(&format!("notification: {}", line.replace('\t', " | ")));

    step("the health badge shows a known state");
    let state = wait_for_health_state(client).await?;
    step(&format!("#health data-state={state}"));

    step("the reminders page lists the reminder");
    click(client, NAV_REMINDERS).await?;
    let rows = wait_for_visible_rows(client).await?;
    step(&format!("{rows} visible {REMINDER_ROW} element(s)"));

    step("the permissions page shows the role matrix from permissions.yaml");
    click(client, "#nav-permissions").await?;
    wait_for_element(
        client,
        r#"input.perm-cell[data-role="admin"]"#,
        REPLY_TIMEOUT,
    )
    .await?;

    step("the audit page lists what happened and the chain verifies");
    click(client, "#nav-audit").await?;
    wait_for_element(client, ".audit-row", REPLY_TIMEOUT).await?;
    click(client, "#audit-verify").await?;
    let verified = poll(
        "#audit-result to report a verified chain",
        REPLY_TIMEOUT,
        || async move {
            match client.find(Locator::Css("#audit-result")).await {
                Ok(el) => match el.text().await {
                    Ok(t) if t.contains("verified") => Probe::Ready(t),
                    Ok(t) => Probe::Pending(format!("#audit-result says {t:?}")),
                    Err(e) => Probe::Pending(e.to_string()),
                },
                Err(e) => Probe::Pending(e.to_string()),
            }
        },
    )
    .await?;
    step(&format!("audit: {}", one_line(&verified)));
    Ok(())
}

fn step(what: &str) {
    println!("[gui] {what}");
}

fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// A WebDriver session on the app: tauri-driver starts the binary for it.
async fn connect(env: &E2eEnv) -> Outcome<Client> {
    let caps = json!({
        "browserName": "wry",
        "tauri:options": { "application": env.app.to_string_lossy() },
    });
    let Value::Object(caps) = caps else {
        return Err("internal: capabilities are not an object".into());
    };
    let mut builder =
        ClientBuilder::rustls().map_err(|e| format!("TLS setup for the WebDriver client: {e}"))?;
    builder.capabilities(caps);
    match tokio::time::timeout(STARTUP_TIMEOUT, builder.connect(&env.webdriver)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(format!(
            "could not start a WebDriver session on {} for {}: {e}",
            env.webdriver,
            env.app.display()
        )),
        Err(_) => Err(format!(
            "no WebDriver session on {} within {STARTUP_TIMEOUT:?} (did the app start? see app.log and tauri-driver.log)",
            env.webdriver
        )),
    }
}

/// Close the window, or leave it open for the script's screenshot; the script
/// then ends tauri-driver and the app with it.
async fn end_session(client: Client, keep: bool) {
    let result = if keep {
        client.persist().await
    } else {
        client.close().await
    };
    if let Err(e) = result {
        eprintln!("[gui] warning: ending the WebDriver session: {e}");
    }
}

async fn save_window_evidence(client: &Client, dir: &Path) -> Outcome<()> {
    let png = client
        .screenshot()
        .await
        .map_err(|e| format!("WebDriver screenshot: {e}"))?;
    let shot = dir.join("window.png");
    std::fs::write(&shot, png).map_err(|e| format!("writing {}: {e}", shot.display()))?;
    println!("[gui] window screenshot: {}", shot.display());
    let html = client
        .source()
        .await
        .map_err(|e| format!("page source: {e}"))?;
    let page = dir.join("page.html");
    std::fs::write(&page, html).map_err(|e| format!("writing {}: {e}", page.display()))?;
    Ok(())
}

/// What the page can tell about itself after a failure. A UI whose module
/// graph failed to load (a missing file, a syntax error) shows an empty shell
/// and no error anywhere a WebDriver client can read, so the module scripts are
/// imported again: the browser then reports the original failure.
async fn page_diagnostics(client: &Client) -> String {
    const SCRIPT: &str = r#"
        const done = arguments[arguments.length - 1];
        const modules = Array.from(document.querySelectorAll('script[type="module"][src]')).map(s => s.src);
        Promise.all(modules.map(src => import(src).then(
            () => src + ': loaded',
            e => src + ': FAILED: ' + e + (e && e.stack ? ' @ ' + e.stack : ''))))
          .then(results => done({
            url: location.href,
            readyState: document.readyState,
            modules: results,
            body: (document.body ? document.body.innerText : '').slice(0, 400),
          }));"#;
    match client.execute_async(SCRIPT, vec![]).await {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()),
        Err(e) => format!("could not run the diagnostic script: {e}"),
    }
}

/// Ask `probe` every [`POLL_EVERY`] until it is ready or `timeout` passes.
async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Outcome<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Probe<T>>,
{
    let start = Instant::now();
    loop {
        let last = match probe().await {
            Probe::Ready(found) => return Ok(found),
            Probe::Pending(seen) => seen,
        };
        if start.elapsed() >= timeout {
            return Err(format!(
                "timed out after {timeout:?} waiting for {what}; last seen: {last}"
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

async fn wait_for_element(client: &Client, css: &str, timeout: Duration) -> Outcome<()> {
    poll(&format!("element {css}"), timeout, || async move {
        match client.find(Locator::Css(css)).await {
            Ok(_) => Probe::Ready(()),
            // WebKitWebDriver sends this error with an empty message
            Err(e) if e.is_no_such_element() => Probe::Pending(format!("no {css} in the page")),
            Err(e) => Probe::Pending(e.to_string()),
        }
    })
    .await
}

async fn click(client: &Client, css: &str) -> Outcome<()> {
    let element = client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("finding {css} to click it: {e}"))?;
    element
        .click()
        .await
        .map_err(|e| format!("clicking {css}: {e}"))
}

/// Type into the chat box and press the send button, as a user would.
async fn send_chat(client: &Client, text: &str) -> Outcome<()> {
    let input = client
        .find(Locator::Css(CHAT_INPUT))
        .await
        .map_err(|e| format!("finding {CHAT_INPUT}: {e}"))?;
    input
        .clear()
        .await
        .map_err(|e| format!("clearing {CHAT_INPUT}: {e}"))?;
    input
        .send_keys(text)
        .await
        .map_err(|e| format!("typing {text:?} into {CHAT_INPUT}: {e}"))?;
    click(client, CHAT_SEND).await
}

/// One outbound (assistant) chat entry as rendered.
struct OutEntry {
    id: String,
    text: String,
}

/// The rendered outbound entries, read in one script call so a re-render between
/// two WebDriver requests cannot leave us with stale element references.
async fn out_entries(client: &Client) -> Result<Vec<OutEntry>, fantoccini::error::CmdError> {
    const SCRIPT: &str = r#"
        return Array.from(document.querySelectorAll(arguments[0])).map(function (el) {
            var entry = el.closest('.chat-entry');
            return { id: entry ? String(entry.getAttribute('data-id')) : '', text: el.textContent || '' };
        });"#;
    let value = client.execute(SCRIPT, vec![json!(OUT_TEXT)]).await?;
    let entries = value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| OutEntry {
                    id: item["id"].as_str().unwrap_or_default().to_string(),
                    text: item["text"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(entries)
}

/// The ids of the outbound entries rendered so far, so that a wait can insist
/// on a *new* reply.
async fn out_ids(client: &Client) -> Outcome<Vec<String>> {
    let entries = out_entries(client)
        .await
        .map_err(|e| format!("reading the chat log ({OUT_TEXT}): {e}"))?;
    Ok(entries.into_iter().map(|entry| entry.id).collect())
}

/// Wait for an outbound entry, not among `ignore_ids`, whose text satisfies `matches`.
async fn wait_for_out_text(
    client: &Client,
    ignore_ids: &[String],
    timeout: Duration,
    what: &str,
    matches: impl Fn(&str) -> bool,
) -> Outcome<OutEntry> {
    let what = format!("{what} in `{OUT_TEXT}`");
    let matches = &matches;
    poll(&what, timeout, || async move {
        match out_entries(client).await {
            Err(e) => Probe::Pending(format!("chat log unreadable: {e}")),
            Ok(entries) => {
                let summary = entries
                    .iter()
                    .map(|entry| format!("#{} {:?}", entry.id, one_line(&entry.text)))
                    .collect::<Vec<_>>()
                    .join(", ");
                match entries
                    .into_iter()
                    .find(|entry| !ignore_ids.contains(&entry.id) && matches(&entry.text))
                {
                    Some(entry) => Probe::Ready(entry),
                    None => Probe::Pending(format!("out entries [{summary}]")),
                }
            }
        }
    })
    .await
}

/// Wait until dunst logged a notification with exactly `summary` and a body containing `body`.
async fn wait_for_notification(log: &Path, summary: &str, body: &str) -> Outcome<String> {
    let what = format!("a notification '{summary}' / '{body}' in {}", log.display());
    poll(&what, NOTIFY_TIMEOUT, || async move {
        let content = match std::fs::read(log) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => return Probe::Pending(format!("log unreadable: {e}")),
        };
        let found = content.lines().find(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            // id, app, urgency, summary, body (tests/gui/log-notification.sh)
            fields.len() >= 5 && fields[3] == summary && fields[4].contains(body)
        });
        match found {
            Some(line) => Probe::Ready(line.to_string()),
            None if content.trim().is_empty() => Probe::Pending("no notification at all".into()),
            None => Probe::Pending(format!(
                "notifications: {:?}",
                content.lines().collect::<Vec<_>>()
            )),
        }
    })
    .await
}

async fn wait_for_health_state(client: &Client) -> Outcome<String> {
    let what = format!("{HEALTH}[data-state] in {HEALTH_STATES:?}");
    poll(&what, PAGE_TIMEOUT, || async move {
        let element = match client.find(Locator::Css(HEALTH)).await {
            Ok(element) => element,
            Err(e) => return Probe::Pending(format!("no {HEALTH}: {e}")),
        };
        match element.attr("data-state").await {
            Ok(Some(state)) if HEALTH_STATES.contains(&state.as_str()) => Probe::Ready(state),
            Ok(Some(state)) => Probe::Pending(format!("data-state={state:?}")),
            Ok(None) => Probe::Pending("no data-state attribute".into()),
            Err(e) => Probe::Pending(format!("reading data-state: {e}")),
        }
    })
    .await
}

/// Rows must be displayed, not merely present: that proves the navigation
/// actually brought the reminders page up.
async fn wait_for_visible_rows(client: &Client) -> Outcome<usize> {
    let what = format!("a visible {REMINDER_ROW} after clicking {NAV_REMINDERS}");
    poll(&what, PAGE_TIMEOUT, || async move {
        let rows = match client.find_all(Locator::Css(REMINDER_ROW)).await {
            Ok(rows) => rows,
            Err(e) => return Probe::Pending(format!("finding rows: {e}")),
        };
        let mut visible = 0;
        for row in &rows {
            if row.is_displayed().await.unwrap_or(false) {
                visible += 1;
            }
        }
        if visible > 0 {
            Probe::Ready(visible)
        } else {
            Probe::Pending(format!("{} row(s) in the DOM, none displayed", rows.len()))
        }
    })
    .await
}
