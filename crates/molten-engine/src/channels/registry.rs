//! Builds the platform channels the configuration enables. Each platform adds
//! one arm here; its secrets are vault references, read when it connects.

use crate::config::Config;
use crate::vault::SqliteVault;
use molten_core::Channel;
use std::sync::Arc;

/// The configured platform channels (the local chat is added by the engine).
pub fn from_config(config: &Config, vault: Option<&SqliteVault>) -> Vec<Arc<dyn Channel>> {
    let channels: Vec<Arc<dyn Channel>> = Vec::new();
    let _ = (config, vault);
    channels
}
