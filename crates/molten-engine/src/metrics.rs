//! Counters and a latency histogram, rendered in Prometheus' text format at
//! the local API's `/metrics`.

use molten_core::{ChannelState, Health};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the handling-latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    /// (metric name, label value) → count; labels are channel ids or decisions.
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    handled: AtomicU64,
    handled_micros: AtomicU64,
}

/// The counters, with their help text and label name.
const COUNTERS: &[(&str, &str, &str)] = &[
    (
        "molten_inbound_messages_total",
        "Inbound messages recorded, by channel.",
        "channel",
    ),
    (
        "molten_inbound_duplicates_total",
        "Redelivered inbound messages dropped, by channel.",
        "channel",
    ),
    (
        "molten_outbound_sent_total",
        "Outbound messages delivered, by channel.",
        "channel",
    ),
    (
        "molten_outbound_errors_total",
        "Failed send attempts, by channel.",
        "channel",
    ),
    (
        "molten_handling_errors_total",
        "Messages whose handling failed, by channel.",
        "channel",
    ),
    (
        "molten_gate_decisions_total",
        "Permission gate decisions, by result.",
        "decision",
    ),
    ("molten_reminders_fired_total", "Reminders fired.", "kind"),
];

impl Metrics {
    pub fn count(&self, metric: &'static str, label: &str) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((metric, label.to_string())).or_default() += 1;
        }
    }

    pub fn observe_handling(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (i, upper) in BUCKETS.iter().enumerate() {
            if secs <= *upper {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.handled.fetch_add(1, Ordering::Relaxed);
        self.handled_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The Prometheus exposition text, with live health as gauges.
    pub fn render(&self, health: &Health, now: chrono::DateTime<chrono::Utc>) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().map(|c| c.clone()).unwrap_or_default();
        for (name, help, label) in COUNTERS {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((metric, value), n) in &counters {
                if metric == name {
                    let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape(value));
                }
            }
        }
        let name = "molten_handling_seconds";
        let _ = writeln!(out, "# HELP {name} Time from routing a message to its replies being queued.\n# TYPE {name} histogram");
        for (i, upper) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{upper}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.handled.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.handled_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
        let _ = writeln!(out, "# HELP molten_queue_depth Messages routed and not yet handled.\n# TYPE molten_queue_depth gauge");
        let _ = writeln!(out, "molten_queue_depth {}", health.queue_depth);
        let _ = writeln!(out, "# HELP molten_channel_up 1 when the channel is connected.\n# TYPE molten_channel_up gauge");
        for c in &health.channels {
            let up = u8::from(c.state == ChannelState::Connected);
            let _ = writeln!(
                out,
                "molten_channel_up{{channel=\"{}\"}} {up}",
                escape(&c.id)
            );
        }
        let _ = writeln!(out, "# HELP molten_channel_reconnects_total Reconnects since start.\n# TYPE molten_channel_reconnects_total counter");
        for c in &health.channels {
            let _ = writeln!(
                out,
                "molten_channel_reconnects_total{{channel=\"{}\"}} {}",
                escape(&c.id),
                c.reconnects
            );
        }
        let _ = writeln!(out, "# HELP molten_channel_last_inbound_age_seconds Seconds since the last inbound message.\n# TYPE molten_channel_last_inbound_age_seconds gauge");
        for c in &health.channels {
            if let Some(at) = c.last_inbound_at {
                let age = (now - at).num_milliseconds().max(0) as f64 / 1e3;
                let _ = writeln!(
                    out,
                    "molten_channel_last_inbound_age_seconds{{channel=\"{}\"}} {age}",
                    escape(&c.id)
                );
            }
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauges() {
        let m = Metrics::default();
        m.count("molten_inbound_messages_total", "local");
        m.count("molten_inbound_messages_total", "local");
        m.count("molten_gate_decisions_total", "denied");
        m.observe_handling(Duration::from_millis(7));
        m.observe_handling(Duration::from_secs(3));
        let text = m.render(&Health::summarize(false, 2, Vec::new()), chrono::Utc::now());
        assert!(
            text.contains("molten_inbound_messages_total{channel=\"local\"} 2"),
            "counter by channel:\n{text}"
        );
        assert!(
            text.contains("molten_gate_decisions_total{decision=\"denied\"} 1"),
            "decisions:\n{text}"
        );
        assert!(
            text.contains("molten_handling_seconds_bucket{le=\"0.01\"} 1"),
            "7 ms in the 10 ms bucket:\n{text}"
        );
        assert!(
            text.contains("molten_handling_seconds_bucket{le=\"5\"} 2"),
            "3 s in the 5 s bucket:\n{text}"
        );
        assert!(
            text.contains("molten_handling_seconds_count 2"),
            "count:\n{text}"
        );
        assert!(
            text.contains("molten_queue_depth 2"),
            "queue gauge:\n{text}"
        );
    }
}
