//! The interpreter's safety side: unknown senders get a pairing code, actions
//! that need approval wait for the owner (no answer = no), and `/approve` /
//! `/deny` answer both. The owner hears of requests by desktop notification
//! and in the local chat.

use super::lang::{relative, Lang};
use super::Interpreter;
use crate::error::EngineError;
use crate::rbac::{Answer, Approval, Gate, NewApproval};
use crate::store::SqliteStore;
use molten_core::{ConversationRef, Notification, Notifier, StoredMessage};
use std::sync::Arc;
use tokio::sync::Notify;

pub struct Safety {
    pub gate: Arc<Gate>,
    pub records: SqliteStore,
    pub notifier: Arc<dyn Notifier>,
    /// How long the owner has to answer; then the request is denied.
    pub approval_timeout: chrono::Duration,
    /// Woken when an approval is created, so the expiry task re-plans.
    pub approvals_changed: Arc<Notify>,
    /// Where the owner reads requests: the local chat.
    pub owner_conversation: ConversationRef,
}

/// A message for a conversation other than the sender's.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub conversation: ConversationRef,
    pub text: String,
    /// Idempotency key in the outbox.
    pub origin: String,
}

/// What handling one message produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub replies: Vec<String>,
    pub elsewhere: Vec<Notice>,
}

impl Outcome {
    pub fn reply(text: String) -> Self {
        Self {
            replies: vec![text],
            elsewhere: Vec::new(),
        }
    }
}

pub fn denied(perm: &str, role: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Not allowed: this needs the permission `{perm}`, which your role `{role}` does not have. Ask the owner to grant it in permissions.yaml."),
        Lang::Zh => format!("无权执行：需要权限 `{perm}`，你的角色 `{role}` 没有该权限。请联系所有者在 permissions.yaml 中授权。"),
    }
}

impl Interpreter {
    pub(super) async fn offer_pairing(
        &self,
        msg: &StoredMessage,
        lang: Lang,
    ) -> Result<Outcome, EngineError> {
        let s = &self.safety;
        let (pairing, new) = s
            .records
            .request_pairing(&msg.sender, &msg.conversation, self.clock.now())
            .await?;
        let mut out = Outcome::reply(match lang {
            Lang::En => format!(
                "Hello! This Molten does not know you yet, so it cannot act on your messages. Your pairing code is {}. The owner has been asked to approve it; you will hear back here.",
                pairing.code
            ),
            Lang::Zh => format!("你好！这个 Molten 还不认识你，暂时不能处理你的消息。你的配对码是 {}，已请求所有者批准，结果会在这里通知你。", pairing.code),
        });
        if new {
            let body = format!(
                "{} wants to talk to Molten. /approve {} to pair (role: {}), /deny {} to refuse.",
                msg.sender,
                pairing.code,
                s.gate.policy().default_role,
                pairing.code
            );
            s.notifier.notify(Notification {
                title: "Molten · Pairing request".into(),
                body: body.clone(),
            });
            out.elsewhere.push(Notice {
                conversation: s.owner_conversation.clone(),
                text: body,
                origin: format!("pairing:{}", pairing.code),
            });
        }
        Ok(out)
    }

    pub(super) async fn ask_approval(
        &self,
        msg: &StoredMessage,
        perm: &str,
        lang: Lang,
    ) -> Result<Outcome, EngineError> {
        let s = &self.safety;
        let now = self.clock.now();
        let a = s
            .records
            .request_approval(NewApproval {
                origin: format!("inbox:{}", msg.id),
                requester: msg.sender.clone(),
                conversation: msg.conversation.clone(),
                permission: perm.to_string(),
                command: msg.text.trim().to_string(),
                lang: lang.code().into(),
                created_at: now,
                expires_at: now + s.approval_timeout,
            })
            .await?;
        s.approvals_changed.notify_one();
        let left = relative(a.expires_at - now, lang);
        let body = format!(
            "{} asks to run `{}` ({}). /approve {} or /deny {} — no answer {} means no.",
            a.requester,
            a.command,
            a.permission,
            a.code,
            a.code,
            relative(a.expires_at - now, Lang::En)
        );
        s.notifier.notify(Notification {
            title: "Molten · Approval needed".into(),
            body: body.clone(),
        });
        let mut out = Outcome::reply(match lang {
            Lang::En => format!("`{}` needs the owner's approval (`{perm}`). I have asked; request {} expires {left}.", a.command, a.code),
            Lang::Zh => format!("`{}` 需要所有者批准（`{perm}`），已发出请求 {}，{left}未批准即视为拒绝。", a.command, a.code),
        });
        out.elsewhere.push(Notice {
            conversation: s.owner_conversation.clone(),
            text: body,
            origin: format!("approval-request:{}", a.id),
        });
        Ok(out)
    }

    /// `/approve CODE` or `/deny CODE`, for an approval or a pairing.
    pub(super) async fn answer(
        &self,
        msg: &StoredMessage,
        code: &str,
        approve: bool,
        lang: Lang,
    ) -> Result<Outcome, EngineError> {
        let code = code.trim().trim_start_matches('#');
        if code.is_empty() {
            return Ok(Outcome::reply(
                lang.pick(
                    "Which request? Send /approve <code> or /deny <code>.",
                    "要处理哪个请求？发送 /批准 <编号> 或 /拒绝 <编号>。",
                )
                .to_string(),
            ));
        }
        let now = self.clock.now();
        let s = &self.safety;
        match s
            .records
            .answer_approval(code, approve, &msg.sender, now)
            .await?
        {
            Answer::Decided(a) => return self.after_approval(a, lang).await,
            // Decided by this same answer before a crash: finish the job (idempotent).
            Answer::AlreadyClosed(a)
                if a.status == "approved"
                    && a.decided_by.as_deref() == Some(&msg.sender)
                    && approve =>
            {
                return self.after_approval(a, lang).await;
            }
            Answer::AlreadyClosed(a) => {
                return Ok(Outcome::reply(match lang {
                    Lang::En => format!(
                        "Request {} is already {}; nothing changed.",
                        a.code, a.status
                    ),
                    Lang::Zh => format!("请求 {} 已是“{}”状态，未做更改。", a.code, a.status),
                }))
            }
            Answer::NotFound => {}
        }
        match s
            .records
            .answer_pairing(code, approve, &msg.sender, now)
            .await?
        {
            Answer::Decided(p) => {
                let mut out = Outcome::default();
                let (en, zh) = if approve {
                    let role = s.gate.add_user(&p.identity)?;
                    out.replies
                        .push(format!("Paired {} as `{role}`.", p.identity));
                    (
                        "You are paired with Molten now. Send /help to begin.",
                        "配对成功！发送 /帮助 开始使用。",
                    )
                } else {
                    out.replies
                        .push(format!("Refused pairing for {}.", p.identity));
                    (
                        "The owner did not approve the pairing.",
                        "所有者未批准配对。",
                    )
                };
                let notice_lang = Lang::detect(&p.identity, Lang::En);
                out.elsewhere.push(Notice {
                    conversation: p.conversation.clone(),
                    text: notice_lang.pick(en, zh).to_string(),
                    origin: format!("pairing-answer:{}", p.code),
                });
                Ok(out)
            }
            Answer::AlreadyClosed(p) => Ok(Outcome::reply(format!(
                "Pairing {} is already {}; nothing changed.",
                p.code, p.status
            ))),
            Answer::NotFound => Ok(Outcome::reply(match lang {
                Lang::En => format!("No pending request has the code {code}."),
                Lang::Zh => format!("没有编号为 {code} 的待处理请求。"),
            })),
        }
    }

    /// Runs an approved request as its requester and tells both sides.
    async fn after_approval(&self, a: Approval, lang: Lang) -> Result<Outcome, EngineError> {
        let mut out = Outcome::default();
        let requester_lang = Lang::from_code(&a.lang);
        if a.status != "approved" {
            out.replies
                .push(format!("Denied request {} from {}.", a.code, a.requester));
            out.elsewhere.push(Notice {
                conversation: a.conversation.clone(),
                text: requester_lang
                    .pick(
                        "The owner denied this request; nothing was done.",
                        "所有者拒绝了该请求，未执行任何操作。",
                    )
                    .to_string(),
                origin: format!("approval:{}:denied", a.id),
            });
            return Ok(out);
        }
        let original_id = a
            .origin
            .strip_prefix("inbox:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let as_requester = StoredMessage {
            id: original_id,
            direction: molten_core::Direction::In,
            conversation: a.conversation.clone(),
            sender: a.requester.clone(),
            text: a.command.clone(),
            at: a.created_at,
            status: molten_core::MessageStatus::Received,
            reply_to: None,
            attempts: 0,
            last_error: None,
        };
        // The owner approved exactly this permission for exactly this message.
        let ran = Box::pin(self.execute(&as_requester, Some(&a.permission))).await?;
        for (i, text) in ran.replies.into_iter().enumerate() {
            out.elsewhere.push(Notice {
                conversation: a.conversation.clone(),
                text,
                origin: format!("approval:{}:{i}", a.id),
            });
        }
        out.elsewhere.extend(ran.elsewhere);
        out.replies.push(match lang {
            Lang::En => format!(
                "Approved request {}: ran `{}` for {}.",
                a.code, a.command, a.requester
            ),
            Lang::Zh => format!(
                "已批准请求 {}：已为 {} 执行 `{}`。",
                a.code, a.requester, a.command
            ),
        });
        Ok(out)
    }
}
