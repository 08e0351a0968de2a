//! The tray icon: its image shows engine health (ok / busy / degraded /
//! offline); its menu opens the window, pauses or resumes channels, quits.

use crate::prefs;
use crate::state::AppState;
use molten_core::Overall;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

const TRAY_ID: &str = "molten-tray";

struct TrayItems {
    open: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    quit: MenuItem<Wry>,
}

fn icon(overall: Overall) -> Option<Image<'static>> {
    let bytes: &'static [u8] = match overall {
        Overall::Ok => include_bytes!("../../icons/tray-ok.png"),
        Overall::Busy => include_bytes!("../../icons/tray-busy.png"),
        Overall::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        Overall::Offline => include_bytes!("../../icons/tray-offline.png"),
    };
    Image::from_bytes(bytes).ok()
}

fn labels(zh: bool, paused: bool) -> (&'static str, &'static str, &'static str) {
    match (zh, paused) {
        (true, false) => ("打开 Molten", "暂停所有通道", "退出"),
        (true, true) => ("打开 Molten", "恢复所有通道", "退出"),
        (false, false) => ("Open Molten", "Pause channels", "Quit"),
        (false, true) => ("Open Molten", "Resume channels", "Quit"),
    }
}

fn is_paused(app: &AppHandle) -> bool {
    app.state::<AppState>()
        .engine
        .as_ref()
        .is_some_and(|e| e.is_paused())
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let (open_l, pause_l, quit_l) = labels(prefs::is_chinese(app), false);
    let open = MenuItem::with_id(app, "open", open_l, true, None::<&str>)?;
    let pause = MenuItem::with_id(
        app,
        "pause",
        pause_l,
        app.state::<AppState>().engine.is_some(),
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", quit_l, true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&open, &pause, &PredefinedMenuItem::separator(app)?, &quit],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Molten")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => crate::window::open(app),
            "pause" => {
                let paused = !is_paused(app);
                if let Some(engine) = &app.state::<AppState>().engine {
                    engine.set_paused(paused);
                }
                refresh_pause_label(app, paused);
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::window::open(tray.app_handle());
            }
        });
    if let Some(image) = icon(Overall::Offline) {
        builder = builder.icon(image);
    }
    builder.build(app)?;
    app.manage(TrayItems { open, pause, quit });
    Ok(())
}

/// Sets the tray image and tooltip for the engine's health.
pub fn show_health(app: &AppHandle, overall: Overall) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Some(image) = icon(overall) {
        if let Err(e) = tray.set_icon(Some(image)) {
            tracing::warn!(error = %e, "tray icon not updated");
        }
    }
    let state = if prefs::is_chinese(app) {
        match overall {
            Overall::Ok => "正常",
            Overall::Busy => "忙碌",
            Overall::Degraded => "部分异常",
            Overall::Offline => "离线",
        }
    } else {
        overall.as_str()
    };
    let _ = tray.set_tooltip(Some(format!("Molten — {state}")));
}

pub fn refresh_pause_label(app: &AppHandle, paused: bool) {
    if let Some(items) = app.try_state::<TrayItems>() {
        let (_, pause, _) = labels(prefs::is_chinese(app), paused);
        let _ = items.pause.set_text(pause);
    }
}

/// Re-labels the menu after a language change.
pub fn refresh_labels(app: &AppHandle) {
    if let Some(items) = app.try_state::<TrayItems>() {
        let (open, pause, quit) = labels(prefs::is_chinese(app), is_paused(app));
        let _ = items.open.set_text(open);
        let _ = items.pause.set_text(pause);
        let _ = items.quit.set_text(quit);
    }
}
