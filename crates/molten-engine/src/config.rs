//! Configuration: embedded defaults (`assets/defaults.yaml`, documented) with
//! the user's `config.yaml` merged over them. Unknown keys and bad values are
//! refused with `file:line:column`.

use crate::error::EngineError;
use serde::{Deserialize, Deserializer};
use std::num::NonZeroU32;
use std::path::Path;

/// The documented defaults, shipped in the binary.
pub const DEFAULTS_YAML: &str = include_str!("../assets/defaults.yaml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub timezone: TimeZone,
    pub language: Language,
    pub router: RouterConfig,
    pub supervisor: SupervisorConfig,
    pub outbox: OutboxConfig,
    pub audit: AuditConfig,
    pub rbac: RbacConfig,
    pub api: ApiConfig,
    pub channels: ChannelsConfig,
    /// Signed webhooks the local API accepts, by name.
    pub webhooks: std::collections::BTreeMap<String, WebhookConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The vault secret holding the HMAC key (`molten secret set <name>`).
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Auto,
    En,
    Zh,
}

/// An IANA zone, or `None` for the system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeZone(pub Option<chrono_tz::Tz>);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.trim().is_empty() {
            return Ok(Self(None));
        }
        name.trim().parse::<chrono_tz::Tz>().map(|tz| Self(Some(tz))).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone `{name}`; use an IANA name such as Asia/Shanghai or Europe/Berlin"
            ))
        })
    }
}

impl TimeZone {
    /// The configured zone, else the system's, else UTC.
    pub fn resolve(self) -> chrono_tz::Tz {
        self.0
            .or_else(|| iana_time_zone::get_timezone().ok()?.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    pub queue_capacity: NonZeroU32,
    pub max_message_chars: NonZeroU32,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            queue_capacity: NonZeroU32::MIN.saturating_add(1023),
            max_message_chars: NonZeroU32::MIN.saturating_add(15_999),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisorConfig {
    pub backoff_initial_ms: NonZeroU32,
    pub backoff_max_ms: NonZeroU32,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            backoff_initial_ms: NonZeroU32::MIN.saturating_add(499),
            backoff_max_ms: NonZeroU32::MIN.saturating_add(59_999),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    pub max_attempts: NonZeroU32,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            max_attempts: NonZeroU32::MIN.saturating_add(7),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    pub retention_days: NonZeroU32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: NonZeroU32::MIN.saturating_add(89),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RbacConfig {
    pub approval_timeout_secs: NonZeroU32,
    pub reload_poll_ms: NonZeroU32,
}

impl Default for RbacConfig {
    fn default() -> Self {
        Self {
            approval_timeout_secs: NonZeroU32::MIN.saturating_add(299),
            reload_poll_ms: NonZeroU32::MIN.saturating_add(999),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    pub enabled: bool,
    pub port: u16,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            port: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    pub local: LocalChannelConfig,
    pub dingtalk: Vec<crate::channels::dingtalk::DingTalkConfig>,
    pub wecom: Vec<crate::channels::wecom::WeComConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalChannelConfig {
    pub enabled: bool,
}

impl Default for LocalChannelConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timezone: TimeZone::default(),
            language: Language::Auto,
            router: RouterConfig::default(),
            supervisor: SupervisorConfig::default(),
            outbox: OutboxConfig::default(),
            audit: AuditConfig::default(),
            rbac: RbacConfig::default(),
            api: ApiConfig::default(),
            channels: ChannelsConfig::default(),
            webhooks: Default::default(),
        }
    }
}

impl Config {
    /// Parses YAML text merged over the defaults; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, EngineError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml::from_str::<Self>(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let message = e.to_string();
            // serde_yaml appends " at line L column C"; the prefix says it already.
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            EngineError::Config {
                file: file.to_string(),
                line,
                column,
                message,
            }
        })
    }

    /// Loads `path` over the defaults; a missing file means all defaults.
    pub fn load(path: &Path) -> Result<Self, EngineError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|e| EngineError::ConfigRead {
                    file: path.display().to_string(),
                    detail: format!("not UTF-8 text ({e})"),
                })?;
                Self::parse(&text, &path.display().to_string())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(EngineError::ConfigRead {
                file: path.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_are_the_real_defaults() {
        let parsed = Config::parse(DEFAULTS_YAML, "defaults.yaml").expect("defaults parse");
        assert_eq!(
            parsed,
            Config::default(),
            "assets/defaults.yaml must match Config::default()"
        );
    }

    #[test]
    fn user_file_merges_over_defaults() {
        let c = Config::parse("router:\n  queue_capacity: 8\n", "config.yaml").expect("valid");
        assert_eq!(c.router.queue_capacity.get(), 8, "the user's value wins");
        assert_eq!(
            c.router.max_message_chars.get(),
            16_000,
            "untouched keys keep defaults"
        );
        assert!(c.api.enabled, "other sections keep defaults");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_file_line_and_column() {
        let cases = [
            (
                "router:\n  queue_capacity: 8\n  queue_size: 3\n",
                3,
                "unknown field `queue_size`",
            ),
            ("api:\n  port: 99999\n", 2, "invalid value"),
            ("router:\n  queue_capacity: 0\n", 2, "nonzero"),
            ("timezone: Mars/Olympus\n", 1, "unknown time zone"),
            ("language: klingon\n", 1, "unknown variant"),
        ];
        for (text, want_line, want_msg) in cases {
            match Config::parse(text, "config.yaml") {
                Err(EngineError::Config {
                    file,
                    line,
                    message,
                    ..
                }) => {
                    assert_eq!(file, "config.yaml", "error names the file for {text:?}");
                    assert_eq!(line, want_line, "error line for {text:?}: {message}");
                    assert!(
                        message.contains(want_msg),
                        "message for {text:?} was {message:?}"
                    );
                }
                other => panic!("{text:?} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_file_means_defaults_and_binary_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = Config::load(&dir.path().join("config.yaml")).expect("missing is fine");
        assert_eq!(missing, Config::default(), "no file, all defaults");
        let bin = dir.path().join("bin.yaml");
        std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x01]).expect("write");
        let err = Config::load(&bin).expect_err("binary file refused");
        assert_eq!(
            err.code(),
            "config",
            "binary config is a config error: {err}"
        );
    }
}
