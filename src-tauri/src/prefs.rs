//! UI preferences (theme, language, window size) in tauri-plugin-store's
//! `prefs.json`, beside the engine's data but owned by the shell.

use crate::error::CommandError;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_plugin_store::StoreExt;

const FILE: &str = "prefs.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Language {
    #[default]
    #[serde(rename = "system")]
    System,
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Prefs {
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub language: Language,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowSize {
    pub width: f64,
    pub height: f64,
}

fn read<T: for<'de> Deserialize<'de>>(app: &AppHandle, key: &str) -> Option<T> {
    let store = app.store(FILE).ok()?;
    serde_json::from_value(store.get(key)?).ok()
}

fn write<T: Serialize>(app: &AppHandle, key: &str, value: &T) -> Result<(), CommandError> {
    let fail = |e: String| {
        CommandError::new(
            "storage",
            format!("could not save preferences: {e}"),
            "Check that the app's data directory is writable.",
        )
    };
    let store = app.store(FILE).map_err(|e| fail(e.to_string()))?;
    store.set(
        key,
        serde_json::to_value(value).map_err(|e| fail(e.to_string()))?,
    );
    store.save().map_err(|e| fail(e.to_string()))
}

pub fn load(app: &AppHandle) -> Prefs {
    read(app, "prefs").unwrap_or_default()
}

pub fn save(app: &AppHandle, prefs: &Prefs) -> Result<(), CommandError> {
    write(app, "prefs", prefs)
}

pub fn window_size(app: &AppHandle) -> Option<WindowSize> {
    read(app, "window")
}

pub fn save_window_size(app: &AppHandle, size: WindowSize) {
    if let Err(e) = write(app, "window", &size) {
        tracing::warn!(error = %e, "window size not saved");
    }
}

/// Whether the tray and notifications should speak Chinese.
pub fn is_chinese(app: &AppHandle) -> bool {
    match load(app).language {
        Language::ZhCn => true,
        Language::En => false,
        Language::System => std::env::var("LANG").is_ok_and(|l| l.starts_with("zh")),
    }
}
