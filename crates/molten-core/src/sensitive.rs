//! `Sensitive<T>`: a value that must never reach a log, a screen or a file by
//! accident. `Debug` and `Display` print `<redacted>`, there is no `Serialize`,
//! the only way in is [`Sensitive::expose`], and the memory is zeroed on drop.
//!
//! Serializing one does not compile:
//!
//! ```compile_fail
//! use molten_core::Sensitive;
//! let token = Sensitive::new(String::from("sk-live-123"));
//! let _ = serde_json::to_string(&token);
//! ```
//!
//! while the same call on what `expose()` returns does (so the example above
//! fails for the missing `Serialize`, not for a missing import):
//!
//! ```
//! use molten_core::Sensitive;
//! let token = Sensitive::new(String::from("sk-live-123"));
//! assert_eq!(serde_json::to_string(token.expose()).unwrap(), "\"sk-live-123\"");
//! ```

use std::fmt;
use zeroize::Zeroize;

/// What `Debug` and `Display` print instead of the value.
pub const REDACTED: &str = "<redacted>";

/// A secret value. Read it with [`expose`](Self::expose), at the one place
/// that needs it; everywhere else it prints as `<redacted>`.
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Name the call site's reason in a comment when it is
    /// not obvious: every `expose()` is a place where the value can leak.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize + Clone> Clone for Sensitive<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)] // the fields are read through Debug only
    struct BotConfig {
        name: String,
        token: Sensitive<String>,
    }

    #[test]
    fn debug_and_display_are_redacted_even_inside_a_struct() {
        let secret = "sk-live-0123456789";
        let cfg = BotConfig {
            name: "telegram".into(),
            token: Sensitive::new(secret.to_string()),
        };
        let shown = [
            format!("{:?}", cfg),
            format!("{:#?}", cfg),
            format!("{}", cfg.token),
            format!("{:?}", cfg.token),
            cfg.token.to_string(),
        ];
        for s in &shown {
            assert!(!s.contains(secret), "the secret leaked into {s:?}");
            assert!(s.contains(REDACTED), "{s:?} should say {REDACTED}");
        }
        assert!(
            shown[0].contains("telegram"),
            "the other fields still show: {}",
            shown[0]
        );
        assert_eq!(
            cfg.token.expose(),
            secret,
            "expose() returns the value itself"
        );
    }

    #[test]
    fn clone_keeps_the_value() {
        let a = Sensitive::new(vec![1u8, 2, 3]);
        let b = a.clone();
        drop(a);
        assert_eq!(b.expose(), &[1, 2, 3], "a clone outlives the original");
    }
}
