//! The gate: one place that decides, for a sender and a permission, whether
//! an action may run. It serves the policy from `permissions.yaml`, reloads it
//! when the file changes (keeping the last good policy when the new one is
//! invalid), and adds paired users to the file without losing its comments.

use super::edit;

/// The desktop owner's identity, who must keep the admin role.
const OWNER: &str = "local:owner";
use super::policy::{Decision, Policy, DEFAULT_POLICY_YAML};
use crate::error::EngineError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

pub struct Gate {
    path: PathBuf,
    policy: RwLock<Arc<Policy>>,
    /// The file's last seen (mtime, len), to notice edits.
    seen: RwLock<Option<(SystemTime, u64)>>,
    /// Why the file on disk is not the policy in force, if it is not.
    problem: RwLock<Option<String>>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn write_atomically(path: &Path, text: &str) -> Result<(), EngineError> {
    let fail = |e: std::io::Error| EngineError::DataDir {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

impl Gate {
    /// Loads the policy at `path`, writing the commented default first when
    /// the file does not exist. An invalid file is an error at start.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        if !path.exists() {
            write_atomically(path, DEFAULT_POLICY_YAML)?;
        }
        let text = std::fs::read_to_string(path).map_err(|e| EngineError::ConfigRead {
            file: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let policy = Policy::parse(&text, &path.display().to_string())?;
        Ok(Self {
            path: path.to_path_buf(),
            policy: RwLock::new(Arc::new(policy)),
            seen: RwLock::new(stamp(path)),
            problem: RwLock::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .map(|p| Arc::clone(&p))
            .unwrap_or_else(|e| Arc::clone(&e.into_inner()))
    }

    pub fn decide(&self, identity: &str, permission: &str) -> Decision {
        self.policy().decide(identity, permission)
    }

    /// The reason the file on disk is not in force, if any.
    pub fn problem(&self) -> Option<String> {
        self.problem.read().ok().and_then(|p| p.clone())
    }

    /// Re-reads the file if it changed. Returns `Some(Ok(()))` when a new
    /// policy applies, `Some(Err(..))` when the change is invalid (the old
    /// policy stays), `None` when nothing changed.
    pub fn reload_if_changed(&self) -> Option<Result<(), EngineError>> {
        let now = stamp(&self.path);
        if self.seen.read().ok().is_some_and(|s| *s == now) {
            return None;
        }
        if let Ok(mut s) = self.seen.write() {
            *s = now;
        }
        Some(self.reload())
    }

    fn reload(&self) -> Result<(), EngineError> {
        let result = std::fs::read_to_string(&self.path)
            .map_err(|e| EngineError::ConfigRead {
                file: self.path.display().to_string(),
                detail: e.to_string(),
            })
            .and_then(|text| Policy::parse(&text, &self.path.display().to_string()));
        match result {
            Ok(policy) => {
                if let Ok(mut p) = self.policy.write() {
                    *p = Arc::new(policy);
                }
                if let Ok(mut p) = self.problem.write() {
                    *p = None;
                }
                tracing::info!(file = %self.path.display(), "permissions reloaded");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "permissions.yaml is invalid; the previous policy stays in force");
                if let Ok(mut p) = self.problem.write() {
                    *p = Some(format!(
                        "{e} — the previous policy stays in force until this is fixed"
                    ));
                }
                Err(e)
            }
        }
    }

    /// Watches the file until shutdown, applying valid changes.
    pub async fn watch(self: Arc<Self>, every: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            let _ = self.reload_if_changed();
        }
    }

    /// Binds `identity` to the default role in the file, keeping its comments
    /// and layout, then applies it. No change if the identity is listed.
    pub fn add_user(&self, identity: &str) -> Result<String, EngineError> {
        let policy = self.policy();
        if let Some(role) = policy.role_of(identity) {
            return Ok(role.to_string());
        }
        self.set_user_role(identity, Some(&policy.default_role))?;
        Ok(policy.default_role.clone())
    }

    /// Sets (or with `None` removes) an identity's role.
    pub fn set_user_role(&self, identity: &str, role: Option<&str>) -> Result<(), EngineError> {
        if !identity.contains(':') {
            return Err(self.edit_error(format!(
                "`{identity}` is not an identity; write `channel:user-id`"
            )));
        }
        if identity == OWNER && role != Some("admin") {
            // Without an admin owner nobody could answer approvals or pairings.
            return Err(self.edit_error(format!(
                "{OWNER} must stay admin; edit permissions.yaml by hand if you really mean it"
            )));
        }
        self.edit(|text| edit::set_entry(text, "users", identity, role))
    }

    /// Replaces a role's permissions (creating the role if new).
    pub fn set_role_permissions(
        &self,
        role: &str,
        permissions: &[String],
    ) -> Result<(), EngineError> {
        let ok = !role.is_empty()
            && role
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(self.edit_error(format!(
                "`{role}` is not a role name; use letters, digits, - and _"
            )));
        }
        let list = edit::flow_list(permissions);
        self.edit(|text| edit::set_entry(text, "roles", role, Some(&list)))
    }

    fn edit_error(&self, message: String) -> EngineError {
        EngineError::Config {
            file: self.path.display().to_string(),
            line: 1,
            column: 1,
            message,
        }
    }

    /// Applies a one-line edit: validated before it is written, written
    /// atomically, then in force at once.
    fn edit(&self, f: impl FnOnce(&str) -> Result<String, String>) -> Result<(), EngineError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| EngineError::ConfigRead {
            file: self.path.display().to_string(),
            detail: e.to_string(),
        })?;
        let new_text = f(&text).map_err(|m| self.edit_error(m))?;
        Policy::parse(&new_text, &self.path.display().to_string())?;
        write_atomically(&self.path, &new_text)?;
        self.reload()?;
        if let Ok(mut s) = self.seen.write() {
            *s = stamp(&self.path);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_applies_valid_changes_and_keeps_the_old_policy_on_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("permissions.yaml");
        let gate = Gate::open(&path).expect("default written and loaded");
        assert!(path.exists(), "the default file is written on first start");
        assert!(
            matches!(gate.decide("telegram:1", "status:read"), Decision::Unknown),
            "unknown before"
        );

        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace(
                "  \"local:owner\": admin",
                "  \"local:owner\": admin\n  \"telegram:1\": user",
            ),
        )
        .expect("edit");
        assert!(
            matches!(gate.reload_if_changed(), Some(Ok(()))),
            "a valid edit applies"
        );
        assert!(
            matches!(
                gate.decide("telegram:1", "status:read"),
                Decision::Allowed { .. }
            ),
            "the new user is known"
        );

        std::fs::write(
            &path,
            "roles:\n  admin: [\"*\"]\nusers:\n  \"telegram:1\": nobody\ndefault_role: admin\n",
        )
        .expect("break");
        assert!(
            matches!(gate.reload_if_changed(), Some(Err(_))),
            "an invalid edit is reported"
        );
        assert!(
            matches!(
                gate.decide("telegram:1", "status:read"),
                Decision::Allowed { .. }
            ),
            "the previous policy stays"
        );
        let problem = gate.problem().expect("the problem is kept for the UI");
        assert!(
            problem.contains(":4:") && problem.contains("nobody"),
            "problem names line and role: {problem}"
        );
        assert!(gate.reload_if_changed().is_none(), "no change, no reload");
    }

    #[test]
    fn pairing_adds_a_user_and_keeps_comments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("permissions.yaml");
        let gate = Gate::open(&path).expect("open");
        let role = gate.add_user("dingtalk.work:0123").expect("add");
        assert_eq!(role, "user", "paired people get the default role");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("# Who may do what."),
            "comments survive the edit"
        );
        assert!(
            text.contains("\"dingtalk.work:0123\": user"),
            "the user is written: {text}"
        );
        assert!(
            matches!(
                gate.decide("dingtalk.work:0123", "reminder:manage"),
                Decision::Allowed { .. }
            ),
            "applies at once"
        );
        gate.add_user("dingtalk.work:0123").expect("again");
        let again = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            again.matches("dingtalk.work:0123").count(),
            1,
            "adding twice writes once"
        );
    }
}
