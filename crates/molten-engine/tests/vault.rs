//! The secret vault end to end: round trips, nothing readable on disk, the
//! envelope's layout and its binding to the name, tampering and wrong keys
//! refused without touching the data, the master key's sources in order, and
//! no secret in logs.

use molten_core::{SecretVault, Sensitive, SystemClock, VaultError};
use molten_engine::store::SqliteStore;
use molten_engine::vault::{
    envelope, KdfParams, KeySource, KeyringBackend, KeyringError, MasterKey, MasterKeyResolver,
    OsKeyring, SqliteVault, VaultSettings, KEY_FILE,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const CANARY: &str = "sk-live-CANARY-5f1d0c9e7b3a";

fn db_path(dir: &Path) -> PathBuf {
    dir.join("molten.db")
}

fn vault_with(dir: &Path, key: &MasterKey) -> (SqliteStore, SqliteVault) {
    let store = SqliteStore::open(&db_path(dir)).expect("open the store");
    let vault = SqliteVault::new(store.clone(), key, Arc::new(SystemClock));
    (store, vault)
}

fn fixed_key(byte: u8) -> MasterKey {
    MasterKey::new([byte; 32], KeySource::Env)
}

fn secret(s: &str) -> Sensitive<String> {
    Sensitive::new(s.to_string())
}

fn raw(dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db_path(dir)).expect("raw connection");
    c.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    c
}

fn envelope_of(dir: &Path, name: &str) -> Vec<u8> {
    raw(dir)
        .query_row(
            "SELECT envelope FROM secrets WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("the row exists")
}

fn put_envelope(dir: &Path, name: &str, env: &[u8]) {
    let n = raw(dir)
        .execute(
            "UPDATE secrets SET envelope = ?2 WHERE name = ?1",
            rusqlite::params![name, env],
        )
        .expect("update the row");
    assert_eq!(n, 1, "exactly one row {name} rewritten");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_undecryptable(r: Result<Option<Sensitive<String>>, VaultError>, name: &str, why: &str) {
    match r {
        Err(VaultError::Undecryptable { name: n }) => {
            assert_eq!(n, name, "{why}: the error names the secret")
        }
        Err(other) => panic!("{why}: expected Undecryptable for {name}, got {other}"),
        Ok(v) => panic!(
            "{why}: expected Undecryptable for {name}, got a value (present: {})",
            v.is_some()
        ),
    }
}

// ---------------------------------------------------------------- the vault

#[tokio::test]
async fn set_get_overwrite_list_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_store, vault) = vault_with(dir.path(), &fixed_key(1));
    assert!(
        vault.get("missing").await.expect("get").is_none(),
        "an unknown name has no value"
    );
    vault
        .set("telegram.bot_token", secret(CANARY))
        .await
        .expect("set");
    vault
        .set("openai/api-key", secret("k2"))
        .await
        .expect("set");
    let got = vault
        .get("telegram.bot_token")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.expose(), CANARY, "the value comes back as stored");
    vault
        .set("openai/api-key", secret("k2-rotated"))
        .await
        .expect("overwrite");
    let got = vault.get("openai/api-key").await.expect("get");
    assert_eq!(
        got.as_ref().map(|v| v.expose().as_str()),
        Some("k2-rotated"),
        "a second set replaces the value"
    );
    assert_eq!(
        vault.names().await.expect("names"),
        vec!["openai/api-key".to_string(), "telegram.bot_token".into()],
        "names are listed, sorted"
    );
    assert!(
        vault.delete("openai/api-key").await.expect("delete"),
        "deleting an existing name reports true"
    );
    assert!(
        !vault.delete("openai/api-key").await.expect("delete again"),
        "deleting it again reports false"
    );
    assert!(
        vault.get("openai/api-key").await.expect("get").is_none(),
        "a deleted secret is gone"
    );
    let e = vault
        .set("bad name", secret("x"))
        .await
        .expect_err("names are checked");
    assert_eq!(
        e.code(),
        "secret_name",
        "a name with a space is refused: {e}"
    );
}

#[tokio::test]
async fn values_survive_a_reopen_with_the_same_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (_store, vault) = vault_with(dir.path(), &fixed_key(2));
        vault.set("a", secret(CANARY)).await.expect("set");
    }
    let (_store, vault) = vault_with(dir.path(), &fixed_key(2));
    let got = vault.get("a").await.expect("get").expect("present");
    assert_eq!(got.expose(), CANARY, "same key, same value after reopening");
}

#[tokio::test]
async fn no_plaintext_in_the_database_or_its_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, vault) = vault_with(dir.path(), &fixed_key(3));
    vault.set("token", secret(CANARY)).await.expect("set");
    vault
        .set("token2", secret(&format!("{CANARY}-2")))
        .await
        .expect("set");
    let db = db_path(dir.path());
    let mut scanned = 0;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(bytes) = std::fs::read(&path) {
            scanned += 1;
            assert!(
                !contains(&bytes, CANARY.as_bytes()),
                "{} holds the plaintext value",
                path.display()
            );
            if suffix == "-wal" {
                assert!(
                    contains(&bytes, b"token2"),
                    "the WAL holds the new rows (names are not secret), so the scan looked at them"
                );
            }
        }
    }
    assert!(scanned >= 2, "the database and its WAL were scanned");
    drop(vault);
    drop(store);
    let bytes = std::fs::read(&db).expect("read the database");
    assert!(
        contains(&bytes, b"token2"),
        "after closing, the rows are in the main file"
    );
    assert!(
        !contains(&bytes, CANARY.as_bytes()),
        "the checkpointed database holds no plaintext"
    );
}

#[tokio::test]
async fn envelope_layout_and_a_fresh_nonce_per_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_store, vault) = vault_with(dir.path(), &fixed_key(4));
    vault.set("a", secret(CANARY)).await.expect("set");
    let first = envelope_of(dir.path(), "a");
    assert_eq!(
        first[0],
        envelope::ENVELOPE_VERSION,
        "the first byte is the version"
    );
    assert_eq!(
        first.len(),
        1 + envelope::NONCE_LEN + CANARY.len() + envelope::TAG_LEN,
        "version, nonce, ciphertext of the value's length, tag"
    );
    vault.set("a", secret(CANARY)).await.expect("set again");
    let second = envelope_of(dir.path(), "a");
    assert_ne!(
        first[1..1 + envelope::NONCE_LEN],
        second[1..1 + envelope::NONCE_LEN],
        "each write draws a new nonce"
    );
    assert_ne!(
        first, second,
        "the same value written twice gives two ciphertexts"
    );
}

#[tokio::test]
async fn swapped_envelopes_open_under_neither_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_store, vault) = vault_with(dir.path(), &fixed_key(5));
    vault.set("alpha", secret("value-a")).await.expect("set");
    vault.set("beta", secret("value-b")).await.expect("set");
    let (a, b) = (
        envelope_of(dir.path(), "alpha"),
        envelope_of(dir.path(), "beta"),
    );
    put_envelope(dir.path(), "alpha", &b);
    put_envelope(dir.path(), "beta", &a);
    assert_undecryptable(
        vault.get("alpha").await,
        "alpha",
        "beta's envelope under alpha",
    );
    assert_undecryptable(
        vault.get("beta").await,
        "beta",
        "alpha's envelope under beta",
    );
    assert_eq!(
        envelope_of(dir.path(), "alpha"),
        b,
        "a failed read leaves the row as it is"
    );
    put_envelope(dir.path(), "alpha", &a);
    let back = vault.get("alpha").await.expect("get").expect("present");
    assert_eq!(back.expose(), "value-a", "moved back, it opens again");
}

#[tokio::test]
async fn any_flipped_byte_is_undecryptable_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_store, vault) = vault_with(dir.path(), &fixed_key(6));
    vault.set("t", secret(CANARY)).await.expect("set");
    let good = envelope_of(dir.path(), "t");
    let positions = [
        ("version", 0),
        ("nonce", 1),
        ("ciphertext", 1 + envelope::NONCE_LEN + 2),
        ("tag", good.len() - 1),
    ];
    for (part, pos) in positions {
        let mut bad = good.clone();
        bad[pos] ^= 0x01;
        put_envelope(dir.path(), "t", &bad);
        assert_undecryptable(vault.get("t").await, "t", &format!("a flipped {part} byte"));
        assert_eq!(
            envelope_of(dir.path(), "t"),
            bad,
            "the tampered {part} row is left as it is"
        );
    }
    for (what, bad) in [
        ("a truncated envelope", good[..good.len() - 1].to_vec()),
        ("an empty envelope", Vec::new()),
        ("a header only", good[..1 + envelope::NONCE_LEN].to_vec()),
    ] {
        put_envelope(dir.path(), "t", &bad);
        assert_undecryptable(vault.get("t").await, "t", what);
    }
    put_envelope(dir.path(), "t", &good);
    assert!(
        vault.get("t").await.expect("get").is_some(),
        "the untouched envelope still opens"
    );
}

#[tokio::test]
async fn a_different_master_key_cannot_read_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (_store, vault) = vault_with(dir.path(), &fixed_key(7));
        vault.set("t", secret(CANARY)).await.expect("set");
    }
    let (_store, vault) = vault_with(dir.path(), &fixed_key(8));
    let err = vault.get("t").await.expect_err("another key");
    assert!(
        matches!(err, VaultError::Undecryptable { ref name } if name == "t"),
        "Undecryptable, got {err}"
    );
    assert!(
        err.hint().contains("MOLTEN_MASTER_KEY") && err.hint().contains("left as it is"),
        "the hint says what to check and that nothing was changed: {}",
        err.hint()
    );
    assert_eq!(
        vault.names().await.expect("names"),
        vec!["t".to_string()],
        "names still list without the key"
    );
}

// ------------------------------------------------------- master key sources

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyringMode {
    Working,
    /// Accepts writes but keeps nothing.
    Forgetful,
    Unavailable,
    Locked,
}

#[derive(Clone)]
struct FakeKeyring {
    mode: Arc<Mutex<KeyringMode>>,
    entries: Arc<Mutex<HashMap<String, String>>>,
    calls: Arc<AtomicUsize>,
}

impl FakeKeyring {
    fn new(mode: KeyringMode) -> Self {
        Self {
            mode: Arc::new(Mutex::new(mode)),
            entries: Arc::default(),
            calls: Arc::default(),
        }
    }
    fn set_mode(&self, mode: KeyringMode) {
        *self.mode.lock().expect("mode") = mode;
    }
    fn check(&self) -> Result<KeyringMode, KeyringError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match *self.mode.lock().expect("mode") {
            KeyringMode::Unavailable => Err(KeyringError::Unavailable(
                "org.freedesktop.secrets was not provided by any .service files".into(),
            )),
            KeyringMode::Locked => Err(KeyringError::Failed("the collection is locked".into())),
            m => Ok(m),
        }
    }
}

impl KeyringBackend for FakeKeyring {
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
        self.check()?;
        Ok(self
            .entries
            .lock()
            .expect("entries")
            .get(account)
            .cloned()
            .map(Sensitive::new))
    }
    fn store(&self, account: &str, value: &Sensitive<String>) -> Result<(), KeyringError> {
        if self.check()? == KeyringMode::Working {
            self.entries
                .lock()
                .expect("entries")
                .insert(account.to_string(), value.expose().clone());
        }
        Ok(())
    }
}

fn quick_kdf() -> KdfParams {
    KdfParams::with_costs(molten_engine::vault::passphrase::MIN_M_COST_KIB, 1, 1)
        .expect("kdf params")
}

fn resolver(dir: &Path, keyring: &FakeKeyring) -> MasterKeyResolver {
    MasterKeyResolver::new(dir, keyring.clone()).with_new_vault_kdf(quick_kdf())
}

/// Runs `f` with a tracing subscriber that writes everything to a buffer.
fn capture_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    let buf: Arc<Mutex<Vec<u8>>> = Arc::default();
    let writer = {
        let buf = Arc::clone(&buf);
        move || BufWriter(Arc::clone(&buf))
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(writer)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&buf.lock().expect("log buffer")).into_owned();
    (out, text)
}

struct BufWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for BufWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn env_key_wins_and_malformed_keys_are_explained_without_echoing_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = FakeKeyring::new(KeyringMode::Working);
    let hex = "0123456789abcdef".repeat(4);
    let key = resolver(dir.path(), &keyring)
        .with_passphrase(secret("ignored when a key is given"))
        .with_master_key_text(secret(&hex))
        .resolve()
        .expect("a valid hex key");
    assert_eq!(
        key.source(),
        KeySource::Env,
        "MOLTEN_MASTER_KEY comes first"
    );
    assert_eq!(key.bytes()[0], 0x01, "hex decoded");
    assert_eq!(
        keyring.calls.load(Ordering::SeqCst),
        0,
        "the keyring is not asked when a key is given"
    );
    assert!(
        !VaultSettings::path(dir.path()).exists() && !dir.path().join(KEY_FILE).exists(),
        "nothing is written for an env key"
    );

    let cases = [
        ("", "empty"),
        ("not a key!", "neither 64 hex characters nor base64"),
        (
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
            "character 64 is not a hex digit",
        ),
        ("AAECAwQFBgcICQoLDA0ODw==", "base64 of 16 bytes"),
    ];
    for (text, expected) in cases {
        let err = resolver(dir.path(), &keyring)
            .with_master_key_text(secret(text))
            .resolve()
            .expect_err("malformed");
        let msg = err.to_string();
        assert!(
            matches!(err, VaultError::MalformedKey { ref origin, .. } if origin == "MOLTEN_MASTER_KEY"),
            "{text:?}: MalformedKey naming the variable, got {msg}"
        );
        assert!(
            msg.contains(expected),
            "{text:?}: {msg:?} should say {expected:?}"
        );
        if !text.is_empty() {
            assert!(
                !msg.contains(text),
                "{text:?}: the error must not echo the key"
            );
        }
        assert!(
            err.hint().contains("64 hex characters"),
            "{text:?}: the hint gives the format: {}",
            err.hint()
        );
    }
}

#[tokio::test]
async fn a_wrong_passphrase_reads_nothing_and_the_right_one_still_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = FakeKeyring::new(KeyringMode::Working);
    let right = resolver(dir.path(), &keyring)
        .with_passphrase(secret("correct horse battery staple"))
        .resolve()
        .expect("derive");
    assert_eq!(
        right.source(),
        KeySource::Passphrase,
        "a passphrase was used"
    );
    assert_eq!(
        keyring.calls.load(Ordering::SeqCst),
        0,
        "the keyring is not asked when a passphrase is given"
    );
    let settings = VaultSettings::load(dir.path()).expect("vault.json");
    let kdf = settings
        .passphrase_kdf
        .expect("the salt and costs were saved");
    assert_eq!(kdf.algorithm, "argon2id", "Argon2id is recorded");
    {
        let (_store, vault) = vault_with(dir.path(), &right);
        vault.set("t", secret(CANARY)).await.expect("set");
    }
    let wrong = resolver(dir.path(), &keyring)
        .with_passphrase(secret("correct horse battery stapler"))
        .resolve()
        .expect("any passphrase derives a key");
    let (_store, vault) = vault_with(dir.path(), &wrong);
    assert_undecryptable(vault.get("t").await, "t", "a wrong passphrase");
    drop(vault);
    let again = resolver(dir.path(), &keyring)
        .with_passphrase(secret("correct horse battery staple"))
        .resolve()
        .expect("derive again");
    assert_eq!(
        again.bytes(),
        right.bytes(),
        "the saved salt makes the right passphrase give the same key"
    );
    let (_store2, vault) = vault_with(dir.path(), &again);
    let got = vault.get("t").await.expect("get").expect("present");
    assert_eq!(
        got.expose(),
        CANARY,
        "the right passphrase reads the secret"
    );
}

#[test]
fn a_working_keyring_holds_a_random_key_and_no_file_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = FakeKeyring::new(KeyringMode::Working);
    let first = resolver(dir.path(), &keyring).resolve().expect("resolve");
    assert_eq!(first.source(), KeySource::Keyring, "the keyring is used");
    let account = VaultSettings::load(dir.path())
        .expect("vault.json")
        .keyring_account
        .expect("the keyring entry is recorded");
    assert!(
        keyring
            .entries
            .lock()
            .expect("entries")
            .contains_key(&account),
        "the key is stored under the recorded account"
    );
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no key file when a keyring works"
    );
    let second = resolver(dir.path(), &keyring).resolve().expect("resolve");
    assert_eq!(
        first.bytes(),
        second.bytes(),
        "the same key comes back from the keyring"
    );

    keyring.set_mode(KeyringMode::Unavailable);
    let err = resolver(dir.path(), &keyring)
        .resolve()
        .expect_err("the keyring holding the key went away");
    assert!(
        matches!(err, VaultError::Locked { .. }),
        "locked, not a new key: {err}"
    );
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no key file is made while the real key is in an absent keyring"
    );
}

#[test]
fn no_keyring_falls_back_to_an_owner_only_key_file_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = FakeKeyring::new(KeyringMode::Unavailable);
    let (first, logs) = capture_logs(|| resolver(dir.path(), &keyring).resolve());
    let first = first.expect("resolve");
    assert_eq!(first.source(), KeySource::KeyFile, "the key file is used");
    let path = dir.path().join(KEY_FILE);
    assert!(path.exists(), "master.key was created");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "master.key is owner-only, got {mode:o}");
    }
    assert!(
        logs.contains("WARN") && logs.contains("only as safe as that file"),
        "a clear warning is logged: {logs}"
    );
    assert!(
        logs.contains("MOLTEN_PASSPHRASE"),
        "the warning says how to avoid the file: {logs}"
    );
    let hex = first.to_hex();
    assert!(
        !logs.contains(hex.expose().as_str()),
        "the key itself is never logged"
    );

    // Once a key file exists it stays the key, even if a keyring appears.
    keyring.set_mode(KeyringMode::Working);
    let second = resolver(dir.path(), &keyring).resolve().expect("resolve");
    assert_eq!(second.source(), KeySource::KeyFile, "the key file sticks");
    assert_eq!(first.bytes(), second.bytes(), "the same key is read back");
}

#[test]
fn a_keyring_that_forgets_counts_as_absent_and_a_locked_one_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forgetful = FakeKeyring::new(KeyringMode::Forgetful);
    let key = resolver(dir.path(), &forgetful).resolve().expect("resolve");
    assert_eq!(
        key.source(),
        KeySource::KeyFile,
        "a keyring that does not keep the entry is not trusted with the key"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let locked = FakeKeyring::new(KeyringMode::Locked);
    let err = resolver(dir.path(), &locked)
        .resolve()
        .expect_err("a locked keyring");
    assert!(
        matches!(err, VaultError::Locked { .. }),
        "a refusing keyring locks the vault: {err}"
    );
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no key file behind the back of a keyring that is there but locked"
    );
}

#[cfg(unix)]
#[test]
fn a_key_file_readable_by_others_is_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = FakeKeyring::new(KeyringMode::Unavailable);
    resolver(dir.path(), &keyring).resolve().expect("create");
    let path = dir.path().join(KEY_FILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (r, logs) = capture_logs(|| resolver(dir.path(), &keyring).resolve());
    r.expect("resolve");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "permissions tightened, got {mode:o}");
    assert!(
        logs.contains("readable by other users"),
        "the tightening is logged: {logs}"
    );
}

/// The real OS keyring, only when `MOLTEN_TEST_OS_KEYRING=1`: it needs a
/// Secret Service on the session bus, e.g. `dbus-run-session` with an
/// unlocked `gnome-keyring-daemon --components=secrets`. It leaves one
/// `molten/master-key-*` entry behind in that keyring.
#[tokio::test]
async fn the_real_os_keyring_keeps_the_key_when_asked_to_test_it() {
    if std::env::var_os("MOLTEN_TEST_OS_KEYRING").is_none() {
        eprintln!("skipped: set MOLTEN_TEST_OS_KEYRING=1 with a Secret Service running");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let resolve = |path: PathBuf| {
        tokio::task::spawn_blocking(move || {
            MasterKeyResolver::new(path, OsKeyring::new()).resolve()
        })
    };
    let first = resolve(dir.path().to_path_buf())
        .await
        .expect("task")
        .expect("resolve with the OS keyring");
    assert_eq!(
        first.source(),
        KeySource::Keyring,
        "the OS keyring holds the key"
    );
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no key file with a working keyring"
    );
    {
        let (_store, vault) = vault_with(dir.path(), &first);
        vault.set("t", secret(CANARY)).await.expect("set");
    }
    let second = resolve(dir.path().to_path_buf())
        .await
        .expect("task")
        .expect("resolve again");
    assert_eq!(
        second.bytes(),
        first.bytes(),
        "the keyring gives the same key back"
    );
    let (_store, vault) = vault_with(dir.path(), &second);
    let got = vault.get("t").await.expect("get").expect("present");
    assert_eq!(
        got.expose(),
        CANARY,
        "the secret reads back through the keyring's key"
    );
}

// ---------------------------------------------------------------- logging

#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct ChannelCredentials {
    platform: &'static str,
    token: Sensitive<String>,
}

#[test]
fn sensitive_values_never_reach_tracing_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ((), logs) = capture_logs(|| {
        let creds = ChannelCredentials {
            platform: "telegram",
            token: secret(CANARY),
        };
        tracing::info!(?creds, "connecting");
        tracing::warn!(token = %creds.token, debug_token = ?creds.token, "token in fields");
        tracing::error!("formatted: {:?} / {}", creds, creds.token);
        let span = tracing::info_span!("with_secret", token = ?creds.token);
        let _entered = span.enter();
        tracing::debug!("inside a span holding a secret");
        // The vault itself, at TRACE, on this thread.
        rt.block_on(async {
            let (_store, vault) = vault_with(dir.path(), &fixed_key(9));
            vault.set("tok", secret(CANARY)).await.expect("set");
            let v = vault.get("tok").await.expect("get").expect("present");
            tracing::info!(value = ?v, "read back");
        });
    });
    assert!(
        logs.contains("telegram") && logs.contains("connecting"),
        "the subscriber captured the events: {logs}"
    );
    assert!(
        logs.contains("<redacted>"),
        "secrets show as <redacted>: {logs}"
    );
    assert!(
        !logs.contains(CANARY) && !logs.contains("CANARY"),
        "the secret value appears nowhere in the log output: {logs}"
    );
}
