//! The policy from `permissions.yaml`: roles → permissions, identities →
//! roles, and what needs an approval. Parsing refuses unknown keys, unknown
//! roles and malformed permissions with file:line.

use crate::error::EngineError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The shipped default, with its comments.
pub const DEFAULT_POLICY_YAML: &str = include_str!("../../assets/permissions.yaml");

/// The permissions Molten knows of today, for the permission matrix.
pub const CATALOGUE: &[&str] = &[
    "message:send",
    "status:read",
    "reminder:manage",
    "document:generate",
    "approval:decide",
    "model:switch",
    "file:read",
    "file:write",
    "file:delete",
    "mail:send",
    "system:reboot",
    "mcp:*",
];

/// Always need an approval, whatever the file says.
pub const APPROVAL_FLOOR: &[&str] = &["system:reboot", "file:delete", "mail:send", "mcp:*"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    pub default_role: String,
    #[serde(default)]
    pub approval_required: Vec<String>,
}

/// What the gate says about one sender and one permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        role: String,
    },
    Denied {
        role: String,
    },
    NeedsApproval {
        role: String,
    },
    /// The sender is not in `users`: offer pairing.
    Unknown,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Allowed { .. } => "allowed",
            Self::Denied { .. } => "denied",
            Self::NeedsApproval { .. } => "needs_approval",
            Self::Unknown => "unknown_sender",
        }
    }
}

/// `granted` covers `wanted`: equal, `*`, or `area:*` for `area:…`.
pub fn covers(granted: &str, wanted: &str) -> bool {
    granted == "*"
        || granted == wanted
        || granted
            .strip_suffix(":*")
            .is_some_and(|area| wanted.split_once(':').is_some_and(|(a, _)| a == area))
}

fn valid_permission(p: &str) -> bool {
    p == "*"
        || p.split_once(':').is_some_and(|(area, action)| {
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            };
            ok(area) && (action == "*" || ok(action))
        })
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

impl Policy {
    pub fn parse(text: &str, file: &str) -> Result<Self, EngineError> {
        let err = |line: usize, column: usize, message: String| EngineError::Config {
            file: file.to_string(),
            line,
            column,
            message,
        };
        let policy: Policy = serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let m = e.to_string();
            err(
                line,
                column,
                m.split(" at line ").next().unwrap_or(&m).to_string(),
            )
        })?;
        for (role, perms) in &policy.roles {
            for p in perms {
                if !valid_permission(p) {
                    return Err(err(
                        line_of(text, p),
                        1,
                        format!("role `{role}`: `{p}` is not a permission; write `area:action`, `area:*` or `*`"),
                    ));
                }
            }
        }
        for p in &policy.approval_required {
            if !valid_permission(p) {
                return Err(err(
                    line_of(text, p),
                    1,
                    format!("approval_required: `{p}` is not a permission"),
                ));
            }
        }
        for (user, role) in &policy.users {
            if !policy.roles.contains_key(role) {
                return Err(err(
                    line_of(text, user),
                    1,
                    format!("user `{user}` has role `{role}`, which is not defined under roles"),
                ));
            }
            if !user.contains(':') {
                return Err(err(
                    line_of(text, user),
                    1,
                    format!("`{user}` is not an identity; write `channel:user-id`"),
                ));
            }
        }
        if !policy.roles.contains_key(&policy.default_role) {
            return Err(err(
                line_of(text, "default_role"),
                1,
                format!(
                    "default_role `{}` is not defined under roles",
                    policy.default_role
                ),
            ));
        }
        Ok(policy)
    }

    pub fn default_policy() -> Result<Self, EngineError> {
        Self::parse(DEFAULT_POLICY_YAML, "permissions.yaml (built in)")
    }

    pub fn role_of(&self, identity: &str) -> Option<&str> {
        self.users.get(identity).map(String::as_str)
    }

    pub fn decide(&self, identity: &str, permission: &str) -> Decision {
        let Some(role) = self.role_of(identity) else {
            return Decision::Unknown;
        };
        let role = role.to_string();
        let granted = self
            .roles
            .get(&role)
            .is_some_and(|perms| perms.iter().any(|g| covers(g, permission)));
        if !granted {
            return Decision::Denied { role };
        }
        let needs = APPROVAL_FLOOR.iter().any(|f| covers(f, permission))
            || self.approval_required.iter().any(|a| covers(a, permission));
        if needs {
            Decision::NeedsApproval { role }
        } else {
            Decision::Allowed { role }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_matrix() {
        let p = Policy::parse(
            "roles:\n  admin: [\"*\"]\n  user: [message:send, document:generate, file:*]\n  viewer: [status:read]\nusers:\n  \"local:owner\": admin\n  \"telegram:42\": user\n  \"dingtalk.work:7\": viewer\ndefault_role: user\napproval_required: [message:send]\n",
            "permissions.yaml",
        )
        .expect("valid policy");
        use Decision::*;
        let a = |r: &str| Allowed { role: r.into() };
        let d = |r: &str| Denied { role: r.into() };
        let n = |r: &str| NeedsApproval { role: r.into() };
        let cases = [
            ("local:owner", "model:switch", a("admin")),
            ("local:owner", "system:reboot", n("admin")),
            ("local:owner", "file:delete", n("admin")),
            ("local:owner", "mcp:filesystem.write", n("admin")),
            ("telegram:42", "document:generate", a("user")),
            ("telegram:42", "message:send", n("user")),
            ("telegram:42", "file:read", a("user")),
            ("telegram:42", "file:delete", n("user")),
            ("telegram:42", "system:reboot", d("user")),
            ("telegram:42", "model:switch", d("user")),
            ("dingtalk.work:7", "status:read", a("viewer")),
            ("dingtalk.work:7", "message:send", d("viewer")),
            ("telegram:43", "status:read", Unknown),
            ("slack:x", "system:reboot", Unknown),
        ];
        for (who, perm, want) in cases {
            assert_eq!(p.decide(who, perm), want, "{who} asking for {perm}");
        }
    }

    #[test]
    fn shipped_default_is_valid_and_least_privilege() {
        let p = Policy::default_policy().expect("default parses");
        assert_eq!(
            p.role_of("local:owner"),
            Some("admin"),
            "the owner is admin"
        );
        assert_eq!(p.default_role, "user", "paired people become users");
        assert!(
            matches!(
                p.decide("local:owner", "status:read"),
                Decision::Allowed { .. }
            ),
            "owner can read status"
        );
        let user = &p.roles["user"];
        assert!(
            !user
                .iter()
                .any(|g| covers(g, "file:delete") || covers(g, "system:reboot")),
            "users cannot delete or reboot"
        );
    }

    #[test]
    fn bad_files_name_the_line() {
        let cases = [
            (
                "roles:\n  admin: [\"*\"]\nusers: {}\ndefault_role: admin\nextra: 1\n",
                5,
                "unknown field `extra`",
            ),
            (
                "roles:\n  admin: [\"*\"]\nusers:\n  \"telegram:1\": boss\ndefault_role: admin\n",
                4,
                "role `boss`",
            ),
            (
                "roles:\n  admin: [\"*\", \"delete everything\"]\ndefault_role: admin\n",
                2,
                "not a permission",
            ),
            (
                "roles:\n  admin: [\"*\"]\ndefault_role: nobody\n",
                3,
                "default_role `nobody`",
            ),
            (
                "roles:\n  admin: [\"*\"]\nusers:\n  owner: admin\ndefault_role: admin\n",
                4,
                "not an identity",
            ),
            ("roles: [\n", 1, "expected a map"),
        ];
        for (text, line, msg) in cases {
            match Policy::parse(text, "permissions.yaml") {
                Err(EngineError::Config {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "line for {text:?}: {message}");
                    assert!(message.contains(msg), "message for {text:?}: {message}");
                }
                other => panic!("{text:?} should be refused, got {other:?}"),
            }
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    /// Bounded random mutations of real policy files: the parser must answer
    /// every one with a policy or an error naming a line, never a panic.
    #[test]
    fn mutated_policies_never_panic() {
        let seeds = [
            DEFAULT_POLICY_YAML,
            "roles:\n  a: [\"*\"]\nusers:\n  \"x:y\": a\ndefault_role: a\n",
        ];
        let alphabet: Vec<char> = "roles:users[]{}\"'*#- \n\t:,ab\u{0}\u{7f}é中"
            .chars()
            .collect();
        let mut rng = fastrand::Rng::with_seed(0x6d6f6c74);
        for round in 0..4000 {
            let mut chars: Vec<char> = seeds[round % seeds.len()].chars().collect();
            for _ in 0..rng.usize(1..8) {
                let at = rng.usize(0..=chars.len());
                match rng.u8(0..3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 => chars.insert(at, alphabet[rng.usize(0..alphabet.len())]),
                    _ if at < chars.len() => chars[at] = alphabet[rng.usize(0..alphabet.len())],
                    _ => {}
                }
            }
            let text: String = chars.into_iter().collect();
            match Policy::parse(&text, "permissions.yaml") {
                Ok(p) => assert!(
                    p.roles.contains_key(&p.default_role),
                    "an accepted policy is consistent: {text:?}"
                ),
                Err(EngineError::Config { line, .. }) => {
                    assert!(line >= 1, "errors name a line: {text:?}")
                }
                Err(other) => panic!("unexpected error kind {other:?} for {text:?}"),
            }
        }
    }
}
