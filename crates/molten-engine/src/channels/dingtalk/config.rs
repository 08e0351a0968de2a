//! `channels.dingtalk[]` in `config.yaml`: one DingTalk Stream-mode robot per
//! entry. The client secret is the *name* of a vault secret, read at connect.

use serde::Deserialize;

/// The production OpenAPI host; tests point `endpoint` at a fake.
pub const DEFAULT_ENDPOINT: &str = "https://api.dingtalk.com";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingTalkConfig {
    /// The instance name: `work` makes the channel `dingtalk.work`.
    pub id: String,
    /// The app's Client ID (AppKey).
    pub client_id: String,
    /// The vault secret holding the Client Secret (`molten secret set <name>`).
    pub client_secret: String,
    /// The OpenAPI base URL (tickets, tokens, robot sends).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// The robot code for proactive sends; defaults to the one in the last
    /// message received (equal to the Client ID for internal apps).
    #[serde(default)]
    pub robot_code: Option<String>,
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_string()
}

impl DingTalkConfig {
    /// The channel id, e.g. `dingtalk.work`.
    pub fn channel_id(&self) -> String {
        format!("dingtalk.{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_defaults_and_unknown_keys_are_refused() {
        let c: DingTalkConfig =
            serde_yaml::from_str("id: work\nclient_id: ding1\nclient_secret: dingtalk.work\n")
                .expect("parses");
        assert_eq!(
            c.endpoint, DEFAULT_ENDPOINT,
            "endpoint defaults to production"
        );
        assert_eq!(
            c.channel_id(),
            "dingtalk.work",
            "channel id from the instance name"
        );
        let bad = serde_yaml::from_str::<DingTalkConfig>(
            "id: work\nclient_id: a\nclient_secret: b\nsecret_value: c\n",
        );
        assert!(bad.is_err(), "unknown keys are refused");
    }
}
