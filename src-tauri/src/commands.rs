//! Thin `#[tauri::command]` wrappers over the engine; the contract with the
//! UI is docs/ui-commands.md.

use crate::error::{CommandError, CommandResult};
use crate::prefs::{self, Prefs};
use crate::state::AppState;
use molten_core::{Health, Reminder, ReminderQuery, ReminderStatus};
use molten_engine::ChatEntry;
use serde::Serialize;
use tauri::{AppHandle, State};

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    data_dir: Option<String>,
    config_path: Option<String>,
    api_url: Option<String>,
    startup_error: Option<CommandError>,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state
            .data_dir
            .as_ref()
            .map(|d| d.root().display().to_string()),
        config_path: state
            .data_dir
            .as_ref()
            .map(|d| d.config().display().to_string()),
        api_url: state.engine.as_ref().and_then(|e| e.api_url()),
        startup_error: state.startup_error.clone(),
    }
}

#[derive(Serialize)]
pub struct HistoryPage {
    entries: Vec<ChatEntry>,
    has_more: bool,
}

#[tauri::command]
pub async fn chat_history(
    state: State<'_, AppState>,
    before: Option<i64>,
    limit: Option<u32>,
) -> CommandResult<HistoryPage> {
    let (entries, has_more) = state
        .engine()?
        .local_history(before, limit.unwrap_or(50))
        .await?;
    Ok(HistoryPage { entries, has_more })
}

#[tauri::command]
pub async fn chat_send(state: State<'_, AppState>, text: String) -> CommandResult<ChatEntry> {
    Ok(state.engine()?.send_local(text, None).await?)
}

#[tauri::command]
pub fn engine_health(state: State<'_, AppState>) -> Health {
    match &state.engine {
        Some(e) => e.health(),
        None => Health::summarize(false, 0, Vec::new()),
    }
}

#[tauri::command]
pub fn channels_set_paused(
    app: AppHandle,
    state: State<'_, AppState>,
    paused: bool,
) -> CommandResult<Health> {
    let engine = state.engine()?;
    engine.set_paused(paused);
    crate::tray::refresh_pause_label(&app, paused);
    Ok(engine.health())
}

#[derive(Serialize)]
pub struct ReminderPage {
    items: Vec<ReminderView>,
    total: u64,
}

/// A reminder as the UI lists it.
#[derive(Serialize)]
pub struct ReminderView {
    id: i64,
    text: String,
    due_at: String,
    status: ReminderStatus,
    created_at: String,
    channel: String,
    conversation: String,
}

impl From<Reminder> for ReminderView {
    fn from(r: Reminder) -> Self {
        Self {
            id: r.id,
            text: r.text,
            due_at: r.due_at.to_rfc3339(),
            status: r.status,
            created_at: r.created_at.to_rfc3339(),
            channel: r.conversation.channel.to_string(),
            conversation: r.conversation.conversation_id,
        }
    }
}

#[tauri::command]
pub async fn reminders_list(
    state: State<'_, AppState>,
    query: Option<String>,
    status: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
) -> CommandResult<ReminderPage> {
    let size = page_size.unwrap_or(20).clamp(1, 200);
    let status = match status.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(ReminderStatus::parse(s).ok_or_else(|| {
            CommandError::new(
                "invalid",
                format!("unknown reminder status `{s}`"),
                "Use pending, fired, cancelled or all.",
            )
        })?),
    };
    let (items, total) = state
        .engine()?
        .reminders(&ReminderQuery {
            search: query.unwrap_or_default(),
            status,
            owner: None,
            offset: page.unwrap_or(0).saturating_mul(size),
            limit: size,
        })
        .await?;
    Ok(ReminderPage {
        items: items.into_iter().map(ReminderView::from).collect(),
        total,
    })
}

#[tauri::command]
pub async fn reminder_cancel(state: State<'_, AppState>, id: i64) -> CommandResult<ReminderView> {
    Ok(state.engine()?.cancel_reminder(id).await?.into())
}

#[tauri::command]
pub fn prefs_get(app: AppHandle) -> Prefs {
    prefs::load(&app)
}

#[tauri::command]
pub fn prefs_set(app: AppHandle, prefs: Prefs) -> CommandResult<Prefs> {
    prefs::save(&app, &prefs)?;
    crate::tray::refresh_labels(&app);
    Ok(prefs)
}
