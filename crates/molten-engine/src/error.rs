//! The engine's errors, each with a next step for the user.

use molten_core::{ChannelError, StoreError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("the data directory {path} is not usable: {detail}")]
    DataDir { path: String, detail: String },
    #[error("{file}:{line}:{column}: {message}")]
    Config {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read the configuration {file}: {detail}")]
    ConfigRead { file: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("the message is {len} characters long; the limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error("the message is empty")]
    Empty,
    #[error("the engine is shutting down")]
    ShuttingDown,
    #[error("the local API could not listen on {addr}: {detail}")]
    Listen { addr: String, detail: String },
}

impl EngineError {
    /// A stable code the UI and scripts branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DataDir { .. } => "data_dir",
            Self::Config { .. } | Self::ConfigRead { .. } => "config",
            Self::Store(StoreError::NotFound(_)) => "not_found",
            Self::Store(StoreError::Corrupt { .. }) => "database_corrupt",
            Self::Store(StoreError::SchemaTooNew { .. }) => "database_too_new",
            Self::Store(_) => "storage",
            Self::Channel(ChannelError::NotRunning) => "channels_paused",
            Self::Channel(_) => "channel",
            Self::TooLong { .. } => "too_long",
            Self::Empty => "empty",
            Self::ShuttingDown => "engine_unavailable",
            Self::Listen { .. } => "listen",
        }
    }

    /// The next step, in plain words.
    pub fn hint(&self) -> String {
        match self {
            Self::DataDir { .. } => format!(
                "Make the directory writable, or set {} to a directory you own.",
                crate::paths::DATA_DIR_ENV
            ),
            Self::Config { file, .. } => format!(
                "Fix that line in {file} (see the documented defaults in the README), or move the file aside to start from the defaults."
            ),
            Self::ConfigRead { file, .. } => format!("Check that {file} is readable text, or move it aside."),
            Self::Store(e) => e.hint(),
            Self::Channel(ChannelError::Credentials { .. }) => "Update the channel's credentials in Channels.".into(),
            Self::Channel(ChannelError::NotRunning) => "Channels are paused: resume them from the tray menu or the Channels page.".into(),
            Self::Channel(_) => "Molten retries by itself; check the channel's status page if it persists.".into(),
            Self::TooLong { max, .. } => format!("Split it into messages of at most {max} characters, or save it as a file."),
            Self::Empty => "Type a message first.".into(),
            Self::ShuttingDown => "Start Molten again.".into(),
            Self::Listen { .. } => "Set api.port to 0 (any free port) or to a free port in config.yaml.".into(),
        }
    }
}
