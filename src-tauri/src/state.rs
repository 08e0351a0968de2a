//! The shell's managed state: the running engine, or why it is not running.

use crate::error::CommandError;
use crate::notifier::DesktopNotifier;
use molten_core::SystemClock;
use molten_engine::{DataDir, Engine, EngineOptions};
use std::sync::Arc;
use tauri::AppHandle;

pub struct AppState {
    pub engine: Option<Engine>,
    pub startup_error: Option<CommandError>,
    pub data_dir: Option<DataDir>,
}

impl AppState {
    /// Starts the engine on the data dir. A failure leaves the window usable,
    /// showing the error and its fix, instead of a crash loop.
    pub fn start(app: &AppHandle) -> Self {
        let data_dir = match DataDir::resolve() {
            Ok(d) => d,
            Err(e) => return Self::failed(e.into(), None),
        };
        let options = EngineOptions {
            data_dir: data_dir.clone(),
            clock: Arc::new(SystemClock),
            notifier: Arc::new(DesktopNotifier::new(app.clone())),
            config: None,
            channels: Vec::new(),
        };
        match tauri::async_runtime::block_on(Engine::start(options)) {
            Ok(engine) => Self {
                engine: Some(engine),
                startup_error: None,
                data_dir: Some(data_dir),
            },
            Err(e) => {
                tracing::error!(error = %e, hint = %e.hint(), "the engine did not start");
                Self::failed(e.into(), Some(data_dir))
            }
        }
    }

    fn failed(error: CommandError, data_dir: Option<DataDir>) -> Self {
        Self {
            engine: None,
            startup_error: Some(error),
            data_dir,
        }
    }

    pub fn engine(&self) -> Result<&Engine, CommandError> {
        self.engine.as_ref().ok_or_else(|| {
            self.startup_error.clone().unwrap_or_else(|| {
                CommandError::new(
                    "engine_unavailable",
                    "the engine is not running",
                    "Restart Molten.",
                )
            })
        })
    }

    pub fn stop(&self) {
        if let Some(engine) = &self.engine {
            tauri::async_runtime::block_on(engine.shutdown());
        }
    }
}
