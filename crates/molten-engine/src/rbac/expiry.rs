//! Approvals fail closed: a task that marks every unanswered request expired
//! at its deadline and tells the requester nothing was done.

use crate::commands::lang::Lang;
use crate::outbox::OutboxWakers;
use crate::store::SqliteStore;
use molten_core::{Clock, Store, StoredMessage};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

pub struct ApprovalExpiry {
    pub records: SqliteStore,
    pub clock: Arc<dyn Clock>,
    pub entries: broadcast::Sender<StoredMessage>,
    pub outbox: OutboxWakers,
    pub changed: Arc<Notify>,
    pub audit: crate::audit::AuditLog,
}

impl ApprovalExpiry {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.records.next_approval_deadline().await {
                Ok(Some(deadline)) => {
                    tokio::select! {
                        _ = self.clock.sleep_until(deadline) => {}
                        _ = self.changed.notified() => continue,
                        _ = shutdown.changed() => continue,
                    }
                }
                Ok(None) => {
                    tokio::select! {
                        _ = self.changed.notified() => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read approvals; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            }
            self.expire().await;
        }
    }

    async fn expire(&self) {
        let now = self.clock.now();
        let expired = match self.records.expire_approvals(now).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot expire approvals");
                return;
            }
        };
        for a in expired {
            tracing::info!(code = %a.code, requester = %a.requester, "approval expired: denied");
            let entry = crate::audit::AuditEntry::new(
                now,
                "system",
                a.conversation.channel.to_string(),
                "approval:expired",
                a.permission.clone(),
                crate::audit::AuditResult::Denied,
            )
            .with_args(format!("request {} from {}", a.code, a.requester));
            if let Err(e) = self.audit.append(entry).await {
                tracing::error!(error = %e, "could not write the audit entry");
            }
            let lang = Lang::from_code(&a.lang);
            let text = match lang {
                Lang::En => format!(
                    "Request {} was not approved in time, so nothing was done (`{}`).",
                    a.code, a.command
                ),
                Lang::Zh => format!(
                    "请求 {} 未在时限内获批，未执行任何操作（`{}`）。",
                    a.code, a.command
                ),
            };
            match self
                .records
                .enqueue_outbound(
                    &a.conversation,
                    text,
                    format!("approval:{}:expired", a.id),
                    now,
                )
                .await
            {
                Ok(Some(row)) => {
                    let _ = self.entries.send(row);
                    self.outbox.wake(a.conversation.channel.as_str());
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not tell the requester"),
            }
        }
    }
}
