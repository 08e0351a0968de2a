//! Builds the platform channels the configuration enables. Each platform adds
//! one arm here; its secrets are vault references, read when it connects.

use crate::config::Config;
use crate::vault::SqliteVault;
use molten_core::Channel;
use std::sync::Arc;

/// The configured platform channels (the local chat is added by the engine).
pub fn from_config(config: &Config, vault: Option<&SqliteVault>) -> Vec<Arc<dyn Channel>> {
    let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
    for bot in &config.channels.wecom {
        let vault = vault.map(|v| Arc::new(v.clone()) as Arc<dyn molten_core::SecretVault>);
        let channel = super::wecom::WeComChannel::new(bot.clone(), vault);
        channels.push(Arc::new(channel));
    }
    for bot in &config.channels.dingtalk {
        let vault = vault.map(|v| Arc::new(v.clone()) as Arc<dyn molten_core::SecretVault>);
        let channel = super::dingtalk::DingTalkChannel::new(bot.clone(), vault);
        channels.push(Arc::new(channel));
    }
    channels
}
