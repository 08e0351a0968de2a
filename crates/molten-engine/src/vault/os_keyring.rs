//! The OS keyring behind a small trait, so the resolver can be tested without
//! one. `OsKeyring` uses the `keyring` crate: the Secret Service over D-Bus on
//! Linux (pure Rust, no libdbus), Keychain on macOS, Credential Manager on
//! Windows.

use molten_core::Sensitive;
use std::time::Duration;

/// The keyring service name every Molten entry uses.
pub const KEYRING_SERVICE: &str = "molten";

/// How long one keyring call may take before the keyring counts as absent
/// (a session bus can wait long for a Secret Service that never starts).
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No keyring to talk to (no Secret Service on the bus, no bus at all):
    /// the resolver falls back to the key file.
    #[error("no OS keyring is reachable: {0}")]
    Unavailable(String),
    /// A keyring is there but refused or failed (locked, prompt dismissed):
    /// the resolver stops rather than silently using another key.
    #[error("the OS keyring failed: {0}")]
    Failed(String),
}

/// One service's password entries in some keyring.
pub trait KeyringBackend: Send + Sync {
    /// The password under `account`, `None` when there is no such entry.
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>, KeyringError>;
    /// Creates or replaces the password under `account`.
    fn store(&self, account: &str, value: &Sensitive<String>) -> Result<(), KeyringError>;
}

/// The platform's keyring, service [`KEYRING_SERVICE`].
#[derive(Debug, Clone, Default)]
pub struct OsKeyring;

impl OsKeyring {
    pub fn new() -> Self {
        Self
    }
}

fn classify(e: keyring::Error) -> KeyringError {
    match e {
        keyring::Error::PlatformFailure(inner) => KeyringError::Unavailable(inner.to_string()),
        other => KeyringError::Failed(other.to_string()),
    }
}

/// Runs one keyring call on its own thread with [`KEYRING_TIMEOUT`]: the
/// crate's calls block, and a bus without a Secret Service can keep them
/// waiting.
fn with_timeout<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("molten-keyring".into())
        .spawn(move || {
            let _ = tx.send(call());
        })
        .map_err(|e| KeyringError::Unavailable(format!("cannot start a thread: {e}")))?;
    rx.recv_timeout(KEYRING_TIMEOUT).unwrap_or_else(|_| {
        Err(KeyringError::Unavailable(format!(
            "no answer within {} s",
            KEYRING_TIMEOUT.as_secs()
        )))
    })
}

impl KeyringBackend for OsKeyring {
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
        let account = account.to_string();
        with_timeout(move || {
            let entry = keyring::Entry::new(KEYRING_SERVICE, &account).map_err(classify)?;
            match entry.get_password() {
                Ok(p) => Ok(Some(Sensitive::new(p))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(classify(e)),
            }
        })
    }

    fn store(&self, account: &str, value: &Sensitive<String>) -> Result<(), KeyringError> {
        let account = account.to_string();
        let value = value.clone();
        with_timeout(move || {
            let entry = keyring::Entry::new(KEYRING_SERVICE, &account).map_err(classify)?;
            entry.set_password(value.expose()).map_err(classify)
        })
    }
}
