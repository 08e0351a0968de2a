//! The router: one conversation strictly in order, different conversations
//! concurrently. A semaphore bounds the messages in flight across all
//! conversations, so a flood slows its channel down (back-pressure) without
//! one busy conversation blocking the others.

use crate::health_board::HealthBoard;
use async_trait::async_trait;
use molten_core::StoredMessage;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

/// Handles one message. Called for one conversation at a time, in order.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, msg: StoredMessage);
}

type Job = (StoredMessage, OwnedSemaphorePermit);

#[derive(Clone)]
pub struct Router {
    permits: Arc<Semaphore>,
    tx: mpsc::UnboundedSender<Job>,
    board: Arc<HealthBoard>,
}

/// Idle workers are dropped once there are more than this many.
const KEEP_IDLE_WORKERS: usize = 64;

struct Worker {
    tx: mpsc::UnboundedSender<StoredMessage>,
    pending: Arc<AtomicUsize>,
}

impl Router {
    pub fn spawn(capacity: usize, handler: Arc<dyn Handler>, board: Arc<HealthBoard>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(rx, handler, Arc::clone(&board)));
        Self {
            permits: Arc::new(Semaphore::new(capacity.max(1))),
            tx,
            board,
        }
    }

    /// Queues a stored message; waits while the router is full.
    pub async fn submit(&self, msg: StoredMessage) -> Result<(), crate::error::EngineError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| crate::error::EngineError::ShuttingDown)?;
        self.board.queue_add();
        self.tx.send((msg, permit)).map_err(|_| {
            self.board.queue_done();
            crate::error::EngineError::ShuttingDown
        })
    }
}

async fn dispatch(
    mut rx: mpsc::UnboundedReceiver<Job>,
    handler: Arc<dyn Handler>,
    board: Arc<HealthBoard>,
) {
    let mut workers: HashMap<String, Worker> = HashMap::new();
    // Permits travel beside the message to the worker and drop when it is handled.
    let mut permits: HashMap<i64, OwnedSemaphorePermit> = HashMap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<i64>();
    loop {
        tokio::select! {
            job = rx.recv() => {
                let Some((msg, permit)) = job else { break };
                permits.insert(msg.id, permit);
                let key = msg.conversation.to_string();
                if workers.len() > KEEP_IDLE_WORKERS {
                    // Only the dispatcher sends, so a worker with nothing pending
                    // has an empty queue: dropping its sender ends it cleanly.
                    workers.retain(|_, w| w.pending.load(Ordering::SeqCst) > 0);
                }
                let worker = workers
                    .entry(key)
                    .or_insert_with(|| spawn_worker(Arc::clone(&handler), done_tx.clone()));
                worker.pending.fetch_add(1, Ordering::SeqCst);
                if let Err(mpsc::error::SendError(lost)) = worker.tx.send(msg) {
                    tracing::error!(id = lost.id, "conversation worker ended unexpectedly; the message will be retried at next start");
                    permits.remove(&lost.id);
                    board.queue_done();
                }
            }
            Some(id) = done_rx.recv() => {
                permits.remove(&id);
                board.queue_done();
            }
        }
    }
}

fn spawn_worker(handler: Arc<dyn Handler>, done: mpsc::UnboundedSender<i64>) -> Worker {
    let (tx, mut rx) = mpsc::unbounded_channel::<StoredMessage>();
    let pending = Arc::new(AtomicUsize::new(0));
    let left = Arc::clone(&pending);
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            let id = msg.id;
            let span = tracing::info_span!("message", id, conversation = %msg.conversation);
            handler.handle(msg).instrument(span).await;
            left.fetch_sub(1, Ordering::SeqCst);
            let _ = done.send(id);
        }
    });
    Worker { tx, pending }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use molten_core::{ConversationRef, Direction, MessageStatus};
    use std::sync::Mutex;
    use std::time::Duration;

    struct Recorder {
        seen: Mutex<Vec<(String, i64)>>,
        active: AtomicUsize,
        max_active: AtomicUsize,
    }

    #[async_trait]
    impl Handler for Recorder {
        async fn handle(&self, msg: StoredMessage) {
            let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_active.fetch_max(now, Ordering::SeqCst);
            // Later messages of a conversation finish faster: order must still hold.
            tokio::time::sleep(Duration::from_millis(20 - (msg.id % 20) as u64)).await;
            self.seen
                .lock()
                .expect("lock")
                .push((msg.conversation.conversation_id.clone(), msg.id));
            self.active.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn msg(id: i64, conv: &str) -> StoredMessage {
        StoredMessage {
            id,
            direction: Direction::In,
            conversation: ConversationRef::new("t", conv),
            sender: "t:u".into(),
            text: String::new(),
            at: Utc::now(),
            status: MessageStatus::Received,
            reply_to: None,
            attempts: 0,
            last_error: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_conversation_in_order_many_concurrently() {
        let rec = Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            max_active: AtomicUsize::new(0),
        });
        let board = HealthBoard::new();
        let router = Router::spawn(8, rec.clone(), Arc::clone(&board));
        let convs = ["a", "b", "c", "d"];
        for id in 0..80 {
            router
                .submit(msg(id, convs[id as usize % 4]))
                .await
                .expect("submit");
        }
        for _ in 0..500 {
            if rec.seen.lock().expect("lock").len() == 80 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seen = rec.seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 80, "every message handled once");
        for c in convs {
            let ids: Vec<i64> = seen
                .iter()
                .filter(|(k, _)| k == c)
                .map(|(_, id)| *id)
                .collect();
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            assert_eq!(ids, sorted, "conversation {c} handled in order");
        }
        assert!(
            rec.max_active.load(Ordering::SeqCst) > 1,
            "different conversations ran concurrently"
        );
        for _ in 0..100 {
            if board.queue_depth() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(board.queue_depth(), 0, "queue depth returns to zero");
    }
}
