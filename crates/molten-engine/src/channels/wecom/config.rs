//! The `channels.wecom` entries of `config.yaml`: one WeCom AI Bot per entry.

use serde::Deserialize;

/// The official AI Bot long-connection endpoint.
pub const DEFAULT_URL: &str = "wss://openws.work.weixin.qq.com";

/// One WeCom AI Bot (智能机器人) reached over its long connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeComConfig {
    /// The instance name; the channel id is `wecom.<id>`.
    pub id: String,
    /// The bot's id from the WeCom admin console (`aib…`).
    pub bot_id: String,
    /// The name of the vault secret holding the bot's secret
    /// (`molten secret set <name>`), read at each connect.
    pub secret: String,
    /// The WebSocket endpoint; private deployments show their own.
    #[serde(default = "default_url")]
    pub url: String,
}

fn default_url() -> String {
    DEFAULT_URL.to_string()
}

impl WeComConfig {
    /// The channel id this bot's messages carry, `wecom.<id>`.
    pub fn channel_id(&self) -> String {
        format!("wecom.{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_defaults_to_the_official_endpoint_and_unknown_keys_are_refused() {
        let c: WeComConfig =
            serde_yaml::from_str("id: team\nbot_id: aib1\nsecret: wecom.team").expect("parses");
        assert_eq!(c.url, DEFAULT_URL, "the default endpoint");
        assert_eq!(
            c.channel_id(),
            "wecom.team",
            "channel id from the instance name"
        );
        let bad = serde_yaml::from_str::<WeComConfig>("id: a\nbot_id: b\nsecret: c\ntoken: d");
        assert!(bad.is_err(), "an unknown key is refused");
    }
}
