//! Injected time. Engine code never calls `Utc::now()` or sleeps on its own:
//! it asks a [`Clock`], so scheduler tests run on tokio's paused time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[async_trait]
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Sleeps until `deadline` by this clock's wall time. Implementations wake
    /// at least every [`MAX_NAP`] to notice wall-clock jumps (suspend, NTP).
    async fn sleep_until(&self, deadline: DateTime<Utc>) {
        loop {
            let left = deadline - self.now();
            let Ok(left) = left.to_std() else { return };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(MAX_NAP)).await;
        }
    }
}

/// The longest single sleep, so a machine waking from suspend fires due work
/// within this bound instead of after the full monotonic duration.
pub const MAX_NAP: Duration = Duration::from_secs(15);

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall time derived from tokio's clock: `start + (tokio now - tokio start)`.
/// Under `tokio::time::pause()` it advances only when the test advances time.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall_start: DateTime<Utc>,
    tokio_start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall_start: DateTime<Utc>) -> Self {
        Self {
            wall_start,
            tokio_start: tokio::time::Instant::now(),
        }
    }
}

#[async_trait]
impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.tokio_start;
        self.wall_start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let start = DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc);
        let clock = TokioClock::starting_at(start);
        assert_eq!(clock.now(), start, "no time passes while paused");
        clock
            .sleep_until(start + chrono::Duration::minutes(10))
            .await;
        assert_eq!(
            clock.now(),
            start + chrono::Duration::minutes(10),
            "sleep_until wakes exactly at the deadline"
        );
    }
}
