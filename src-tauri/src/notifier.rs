//! Desktop notifications for the engine, through tauri-plugin-notification.

use molten_core::{Notification, Notifier};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub struct DesktopNotifier {
    app: AppHandle,
}

impl DesktopNotifier {
    pub fn new(app: AppHandle) -> Self {
        Self { app }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, n: Notification) {
        let shown = self
            .app
            .notification()
            .builder()
            .title(&n.title)
            .body(&n.body)
            .show();
        match shown {
            Ok(()) => tracing::info!(title = %n.title, "notification shown"),
            // No notification daemon must not stop the engine; the chat has it too.
            Err(e) => tracing::warn!(error = %e, title = %n.title, "could not show a notification"),
        }
    }
}
