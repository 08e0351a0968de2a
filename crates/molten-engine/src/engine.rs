//! The engine's facade: start it on a data directory, talk to the local chat,
//! read health and reminders, pause channels, shut down. The desktop shell and
//! the `molten` binary use only this.

use crate::audit::{AuditEntry, AuditLog, AuditResult};
use crate::backoff::Backoff;
use crate::channels::local::{self, LocalChat, LOCAL_CHANNEL};
use crate::commands::{lang::Lang, Interpreter, Safety, StatusSource};
use crate::config::{Config, Language};
use crate::error::EngineError;
use crate::health_board::HealthBoard;
use crate::metrics::Metrics;
use crate::outbox::{Delivery, OutboxWakers};
use crate::paths::DataDir;
use crate::pipeline::Pipeline;
use crate::rbac::expiry::ApprovalExpiry;
use crate::rbac::{Approval, Gate, Pairing};
use crate::router::Router;
use crate::scheduler::ReminderScheduler;
use crate::store::SqliteStore;
use crate::supervisor::Supervisor;
use crate::vault::SqliteVault;
use chrono::{DateTime, Utc};
use molten_core::{
    Channel, Clock, Direction, Health, MessageStatus, Notifier, Reminder, ReminderQuery, Store,
    StoredMessage,
};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;
use tracing::Instrument;

pub struct EngineOptions {
    pub data_dir: DataDir,
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<dyn Notifier>,
    /// `None`: load `config.yaml` from the data directory.
    pub config: Option<Config>,
    /// Channels to run besides those the config enables (embedders, tests).
    pub channels: Vec<Arc<dyn Channel>>,
}

/// A chat message as the UI and the local API show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatEntry {
    pub id: i64,
    pub direction: Direction,
    pub text: String,
    pub at: DateTime<Utc>,
    pub status: MessageStatus,
    pub sender: String,
    pub reply_to: Option<i64>,
}

impl From<StoredMessage> for ChatEntry {
    fn from(m: StoredMessage) -> Self {
        Self {
            id: m.id,
            direction: m.direction,
            text: m.text,
            at: m.at,
            status: m.status,
            sender: m.sender,
            reply_to: m.reply_to,
        }
    }
}

struct Inner {
    config: Config,
    data_dir: DataDir,
    store: Arc<dyn Store>,
    sqlite: SqliteStore,
    local: Arc<LocalChat>,
    board: Arc<HealthBoard>,
    entries: broadcast::Sender<StoredMessage>,
    paused: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
    reminders_changed: Arc<Notify>,
    outbox: OutboxWakers,
    gate: Arc<Gate>,
    vault: Option<SqliteVault>,
    audit: AuditLog,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    api_url: Mutex<Option<String>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Moves audit entries past their retention into archives, at start and daily.
async fn retention(
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    days: u32,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match audit.retain(clock.now(), days).await {
            Ok(r) => tracing::debug!(report = ?r, "audit retention ran"),
            Err(e) => {
                tracing::error!(error = %e, hint = %e.hint(), "audit retention failed; entries stay in the live table")
            }
        }
        let next = clock.now() + chrono::Duration::days(1);
        tokio::select! {
            _ = clock.sleep_until(next) => {}
            _ = shutdown.changed() => return,
        }
    }
}

struct BoardStatus(Arc<HealthBoard>);

impl StatusSource for BoardStatus {
    fn health(&self) -> Health {
        self.0.snapshot()
    }
}

impl Engine {
    /// Opens the data directory and database, recovers unfinished work and
    /// starts every channel, the reminder scheduler and the local API.
    pub async fn start(opts: EngineOptions) -> Result<Self, EngineError> {
        opts.data_dir.prepare()?;
        let config = match opts.config {
            Some(c) => c,
            None => Config::load(&opts.data_dir.config())?,
        };
        let sqlite = SqliteStore::open(&opts.data_dir.database())?;
        let gate = Arc::new(Gate::open(&opts.data_dir.permissions())?);
        crate::api_token::remove_legacy_file(&opts.data_dir.root().join("api-token"));
        // The vault failing (a locked keyring) must not stop the chat: only
        // what needs secrets (the local API) stays off, and says why.
        let vault = match crate::vault::open_from_environment(
            opts.data_dir.root(),
            sqlite.clone(),
            Arc::clone(&opts.clock),
        )
        .await
        {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, hint = %e.hint(), "the secret vault is locked; the local API stays off");
                None
            }
        };
        let approvals_changed = Arc::new(Notify::new());
        let metrics = Arc::new(Metrics::default());
        let audit = AuditLog::new(sqlite.clone(), &opts.data_dir);
        let store: Arc<dyn Store> = Arc::new(sqlite.clone());
        let tz = config.timezone.resolve();
        let board = HealthBoard::new();
        let (entries, _) = broadcast::channel(1024);
        let (paused, _) = watch::channel(false);
        let (shutdown, _) = watch::channel(false);
        let reminders_changed = Arc::new(Notify::new());
        let outbox = OutboxWakers::default();
        let local = Arc::new(LocalChat::new());
        let default_lang = match config.language {
            Language::Zh => Lang::Zh,
            Language::En | Language::Auto => Lang::En,
        };
        let pipeline = Pipeline {
            interpreter: Interpreter {
                store: Arc::clone(&store),
                clock: Arc::clone(&opts.clock),
                tz,
                default_lang,
                max_chars: config.router.max_message_chars.get() as usize,
                status: Arc::new(BoardStatus(Arc::clone(&board))),
                reminders_changed: Arc::clone(&reminders_changed),
                safety: Arc::new(Safety {
                    gate: Arc::clone(&gate),
                    records: sqlite.clone(),
                    notifier: Arc::clone(&opts.notifier),
                    approval_timeout: chrono::Duration::seconds(
                        config.rbac.approval_timeout_secs.get().into(),
                    ),
                    approvals_changed: Arc::clone(&approvals_changed),
                    owner_conversation: local::conversation(),
                }),
                metrics: Arc::clone(&metrics),
                audit: audit.clone(),
            },
            store: Arc::clone(&store),
            clock: Arc::clone(&opts.clock),
            entries: entries.clone(),
            outbox: outbox.clone(),
            metrics: Arc::clone(&metrics),
        };
        let router = Router::spawn(
            config.router.queue_capacity.get() as usize,
            Arc::new(pipeline),
            Arc::clone(&board),
        );
        let engine = Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                data_dir: opts.data_dir.clone(),
                store: Arc::clone(&store),
                sqlite,
                local: Arc::clone(&local),
                board: Arc::clone(&board),
                entries: entries.clone(),
                paused,
                shutdown,
                reminders_changed: Arc::clone(&reminders_changed),
                outbox: outbox.clone(),
                gate: Arc::clone(&gate),
                vault: vault.clone(),
                audit: audit.clone(),
                metrics: Arc::clone(&metrics),
                clock: Arc::clone(&opts.clock),
                api_url: Mutex::new(None),
                tasks: Mutex::new(Vec::new()),
            }),
        };

        let mut channels: Vec<Arc<dyn Channel>> = opts.channels;
        channels.extend(crate::channels::registry::from_config(
            &config,
            vault.as_ref(),
        ));
        if config.channels.local.enabled {
            channels.push(local);
        }
        // Work a crash left behind goes first, so each conversation stays in order.
        let unfinished = store.unfinished_inbound().await?;
        if !unfinished.is_empty() {
            tracing::info!(
                count = unfinished.len(),
                "resuming messages left unanswered"
            );
        }
        let starter = {
            let engine = engine.clone();
            let clock = Arc::clone(&opts.clock);
            async move {
                for msg in unfinished {
                    if router.submit(msg).await.is_err() {
                        return;
                    }
                }
                for channel in channels {
                    engine.spawn_channel(channel, router.clone(), Arc::clone(&clock));
                }
            }
        };
        engine.track(tokio::spawn(starter));
        let expiry = ApprovalExpiry {
            records: engine.inner.sqlite.clone(),
            clock: Arc::clone(&opts.clock),
            entries: entries.clone(),
            outbox: outbox.clone(),
            changed: approvals_changed,
            audit: audit.clone(),
        };
        engine.track(tokio::spawn(expiry.run(engine.inner.shutdown.subscribe())));
        engine.track(tokio::spawn(retention(
            audit.clone(),
            Arc::clone(&opts.clock),
            config.audit.retention_days.get(),
            engine.inner.shutdown.subscribe(),
        )));
        let every = Duration::from_millis(config.rbac.reload_poll_ms.get().into());
        engine.track(tokio::spawn(
            Arc::clone(&gate).watch(every, engine.inner.shutdown.subscribe()),
        ));
        let scheduler = ReminderScheduler {
            store,
            clock: opts.clock,
            notifier: opts.notifier,
            entries,
            outbox,
            changed: reminders_changed,
            tz,
            metrics: Arc::clone(&metrics),
            audit: audit.clone(),
        };
        engine.track(tokio::spawn(
            scheduler.run(engine.inner.shutdown.subscribe()),
        ));
        if let (true, Some(vault)) = (config.api.enabled, &vault) {
            let url = crate::api::serve(engine.clone(), config.api.port, vault).await?;
            if let Ok(mut u) = engine.inner.api_url.lock() {
                *u = Some(url);
            }
        }
        Ok(engine)
    }

    fn track(&self, task: JoinHandle<()>) {
        if let Ok(mut t) = self.inner.tasks.lock() {
            t.push(task);
        }
    }

    pub(crate) fn spawn_task(&self, task: JoinHandle<()>) {
        self.track(task);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    fn spawn_channel(&self, channel: Arc<dyn Channel>, router: Router, clock: Arc<dyn Clock>) {
        let i = &self.inner;
        let cfg = &i.config;
        let backoff = Backoff::new(
            Duration::from_millis(cfg.supervisor.backoff_initial_ms.get().into()),
            Duration::from_millis(cfg.supervisor.backoff_max_ms.get().into()),
        );
        let wake = i.outbox.for_channel(channel.id().as_str());
        let span = tracing::info_span!("channel", channel = %format!("{}.{}", channel.kind(), channel.id()));
        let supervisor = Supervisor {
            channel: Arc::clone(&channel),
            store: Arc::clone(&i.store),
            router,
            board: Arc::clone(&i.board),
            clock: Arc::clone(&clock),
            entries: i.entries.clone(),
            backoff: backoff.clone(),
            on_connected: Arc::clone(&wake),
            metrics: Arc::clone(&i.metrics),
        };
        let delivery = Delivery {
            channel,
            store: Arc::clone(&i.store),
            clock,
            entries: i.entries.clone(),
            wake,
            max_attempts: cfg.outbox.max_attempts.get(),
            backoff,
            metrics: Arc::clone(&i.metrics),
        };
        self.track(tokio::spawn(
            supervisor
                .run(i.paused.subscribe(), i.shutdown.subscribe())
                .instrument(span.clone()),
        ));
        self.track(tokio::spawn(
            delivery.run(i.shutdown.subscribe()).instrument(span),
        ));
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.inner.data_dir
    }

    /// The local API's base URL, when it is listening.
    pub fn api_url(&self) -> Option<String> {
        self.inner.api_url.lock().ok().and_then(|u| u.clone())
    }

    /// Prometheus text for `/metrics`.
    pub fn metrics_text(&self) -> String {
        self.inner
            .metrics
            .render(&self.health(), self.inner.clock.now())
    }

    pub fn health(&self) -> Health {
        self.inner.board.snapshot()
    }

    pub fn subscribe_health(&self) -> watch::Receiver<Health> {
        self.inner.board.subscribe()
    }

    /// Every stored or changed message, on every channel.
    pub fn subscribe_entries(&self) -> broadcast::Receiver<StoredMessage> {
        self.inner.entries.subscribe()
    }

    /// Whether a message belongs to the local chat.
    pub fn is_local(msg: &StoredMessage) -> bool {
        msg.conversation == local::conversation()
    }

    /// Sends a message from the owner through the local chat. Returns once it
    /// is recorded; the reply follows as an entry event.
    pub async fn send_local(
        &self,
        text: String,
        client_id: Option<String>,
    ) -> Result<ChatEntry, EngineError> {
        if text.trim().is_empty() {
            return Err(EngineError::Empty);
        }
        let max = self.inner.config.router.max_message_chars.get() as usize;
        let len = text.chars().count();
        if len > max {
            return Err(EngineError::TooLong { len, max });
        }
        let pid = self.inner.local.submit(text, client_id).await?;
        self.inner
            .store
            .inbound_by_platform_id(LOCAL_CHANNEL, &pid)
            .await?
            .map(ChatEntry::from)
            .ok_or_else(|| {
                EngineError::Store(molten_core::StoreError::NotFound(format!("message {pid}")))
            })
    }

    /// A page of the local chat, oldest first, and whether older ones exist.
    pub async fn local_history(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<ChatEntry>, bool), EngineError> {
        let (rows, more) = self
            .inner
            .store
            .history(&local::conversation(), before, limit.clamp(1, 500))
            .await?;
        Ok((rows.into_iter().map(ChatEntry::from).collect(), more))
    }

    /// Local chat entries after id `after`, oldest first.
    pub async fn local_after(&self, after: i64, limit: u32) -> Result<Vec<ChatEntry>, EngineError> {
        let rows = self
            .inner
            .store
            .messages_after(&local::conversation(), after, limit.clamp(1, 1000))
            .await?;
        Ok(rows.into_iter().map(ChatEntry::from).collect())
    }

    pub async fn reminders(
        &self,
        query: &ReminderQuery,
    ) -> Result<(Vec<Reminder>, u64), EngineError> {
        let mut q = query.clone();
        q.limit = q.limit.clamp(1, 200);
        Ok(self.inner.store.reminders(&q).await?)
    }

    /// Cancels a reminder as the owner (any reminder).
    pub async fn cancel_reminder(&self, id: i64) -> Result<Reminder, EngineError> {
        let r = self.inner.store.cancel_reminder(id, None).await?;
        self.inner.reminders_changed.notify_one();
        Ok(r)
    }

    /// Approval requests, newest first (`status`: pending/approved/denied/expired).
    pub async fn approvals(&self, status: Option<&str>) -> Result<Vec<Approval>, EngineError> {
        Ok(self.inner.sqlite.approvals(status).await?)
    }

    /// Pairing requests, newest first (`status`: pending/approved/rejected).
    pub async fn pairings(&self, status: Option<&str>) -> Result<Vec<Pairing>, EngineError> {
        Ok(self.inner.sqlite.pairings(status).await?)
    }

    /// A verified webhook delivery: shown to the owner in the local chat as
    /// untrusted content. `delivery` (its signature) makes a replay a no-op.
    pub async fn webhook_received(
        &self,
        name: &str,
        delivery: &str,
        body: &[u8],
    ) -> Result<bool, EngineError> {
        let text = String::from_utf8_lossy(body);
        let mut summary: String = text.chars().take(500).collect();
        if text.chars().count() > 500 {
            summary.push('…');
        }
        let notice =
            format!("Webhook `{name}` delivered (content from outside, not acted on):\n{summary}");
        let row = self
            .inner
            .store
            .enqueue_outbound(
                &local::conversation(),
                notice,
                format!("webhook:{name}:{delivery}"),
                self.inner.clock.now(),
            )
            .await?;
        let fresh = row.is_some();
        if let Some(row) = row {
            let _ = self.inner.entries.send(row);
            self.inner.outbox.wake(LOCAL_CHANNEL);
        }
        Ok(fresh)
    }

    /// The audit log (query, verify, export).
    pub fn audit(&self) -> &AuditLog {
        &self.inner.audit
    }

    /// Records something done outside a chat message (an edit in the app, a
    /// webhook delivery), durably, before the caller reports it.
    pub async fn record(
        &self,
        actor: &str,
        channel: &str,
        operation: &str,
        target: &str,
        args: &str,
        result: AuditResult,
    ) -> Result<(), EngineError> {
        let entry = AuditEntry::new(
            self.inner.clock.now(),
            actor,
            channel,
            operation,
            target,
            result,
        )
        .with_args(args);
        self.inner
            .audit
            .append(entry)
            .await
            .map(|_| ())
            .map_err(|e| EngineError::Store(molten_core::StoreError::Sqlite(e.to_string())))
    }

    /// The secret vault, when its master key could be found.
    pub fn vault(&self) -> Option<&SqliteVault> {
        self.inner.vault.as_ref()
    }

    /// The gate, for the permission pages (policy in force, file problems).
    pub fn gate(&self) -> &Gate {
        &self.inner.gate
    }

    /// Answers an approval or pairing as the owner: the same path as typing
    /// `/approve CODE` in the local chat, so it is checked and recorded alike.
    pub async fn answer_request(
        &self,
        code: &str,
        approve: bool,
    ) -> Result<ChatEntry, EngineError> {
        let verb = if approve { "/approve" } else { "/deny" };
        self.send_local(format!("{verb} {code}"), None).await
    }

    pub fn set_paused(&self, paused: bool) {
        self.inner.paused.send_replace(paused);
        self.inner.board.set_paused(paused);
        if !paused {
            self.inner.outbox.wake_all();
        }
    }

    pub fn is_paused(&self) -> bool {
        *self.inner.paused.borrow()
    }

    /// Schema version and integrity check, for `molten doctor`.
    pub async fn database_check(&self) -> Result<(i64, String), EngineError> {
        Ok(self.inner.sqlite.check().await?)
    }

    /// Stops every task and waits for them (bounded).
    pub async fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        let tasks: Vec<JoinHandle<()>> = self
            .inner
            .tasks
            .lock()
            .map(|mut t| t.drain(..).collect())
            .unwrap_or_default();
        for t in tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        let _ = std::fs::remove_file(self.inner.data_dir.api_endpoint());
    }
}
