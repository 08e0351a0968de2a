//! Errors as the UI receives them: a stable code to branch on, what went
//! wrong, and the next step.

use molten_engine::EngineError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl From<EngineError> for CommandError {
    fn from(e: EngineError) -> Self {
        Self::new(e.code(), e.to_string(), e.hint())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
