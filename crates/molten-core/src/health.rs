//! Health as the user sees it: per channel, from real inbound traffic, and overall.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A supervised channel's state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelState {
    Connecting,
    Connected,
    /// Waiting before the next reconnect attempt.
    Backoff,
    /// Stopped for good until the user acts (e.g. bad credentials).
    Failed,
    Paused,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelHealth {
    pub id: String,
    pub kind: String,
    pub state: ChannelState,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub reconnects: u64,
    pub last_error: Option<String>,
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// The tray icon's four faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Overall {
    Ok,
    Busy,
    Degraded,
    Offline,
}

impl Overall {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Busy => "busy",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub overall: Overall,
    pub paused: bool,
    pub queue_depth: usize,
    pub channels: Vec<ChannelHealth>,
}

impl Health {
    /// Derives the overall face: offline when paused or no channel is up,
    /// degraded when any channel is not connected, busy while work is queued.
    pub fn summarize(paused: bool, queue_depth: usize, channels: Vec<ChannelHealth>) -> Self {
        let up = channels
            .iter()
            .filter(|c| c.state == ChannelState::Connected)
            .count();
        let overall = if paused || up == 0 {
            Overall::Offline
        } else if up < channels.len() {
            Overall::Degraded
        } else if queue_depth > 0 {
            Overall::Busy
        } else {
            Overall::Ok
        };
        Self {
            overall,
            paused,
            queue_depth,
            channels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(state: ChannelState) -> ChannelHealth {
        ChannelHealth {
            id: "x".into(),
            kind: "local".into(),
            state,
            last_inbound_at: None,
            reconnects: 0,
            last_error: None,
            next_retry_at: None,
        }
    }

    #[test]
    fn overall_follows_channels_queue_and_pause() {
        use ChannelState::*;
        let cases = [
            (false, 0, vec![Connected], Overall::Ok),
            (false, 3, vec![Connected], Overall::Busy),
            (false, 0, vec![Connected, Backoff], Overall::Degraded),
            (false, 5, vec![Connected, Failed], Overall::Degraded),
            (false, 0, vec![Backoff], Overall::Offline),
            (true, 0, vec![Connected], Overall::Offline),
            (false, 0, vec![], Overall::Offline),
        ];
        for (paused, q, states, want) in cases {
            let got = Health::summarize(paused, q, states.iter().map(|s| ch(*s)).collect()).overall;
            assert_eq!(got, want, "paused={paused} queue={q} states={states:?}");
        }
    }
}
