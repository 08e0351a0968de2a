//! Forwards engine events to the window and the tray: local chat entries as
//! `chat:entry`, health as `engine:health` plus the tray icon.

use crate::state::AppState;
use molten_engine::{ChatEntry, Engine};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

pub fn forward(app: &AppHandle) {
    let Some(engine) = app.state::<AppState>().engine.clone() else {
        crate::tray::show_health(app, molten_core::Overall::Offline);
        return;
    };
    let mut entries = engine.subscribe_entries();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match entries.recv().await {
                Ok(msg) if Engine::is_local(&msg) => {
                    let _ = handle.emit("chat:entry", ChatEntry::from(msg));
                }
                Ok(_) => {}
                // The window re-reads history when it falls behind.
                Err(RecvError::Lagged(n)) => tracing::warn!(skipped = n, "chat events lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    });
    let mut health = engine.subscribe_health();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let now = health.borrow_and_update().clone();
            crate::tray::show_health(&handle, now.overall);
            let _ = handle.emit("engine:health", now);
            if health.changed().await.is_err() {
                break;
            }
        }
    });
}
