//! Molten's engine, free of any GUI: the durable inbox and outbox on SQLite,
//! the router, the command interpreter, channel supervisors, the reminder
//! scheduler and the local API. See ARCHITECTURE.md for the picture.

pub mod api;
pub mod api_token;
pub mod audit;
pub mod backoff;
pub mod bundle;
pub mod channels;
pub mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod health_board;
pub mod metrics;
pub mod outbox;
pub mod paths;
pub mod pipeline;
pub mod rbac;
pub mod router;
pub mod scheduler;
pub mod store;
pub mod supervisor;
pub mod vault;
pub mod webhook;

pub use config::Config;
pub use engine::{ChatEntry, Engine, EngineOptions};
pub use error::EngineError;
pub use paths::DataDir;

/// A notifier for headless runs: alerts go to the log.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

impl molten_core::Notifier for LogNotifier {
    fn notify(&self, n: molten_core::Notification) {
        tracing::info!(title = %n.title, body = %n.body, "notification");
    }
}
