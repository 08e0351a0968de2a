//! Reminders: a task that sleeps until the next due reminder (or a change),
//! then marks it fired and queues its message in one transaction, and raises
//! a desktop notification. Reminders missed while Molten was not running fire
//! once at start, marked late.

use crate::audit::{AuditEntry, AuditResult};
use crate::commands::lang::{local_time, Lang};
use crate::outbox::OutboxWakers;
use chrono_tz::Tz;
use molten_core::{Clock, Notification, Notifier, Reminder, Store, StoredMessage};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

pub struct ReminderScheduler {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<dyn Notifier>,
    pub entries: broadcast::Sender<StoredMessage>,
    pub outbox: OutboxWakers,
    pub changed: Arc<Notify>,
    pub tz: Tz,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub audit: crate::audit::AuditLog,
}

/// Late by more than this, the alert says so.
const LATE_AFTER: chrono::Duration = chrono::Duration::minutes(1);

pub fn notification_title(lang: Lang) -> &'static str {
    lang.pick("Molten · Reminder", "Molten · 提醒")
}

impl ReminderScheduler {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let next = match self.store.next_pending_reminder().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read reminders; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            };
            let Some(r) = next else {
                tokio::select! {
                    _ = self.changed.notified() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            };
            if self.clock.now() < r.due_at {
                tokio::select! {
                    _ = self.clock.sleep_until(r.due_at) => {}
                    _ = self.changed.notified() => continue,
                    _ = shutdown.changed() => continue,
                }
            }
            self.fire(r).await;
        }
    }

    async fn fire(&self, r: Reminder) {
        let now = self.clock.now();
        let lang = Lang::from_code(&r.lang);
        let late = now - r.due_at > LATE_AFTER;
        let mut text = format!("{}{}", lang.pick("Reminder: ", "提醒："), r.text);
        if late {
            text.push_str(&match lang {
                Lang::En => format!(
                    " (was due {}; Molten was not running)",
                    local_time(r.due_at, self.tz, lang)
                ),
                Lang::Zh => format!(
                    "（原定 {}，当时 Molten 未运行）",
                    local_time(r.due_at, self.tz, lang)
                ),
            });
        }
        match self.store.fire_reminder(r.id, text, now).await {
            Ok(Some(row)) => {
                tracing::info!(id = r.id, late, "reminder fired");
                let entry = AuditEntry::new(
                    now,
                    "system",
                    r.conversation.channel.to_string(),
                    "reminder:fire",
                    format!("reminder:{}", r.id),
                    AuditResult::Ok,
                )
                .with_args(format!(
                    "for {}{}",
                    r.owner,
                    if late { ", late" } else { "" }
                ));
                if let Err(e) = self.audit.append(entry).await {
                    tracing::error!(error = %e, "could not write the audit entry");
                }
                self.metrics.count(
                    "molten_reminders_fired_total",
                    if late { "late" } else { "on_time" },
                );
                self.notifier.notify(Notification {
                    title: notification_title(lang).to_string(),
                    body: r.text.clone(),
                });
                let _ = self.entries.send(row);
                self.outbox.wake(r.conversation.channel.as_str());
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(id = r.id, error = %e, "could not fire a reminder; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
