//! The command interpreter: works with no model configured, in English and
//! Chinese. `/help`, `/status`, `/whoami`, `/remind`, `/reminders`, `/cancel`;
//! free text gets a helpful answer, never silence.

pub mod lang;
mod safety;
pub mod when;

pub use safety::{Notice, Outcome, Safety};

use crate::audit::{AuditEntry, AuditLog, AuditResult};
use crate::error::EngineError;
use crate::rbac::Decision;
use chrono_tz::Tz;
use lang::{local_time, relative, Lang};
use molten_core::{
    Clock, Health, NewReminder, ReminderQuery, ReminderStatus, Store, StoreError, StoredMessage,
};
use std::sync::Arc;
use tokio::sync::Notify;

/// What the interpreter needs to know about the running engine.
pub trait StatusSource: Send + Sync + 'static {
    fn health(&self) -> Health;
}

pub struct Interpreter {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub tz: Tz,
    pub default_lang: Lang,
    pub max_chars: usize,
    pub status: Arc<dyn StatusSource>,
    /// Woken when reminders change, so the scheduler re-reads its next deadline.
    pub reminders_changed: Arc<Notify>,
    /// The permission gate, pairing and approvals.
    pub safety: Arc<Safety>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Every handled message leaves an entry here before its replies go out.
    pub audit: AuditLog,
}

#[derive(Debug, Clone, Copy)]
enum Command<'a> {
    Help,
    /// Plain text: a chat with the assistant.
    Chat,
    Approve(&'a str),
    Deny(&'a str),
    Status,
    WhoAmI,
    Remind(&'a str),
    Reminders,
    Cancel(&'a str),
    Unknown(&'a str),
}

fn parse(text: &str) -> Option<(Command<'_>, Lang)> {
    let text = text.trim();
    let rest = text.strip_prefix('/').or_else(|| text.strip_prefix('／'))?;
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    // Telegram-style `/help@MoltenBot`.
    let name = name.split('@').next().unwrap_or(name);
    let args = args.trim();
    let zh = Lang::detect(name, Lang::En) == Lang::Zh;
    let lang = if zh {
        Lang::Zh
    } else {
        Lang::detect(args, Lang::En)
    };
    let cmd = match name.to_lowercase().as_str() {
        "help" | "start" | "帮助" => Command::Help,
        "status" | "状态" => Command::Status,
        "whoami" | "我是谁" => Command::WhoAmI,
        "remind" | "提醒" => Command::Remind(args),
        "reminders" | "提醒列表" => Command::Reminders,
        "cancel" | "取消" => Command::Cancel(args),
        "approve" | "批准" | "同意" => Command::Approve(args),
        "deny" | "reject" | "拒绝" => Command::Deny(args),
        _ => Command::Unknown(name),
    };
    Some((cmd, lang))
}

/// What the audit log records of a message: the operation, and a short
/// summary of its arguments (plain chat is summarised by length only).
fn audit_summary(text: &str) -> (String, String) {
    let text = text.trim();
    match text.strip_prefix('/') {
        Some(rest) => {
            let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let name: String = name.chars().take(32).collect::<String>().to_lowercase();
            let mut args: String = args.trim().chars().take(120).collect();
            if args.chars().count() == 120 {
                args.push('…');
            }
            (format!("command:/{name}"), args)
        }
        None => (
            "chat".into(),
            format!("{} characters", text.chars().count()),
        ),
    }
}

/// The permission a command needs; `None`: anyone known may use it.
fn permission(cmd: &Command<'_>) -> Option<&'static str> {
    match cmd {
        Command::Help | Command::WhoAmI | Command::Unknown(_) => None,
        Command::Chat => Some("message:send"),
        Command::Status => Some("status:read"),
        Command::Remind(_) | Command::Reminders | Command::Cancel(_) => Some("reminder:manage"),
        Command::Approve(_) | Command::Deny(_) => Some("approval:decide"),
    }
}

fn help(lang: Lang) -> String {
    lang.pick(
        "Here is what I can do without a language model:\n\
         /help — this list\n\
         /status — how Molten is doing\n\
         /whoami — who I think you are\n\
         /remind <when> <what> — e.g. /remind in 10m stretch, /remind tomorrow 9:00 standup\n\
         /reminders — your pending reminders\n\
         /cancel <id> — cancel a reminder\n\
         Chinese works too: /提醒 10分钟后 喝水",
        "不需要语言模型也能用的命令：\n\
         /帮助 — 显示本列表\n\
         /状态 — Molten 的运行状况\n\
         /我是谁 — 查看你的身份\n\
         /提醒 <时间> <内容> — 例如 /提醒 10分钟后 喝水、/提醒 明天9点 开会\n\
         /提醒列表 — 查看待办提醒\n\
         /取消 <编号> — 取消提醒\n\
         英文命令同样可用：/help、/status、/whoami、/remind、/reminders、/cancel",
    )
    .to_string()
}

fn when_error(e: &when::WhenError, lang: Lang) -> String {
    use when::WhenError::*;
    let what = match e {
        Unreadable => lang.pick("I could not read the time.", "我没看懂这个时间。"),
        Past => lang.pick("That time has already passed.", "这个时间已经过去了。"),
        OutOfRange => lang.pick(
            "That time does not exist or is too far away.",
            "这个时间不存在或太远了。",
        ),
        NoText => lang.pick("What should I remind you of?", "要提醒你什么呢？"),
    };
    format!(
        "{what} {}",
        lang.pick(
            "Try: /remind in 10m stretch · /remind tomorrow 9:00 standup · /remind 2026-12-01 14:30 dentist",
            "试试：/提醒 10分钟后 喝水 · /提醒 明天9点 开会 · /提醒 2026-12-01 14:30 看牙"
        )
    )
}

impl Interpreter {
    /// Handles one stored inbound message: checks, then the gate, then the command.
    pub async fn handle(&self, msg: &StoredMessage) -> Result<Outcome, EngineError> {
        self.execute(msg, None).await
    }

    /// Runs `msg` as its sender and records what happened in the audit log
    /// before the outcome is reported. `approved` is a permission the owner
    /// has already approved for exactly this message.
    pub(crate) async fn execute(
        &self,
        msg: &StoredMessage,
        approved: Option<&str>,
    ) -> Result<Outcome, EngineError> {
        let started = std::time::Instant::now();
        let (result, verdict, target) = self.run_gated(msg, approved).await;
        let verdict = if result.is_err() {
            AuditResult::Error
        } else {
            verdict
        };
        let (operation, args) = audit_summary(&msg.text);
        let entry = AuditEntry::new(
            self.clock.now(),
            msg.sender.clone(),
            msg.conversation.channel.to_string(),
            operation,
            target,
            verdict,
        )
        .with_args(args)
        .with_duration_ms(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        if let Err(e) = self.audit.append(entry).await {
            tracing::error!(error = %e, "could not write the audit entry");
            self.metrics.count("molten_audit_errors_total", "append");
        }
        result
    }

    /// The gate, then the command: the outcome, the audit verdict, and the
    /// permission it needed (the audit target).
    async fn run_gated(
        &self,
        msg: &StoredMessage,
        approved: Option<&str>,
    ) -> (Result<Outcome, EngineError>, AuditResult, String) {
        let (cmd, _) = parse(msg.text.trim()).unwrap_or((Command::Chat, Lang::En));
        let perm = permission(&cmd);
        // One decision per message: the same one is acted on and audited.
        let decision = match perm {
            Some(p) => self.safety.gate.decide(&msg.sender, p),
            None if self.safety.gate.policy().role_of(&msg.sender).is_none() => Decision::Unknown,
            None => Decision::Allowed {
                role: String::new(),
            },
        };
        if perm.is_some() {
            self.metrics
                .count("molten_gate_decisions_total", decision.as_str());
        }
        let verdict = match &decision {
            Decision::Denied { .. } | Decision::Unknown => AuditResult::Denied,
            Decision::NeedsApproval { .. } if approved != perm => AuditResult::NeedsApproval,
            _ => AuditResult::Ok,
        };
        let target = perm.unwrap_or("none").to_string();
        (
            self.run_checked(msg, approved, decision).await,
            verdict,
            target,
        )
    }

    /// Input checks, then `decision` (made once by [`Self::run_gated`]), then the command.
    async fn run_checked(
        &self,
        msg: &StoredMessage,
        approved: Option<&str>,
        decision: Decision,
    ) -> Result<Outcome, EngineError> {
        let text = msg.text.trim();
        let lang = Lang::detect(text, self.default_lang);
        let len = text.chars().count();
        if len > self.max_chars {
            return Ok(Outcome::reply(format!(
                "{} {}",
                lang.pick("That message is too long for me:", "这条消息太长了："),
                EngineError::TooLong {
                    len,
                    max: self.max_chars
                }
                .hint()
            )));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Ok(Outcome::reply(lang
                .pick(
                    "That message contains binary or control characters, which I cannot read. Send plain text, or share the content as a file.",
                    "这条消息包含二进制或控制字符，我无法读取。请发送纯文本，或以文件形式分享。",
                )
                .to_string()));
        }
        let (cmd, lang) = parse(text).unwrap_or((Command::Chat, lang));
        match (decision, permission(&cmd)) {
            (Decision::Allowed { .. }, _) => {}
            (Decision::NeedsApproval { .. }, Some(perm)) if approved == Some(perm) => {}
            (Decision::NeedsApproval { .. }, Some(perm)) => {
                return self.ask_approval(msg, perm, lang).await
            }
            (Decision::Denied { role }, Some(perm)) => {
                return Ok(Outcome::reply(safety::denied(perm, &role, lang)))
            }
            _ => return self.offer_pairing(msg, lang).await,
        }
        let reply = match cmd {
            Command::Help => help(lang),
            Command::Chat => self.no_model(lang),
            Command::Status => self.status(lang).await?,
            Command::WhoAmI => self.whoami(msg, lang),
            Command::Remind(args) => self.remind(msg, args, lang).await?,
            Command::Reminders => self.list(msg, lang).await?,
            Command::Cancel(args) => self.cancel(msg, args, lang).await?,
            Command::Approve(code) => return self.answer(msg, code, true, lang).await,
            Command::Deny(code) => return self.answer(msg, code, false, lang).await,
            Command::Unknown(name) => format!(
                "{} /{name}. {}",
                lang.pick("I don't know the command", "我不认识这个命令"),
                lang.pick(
                    "Send /help to see what I can do.",
                    "发送 /帮助 查看可用命令。"
                )
            ),
        };
        Ok(Outcome::reply(reply))
    }

    fn no_model(&self, lang: Lang) -> String {
        lang.pick(
            "No language model is configured yet, so I can only follow commands for now. Send /help to see them, or add a model in Settings → Models to chat freely.",
            "还没有配置语言模型，目前我只能执行命令。发送 /帮助 查看命令，或在 设置 → 模型 中添加模型后即可自由对话。",
        )
        .to_string()
    }

    async fn status(&self, lang: Lang) -> Result<String, EngineError> {
        let h = self.status.health();
        // Not counting the /status message itself.
        let queue = h.queue_depth.saturating_sub(1);
        let h = Health::summarize(h.paused, queue, h.channels);
        let (inbox, outbox) = self.store.backlog().await?;
        let inbox = inbox.saturating_sub(1);
        let (_, pending) = self
            .store
            .reminders(&ReminderQuery {
                status: Some(ReminderStatus::Pending),
                limit: 0,
                ..Default::default()
            })
            .await?;
        let channels: Vec<String> = h
            .channels
            .iter()
            .map(|c| {
                format!(
                    "{} ({})",
                    c.id,
                    serde_json::to_value(c.state)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                )
            })
            .collect();
        Ok(match lang {
            Lang::En => format!(
                "Molten {} — {}\nChannels: {}\nQueue: {} other messages waiting, {} unanswered, {} replies to send\nReminders pending: {}\nModel: none configured (commands only)\nTime zone: {}",
                env!("CARGO_PKG_VERSION"), h.overall.as_str(), channels.join(", "), queue, inbox, outbox, pending, self.tz
            ),
            Lang::Zh => format!(
                "Molten {} — {}\n通道：{}\n队列：另有 {} 条等待，{} 条未答复，{} 条回复待发送\n待办提醒：{}\n模型：未配置（仅命令）\n时区：{}",
                env!("CARGO_PKG_VERSION"), h.overall.as_str(), channels.join("，"), queue, inbox, outbox, pending, self.tz
            ),
        })
    }

    fn whoami(&self, msg: &StoredMessage, lang: Lang) -> String {
        match lang {
            Lang::En => format!(
                "You are {} in conversation {}.",
                msg.sender, msg.conversation
            ),
            Lang::Zh => format!("你是 {}，当前会话 {}。", msg.sender, msg.conversation),
        }
    }

    async fn remind(
        &self,
        msg: &StoredMessage,
        args: &str,
        lang: Lang,
    ) -> Result<String, EngineError> {
        let now = self.clock.now();
        let parsed = match when::parse(args, now, self.tz) {
            Ok(p) => p,
            Err(e) => return Ok(when_error(&e, lang)),
        };
        let lang = Lang::detect(&parsed.text, lang);
        // Keyed by the inbound message: handling it again after a crash
        // returns the same reminder instead of a second one.
        let r = self
            .store
            .create_reminder(NewReminder {
                origin: format!("inbox:{}", msg.id),
                owner: msg.sender.clone(),
                conversation: msg.conversation.clone(),
                text: parsed.text,
                due_at: parsed.at,
                lang: lang.code().into(),
                created_at: now,
            })
            .await?;
        self.reminders_changed.notify_one();
        let at = local_time(r.due_at, self.tz, lang);
        let rel = relative(r.due_at - now, lang);
        Ok(match lang {
            Lang::En => format!("Reminder #{} set for {at} ({rel}): {}", r.id, r.text),
            Lang::Zh => format!("已设置提醒 #{}，时间 {at}（{rel}）：{}", r.id, r.text),
        })
    }

    async fn list(&self, msg: &StoredMessage, lang: Lang) -> Result<String, EngineError> {
        let q = ReminderQuery {
            status: Some(ReminderStatus::Pending),
            owner: Some(msg.sender.clone()),
            limit: 20,
            ..Default::default()
        };
        let (items, total) = self.store.reminders(&q).await?;
        if items.is_empty() {
            return Ok(lang
                .pick(
                    "You have no pending reminders. Set one with /remind in 10m stretch.",
                    "你没有待办提醒。用 /提醒 10分钟后 喝水 来设置一个。",
                )
                .to_string());
        }
        let now = self.clock.now();
        let mut out = match lang {
            Lang::En => format!("Pending reminders ({total}):"),
            Lang::Zh => format!("待办提醒（共 {total} 条）："),
        };
        for r in &items {
            let (at, rel) = (
                local_time(r.due_at, self.tz, lang),
                relative(r.due_at - now, lang),
            );
            out.push_str(&match lang {
                Lang::En => format!("\n#{} {at} ({rel}) — {}", r.id, r.text),
                Lang::Zh => format!("\n#{} {at}（{rel}）— {}", r.id, r.text),
            });
        }
        if total > items.len() as u64 {
            out.push_str(lang.pick(
                "\n… see the Reminders page for all.",
                "\n……全部提醒请在“提醒”页面查看。",
            ));
        }
        out.push_str(lang.pick("\nCancel with /cancel <id>.", "\n用 /取消 <编号> 取消。"));
        Ok(out)
    }

    async fn cancel(
        &self,
        msg: &StoredMessage,
        args: &str,
        lang: Lang,
    ) -> Result<String, EngineError> {
        let Ok(id) = args.trim().trim_start_matches('#').parse::<i64>() else {
            return Ok(lang
                .pick(
                    "Which reminder? Send /cancel <id>; /reminders lists the ids.",
                    "要取消哪条提醒？发送 /取消 <编号>；/提醒列表 可查看编号。",
                )
                .to_string());
        };
        match self.store.cancel_reminder(id, Some(&msg.sender)).await {
            Ok(r) if r.status == ReminderStatus::Cancelled => {
                self.reminders_changed.notify_one();
                Ok(match lang {
                    Lang::En => format!("Cancelled reminder #{}: {}", r.id, r.text),
                    Lang::Zh => format!("已取消提醒 #{}：{}", r.id, r.text),
                })
            }
            Ok(r) => Ok(match lang {
                Lang::En => format!(
                    "Reminder #{} has already {}; nothing to cancel.",
                    r.id,
                    if r.status == ReminderStatus::Fired {
                        "fired"
                    } else {
                        "been cancelled"
                    }
                ),
                Lang::Zh => format!(
                    "提醒 #{} 已经{}，无需取消。",
                    r.id,
                    if r.status == ReminderStatus::Fired {
                        "触发"
                    } else {
                        "取消"
                    }
                ),
            }),
            Err(StoreError::NotFound(_)) => Ok(match lang {
                Lang::En => format!("I found no reminder #{id} of yours. /reminders lists them."),
                Lang::Zh => format!("没有找到你的提醒 #{id}。/提醒列表 可查看。"),
            }),
            Err(e) => Err(e.into()),
        }
    }
}
