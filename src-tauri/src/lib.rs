//! Molten's desktop shell: a thin Tauri layer over the engine — the tray,
//! the window, commands for the UI, and desktop notifications.

mod audit_commands;
mod commands;
mod error;
mod events;
mod notifier;
mod prefs;
mod safety_commands;
mod state;
mod tray;
mod window;

use state::AppState;
use tauri::{Manager, RunEvent};

pub fn run() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let app = tauri::Builder::default()
        // A second launch focuses the running one instead of starting twice.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::open(app);
        }))
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::chat_history,
            commands::chat_send,
            commands::engine_health,
            commands::channels_set_paused,
            commands::reminders_list,
            commands::reminder_cancel,
            commands::prefs_get,
            commands::prefs_set,
            safety_commands::permissions_get,
            safety_commands::permissions_set_role,
            safety_commands::permissions_set_user,
            safety_commands::approvals_list,
            safety_commands::pairings_list,
            safety_commands::request_answer,
            audit_commands::audit_list,
            audit_commands::audit_verify,
            audit_commands::audit_export,
        ])
        .setup(|app| {
            let state = AppState::start(app.handle());
            app.manage(state);
            tray::build(app.handle())?;
            events::forward(app.handle());
            window::restore_size(app.handle());
            Ok(())
        })
        .on_window_event(window::on_event)
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Molten could not start its window system: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| match event {
        // Closing the window keeps Molten in the tray; only Quit exits.
        RunEvent::ExitRequested {
            api, code: None, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(state) = handle.try_state::<AppState>() {
                state.stop();
            }
        }
        _ => {}
    });
}
