//! The main window: opened from the tray (recreated if it was closed, since
//! closing destroys the webview to keep a tray-only Molten small), its size
//! remembered across runs.

use crate::prefs::{self, WindowSize};
use tauri::{AppHandle, Manager, Window, WindowEvent};

const MAIN: &str = "main";

/// Shows and focuses the window, creating it when it was closed.
pub fn open(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
        return;
    }
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
    else {
        tracing::error!("no main window in tauri.conf.json");
        return;
    };
    match tauri::WebviewWindowBuilder::from_config(app, &config).and_then(|b| b.build()) {
        Ok(w) => {
            apply_size(app, &w);
            let _ = w.set_focus();
        }
        Err(e) => tracing::error!(error = %e, "could not open the window"),
    }
}

fn apply_size(app: &AppHandle, w: &tauri::WebviewWindow) {
    if let Some(size) = prefs::window_size(app) {
        if size.width >= 400.0 && size.height >= 300.0 {
            let _ = w.set_size(tauri::LogicalSize::new(size.width, size.height));
        }
    }
}

pub fn restore_size(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(MAIN) {
        apply_size(app, &w);
    }
}

pub fn on_event(window: &Window, event: &WindowEvent) {
    if window.label() != MAIN {
        return;
    }
    if let WindowEvent::CloseRequested { .. } = event {
        let app = window.app_handle();
        if let (Ok(size), Ok(scale)) = (window.inner_size(), window.scale_factor()) {
            let logical = size.to_logical::<f64>(scale);
            prefs::save_window_size(
                app,
                WindowSize {
                    width: logical.width,
                    height: logical.height,
                },
            );
        }
    }
}
