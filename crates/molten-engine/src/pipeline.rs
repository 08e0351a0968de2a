//! What happens to one inbound message once routed: interpret it, then mark
//! it handled and queue its replies in one transaction, then wake the outbox.

use crate::commands::lang::Lang;
use crate::commands::{Interpreter, Notice};
use crate::outbox::OutboxWakers;
use crate::router::Handler;
use async_trait::async_trait;
use molten_core::{Clock, MessageStatus, Store, StoredMessage};
use std::sync::Arc;
use tokio::sync::broadcast;

pub struct Pipeline {
    pub interpreter: Interpreter,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub entries: broadcast::Sender<StoredMessage>,
    pub outbox: OutboxWakers,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Pipeline {
    /// Queues messages for other conversations (idempotent on their origin,
    /// so handling a message again after a crash sends nothing twice).
    async fn deliver_elsewhere(&self, notices: Vec<Notice>) {
        for n in notices {
            match self
                .store
                .enqueue_outbound(&n.conversation, n.text, n.origin, self.clock.now())
                .await
            {
                Ok(Some(row)) => {
                    let channel = row.conversation.channel.to_string();
                    let _ = self.entries.send(row);
                    self.outbox.wake(&channel);
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not queue a notice"),
            }
        }
    }
}

#[async_trait]
impl Handler for Pipeline {
    async fn handle(&self, msg: StoredMessage) {
        let started = std::time::Instant::now();
        let handled = self.interpreter.handle(&msg).await;
        self.metrics.observe_handling(started.elapsed());
        let (status, error, replies) = match handled {
            Ok(outcome) => {
                self.deliver_elsewhere(outcome.elsewhere).await;
                (MessageStatus::Done, None, outcome.replies)
            }
            Err(e) => {
                tracing::warn!(error = %e, "handling failed");
                self.metrics.count(
                    "molten_handling_errors_total",
                    msg.conversation.channel.as_str(),
                );
                let lang = Lang::detect(&msg.text, Lang::En);
                let reply = format!(
                    "{} {e}. {}",
                    lang.pick("Sorry, that did not work:", "抱歉，处理失败："),
                    e.hint()
                );
                (MessageStatus::Failed, Some(e.to_string()), vec![reply])
            }
        };
        match self
            .store
            .finish_inbound(msg.id, status, error.clone(), replies, self.clock.now())
            .await
        {
            Ok(rows) => {
                let mut updated = msg.clone();
                updated.status = status;
                updated.last_error = error;
                let _ = self.entries.send(updated);
                for row in rows {
                    let _ = self.entries.send(row);
                }
                self.outbox.wake(msg.conversation.channel.as_str());
            }
            // The message stays `received` and is handled again at next start.
            Err(e) => tracing::error!(error = %e, hint = %e.hint(), "could not record the result"),
        }
    }
}
