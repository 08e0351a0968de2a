//! Configuration bundles end to end: export on one machine and import on
//! another with a different master key; nothing readable in the file; a
//! wrong passphrase, a changed byte or an invalid file inside refused with
//! nothing written; existing secrets kept or replaced on request.
//!
//! Master keys are given through the resolver API (not the process
//! environment) so the tests run in parallel, and Argon2id runs at the
//! floor cost so they stay quick.

use chrono::{TimeZone, Utc};
use molten_core::{SecretVault, Sensitive, SystemClock, VaultError};
use molten_engine::bundle::{
    self, BundleHeader, BundlePayload, BundledSecret, ExistingSecrets, ExportOptions,
    ExportedBundle, FileOutcome, ImportReport, MAGIC,
};
use molten_engine::rbac::policy::DEFAULT_POLICY_YAML;
use molten_engine::store::SqliteStore;
use molten_engine::vault::passphrase::MIN_M_COST_KIB;
use molten_engine::vault::{
    KdfParams, KeyringBackend, KeyringError, MasterKey, MasterKeyResolver, SqliteVault,
};
use molten_engine::DataDir;
use std::collections::BTreeMap;
use std::sync::Arc;

const PASSPHRASE: &str = "correct horse battery staple";
const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const TOKEN: &str = "tg-CANARY-7f3e9a1c5b";
const API_KEY: &str = "sk-live-CANARY-0d4b8e2f6a";
const CONFIG: &str = "# CONFIG-CANARY: my settings\nlanguage: en\nrouter:\n  queue_capacity: 64\n";

/// No OS keyring: every key in these tests comes from the resolver's text.
struct NoKeyring;

impl KeyringBackend for NoKeyring {
    fn load(&self, _: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
        Err(KeyringError::Unavailable("tests use no keyring".into()))
    }
    fn store(&self, _: &str, _: &Sensitive<String>) -> Result<(), KeyringError> {
        Err(KeyringError::Unavailable("tests use no keyring".into()))
    }
}

/// One machine: a data dir, its database, and a vault under its own key.
struct Machine {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    store: SqliteStore,
    vault: SqliteVault,
}

fn key(hex: &str, dir: &std::path::Path) -> MasterKey {
    MasterKeyResolver::new(dir, NoKeyring)
        .with_master_key_text(Sensitive::new(hex.to_string()))
        .resolve()
        .expect("the resolver reads the key text")
}

fn machine(key_hex: &str) -> Machine {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = DataDir::at(tmp.path());
    let store = SqliteStore::open(&dir.database()).expect("open the store");
    let vault = SqliteVault::new(
        store.clone(),
        &key(key_hex, tmp.path()),
        Arc::new(SystemClock),
    );
    Machine {
        _tmp: tmp,
        dir,
        store,
        vault,
    }
}

fn permissions_text() -> String {
    DEFAULT_POLICY_YAML.replace(
        "  \"local:owner\": admin\n",
        "  \"local:owner\": admin\n  \"telegram:42\": user # PERMS-CANARY\n",
    )
}

fn pass(s: &str) -> Sensitive<String> {
    Sensitive::new(s.to_string())
}

fn quick() -> ExportOptions {
    ExportOptions {
        kdf: KdfParams::with_costs(MIN_M_COST_KIB, 1, 1).expect("floor-cost parameters"),
        created_at: Utc
            .with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
            .single()
            .expect("a date"),
    }
}

/// A source machine with both files and two secrets.
async fn source() -> Machine {
    let m = machine(KEY_A);
    std::fs::write(m.dir.config(), CONFIG).expect("write config");
    std::fs::write(m.dir.permissions(), permissions_text()).expect("write permissions");
    m.vault
        .set("telegram.bot_token", pass(TOKEN))
        .await
        .expect("set token");
    m.vault
        .set("openai.api_key", pass(API_KEY))
        .await
        .expect("set api key");
    m
}

async fn export_from(m: &Machine) -> ExportedBundle {
    bundle::export(&m.dir, &m.vault, &pass(PASSPHRASE), quick())
        .await
        .expect("export")
}

async fn import_into(
    m: &Machine,
    bytes: &[u8],
    passphrase: &str,
    existing: ExistingSecrets,
) -> Result<ImportReport, bundle::BundleError> {
    bundle::import(&m.dir, &m.vault, bytes, &pass(passphrase), existing).await
}

/// Every file of the data dir but the database, and every secret's value.
async fn snapshot(m: &Machine) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, String>) {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(m.dir.root()).expect("list the data dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("molten.db") {
            files.insert(name, std::fs::read(entry.path()).expect("read a file"));
        }
    }
    let mut secrets = BTreeMap::new();
    for name in m.vault.names().await.expect("names") {
        let value = m.vault.get(&name).await.expect("get").expect("present");
        secrets.insert(name, value.expose().clone());
    }
    (files, secrets)
}

/// A target machine that already has files and a secret of its own.
async fn lived_in_target() -> Machine {
    let m = machine(KEY_B);
    std::fs::write(m.dir.config(), "language: zh\n").expect("write config");
    std::fs::write(m.dir.permissions(), DEFAULT_POLICY_YAML).expect("write permissions");
    m.vault
        .set("telegram.bot_token", pass("the-old-token"))
        .await
        .expect("set");
    m
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the needle is in the bundle")
}

#[tokio::test]
async fn round_trip_to_another_machine_with_another_key_restores_everything() {
    let src = source().await;
    let exported = export_from(&src).await;
    assert_eq!(
        exported.files,
        vec!["config.yaml", "permissions.yaml"],
        "both files exported"
    );
    assert_eq!(
        exported.secret_names,
        vec!["openai.api_key", "telegram.bot_token"],
        "both secrets exported, by name"
    );

    let dst = machine(KEY_B);
    let report = import_into(&dst, &exported.bytes, PASSPHRASE, ExistingSecrets::Keep)
        .await
        .expect("import on the new machine");
    assert_eq!(
        std::fs::read_to_string(dst.dir.config()).expect("config restored"),
        CONFIG,
        "config.yaml byte for byte"
    );
    assert_eq!(
        std::fs::read_to_string(dst.dir.permissions()).expect("permissions restored"),
        permissions_text(),
        "permissions.yaml byte for byte"
    );
    for (name, value) in [("telegram.bot_token", TOKEN), ("openai.api_key", API_KEY)] {
        let got = dst.vault.get(name).await.expect("get").expect("restored");
        assert_eq!(
            got.expose(),
            value,
            "{name} has its value on the new machine"
        );
    }
    assert_eq!(
        report.secrets_added,
        vec!["openai.api_key", "telegram.bot_token"],
        "both reported as added"
    );
    assert!(
        report.secrets_skipped.is_empty() && report.secrets_replaced.is_empty(),
        "nothing skipped or replaced: {report:?}"
    );
    for file in &report.files {
        assert_eq!(
            file.outcome,
            FileOutcome::Restored { backup: None },
            "{} restored, no old file to keep",
            file.name
        );
    }
    assert_eq!(
        report.header.created_at,
        quick().created_at,
        "header read back"
    );

    // Sealed again with the new machine's key: the old key cannot open it.
    let old_key_view = SqliteVault::new(
        dst.store.clone(),
        &key(KEY_A, dst.dir.root()),
        Arc::new(SystemClock),
    );
    let e = old_key_view
        .get("telegram.bot_token")
        .await
        .expect_err("the source key cannot open the target's envelope");
    assert!(
        matches!(e, VaultError::Undecryptable { .. }),
        "re-sealed under the target's key: {e}"
    );
}

#[tokio::test]
async fn existing_files_are_kept_as_bak_and_identical_ones_left_alone() {
    let src = source().await;
    let exported = export_from(&src).await;
    let dst = lived_in_target().await;
    let report = import_into(&dst, &exported.bytes, PASSPHRASE, ExistingSecrets::Keep)
        .await
        .expect("import");
    let bak = |name: &str| dst.dir.root().join(format!("{name}.bak"));
    assert_eq!(
        report.files[0].outcome,
        FileOutcome::Restored {
            backup: Some(bak("config.yaml"))
        },
        "config.yaml replaced, old one kept"
    );
    assert_eq!(
        std::fs::read_to_string(bak("config.yaml")).expect("config.yaml.bak"),
        "language: zh\n",
        "the old config is in the backup"
    );
    assert_eq!(
        std::fs::read_to_string(bak("permissions.yaml")).expect("permissions.yaml.bak"),
        DEFAULT_POLICY_YAML,
        "the old permissions are in the backup"
    );
    let again = import_into(&dst, &exported.bytes, PASSPHRASE, ExistingSecrets::Keep)
        .await
        .expect("import again");
    assert!(
        again
            .files
            .iter()
            .all(|f| f.outcome == FileOutcome::Unchanged),
        "a second import changes no file: {:?}",
        again.files
    );
    assert_eq!(
        std::fs::read_to_string(bak("config.yaml")).expect("config.yaml.bak"),
        "language: zh\n",
        "an unchanged import keeps the earlier backup"
    );
}

#[tokio::test]
async fn the_bundle_shows_no_secret_or_config_text() {
    let src = source().await;
    let bytes = export_from(&src).await.bytes;
    assert!(bytes.starts_with(MAGIC), "starts with the magic");
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    for needle in [
        TOKEN.to_string(),
        API_KEY.to_string(),
        "CANARY".to_string(),
        "CONFIG-CANARY".to_string(),
        "queue_capacity".to_string(),
        "PERMS-CANARY".to_string(),
        "telegram:42".to_string(),
        "default_role".to_string(),
        "telegram.bot_token".to_string(),
        b64(TOKEN),
        b64(API_KEY),
        b64(CONFIG),
    ] {
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "the bundle shows `{needle}` in plaintext"
        );
    }
    let header: BundleHeader = bundle::read_header(&bytes).expect("header without passphrase");
    assert_eq!(header.format, bundle::FORMAT_VERSION, "format version");
    assert_eq!(header.kdf.algorithm, "argon2id", "KDF named in the header");
    assert_eq!(header.app_version, env!("CARGO_PKG_VERSION"), "app version");
}

#[tokio::test]
async fn a_wrong_passphrase_is_refused_and_nothing_changes() {
    let src = source().await;
    let bytes = export_from(&src).await.bytes;
    let dst = lived_in_target().await;
    let before = snapshot(&dst).await;
    let e = import_into(
        &dst,
        &bytes,
        "correct horse battery stapler",
        ExistingSecrets::Replace,
    )
    .await
    .expect_err("a wrong passphrase");
    assert_eq!(e.code(), "bundle_undecryptable", "clear error: {e}");
    assert!(
        e.to_string().contains("passphrase"),
        "the message says why: {e}"
    );
    assert!(
        e.hint().contains("Nothing was written"),
        "the hint reassures: {}",
        e.hint()
    );
    assert_eq!(snapshot(&dst).await, before, "the target dir is unchanged");
}

#[tokio::test]
async fn a_changed_byte_in_header_or_body_is_refused() {
    let src = source().await;
    let bytes = export_from(&src).await.bytes;
    let dst = lived_in_target().await;
    let before = snapshot(&dst).await;

    // A header edit that keeps valid JSON and valid costs: only the
    // associated data can catch it.
    let mut edited = bytes.clone();
    let at = find(&edited, env!("CARGO_PKG_VERSION").as_bytes());
    edited[at] = if edited[at] == b'9' { b'8' } else { b'9' };
    bundle::read_header(&edited).expect("the edited header still parses");
    let e = import_into(&dst, &edited, PASSPHRASE, ExistingSecrets::Replace)
        .await
        .expect_err("an edited header");
    assert_eq!(e.code(), "bundle_undecryptable", "header bound as AAD: {e}");

    let header_len = usize::try_from(u32::from_be_bytes(
        bytes[8..12].try_into().expect("four bytes"),
    ))
    .expect("fits");
    let nonce_at = 12 + header_len;
    let positions = [
        ("magic", 0),
        ("header length", 10),
        ("header", 12 + header_len / 2),
        ("nonce", nonce_at),
        (
            "ciphertext",
            nonce_at + 12 + (bytes.len() - nonce_at - 12) / 2,
        ),
        ("tag", bytes.len() - 1),
    ];
    for (what, at) in positions {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        let e = import_into(&dst, &flipped, PASSPHRASE, ExistingSecrets::Replace)
            .await
            .expect_err("a flipped byte");
        assert!(
            !e.hint().is_empty() && e.code().starts_with("bundle_"),
            "a flipped {what} byte gives a bundle error: {e}"
        );
        if matches!(what, "nonce" | "ciphertext" | "tag") {
            assert_eq!(e.code(), "bundle_undecryptable", "{what}: {e}");
        }
    }
    let e = import_into(
        &dst,
        &bytes[..bytes.len() - 20],
        PASSPHRASE,
        ExistingSecrets::Replace,
    )
    .await
    .expect_err("a truncated bundle");
    assert!(e.code().starts_with("bundle_"), "truncation refused: {e}");
    assert_eq!(snapshot(&dst).await, before, "the target dir is unchanged");
}

#[tokio::test]
async fn a_header_asking_for_huge_argon2_costs_is_refused_before_deriving() {
    let src = source().await;
    let bytes = export_from(&src).await.bytes;
    let mut header = bundle::read_header(&bytes).expect("header");
    let old_len = serde_json::to_vec(&header).expect("json").len();
    header.kdf.m_cost_kib = 64 * 1024 * 1024; // 64 GiB
    let new_header = serde_json::to_vec(&header).expect("json");
    let mut crafted = MAGIC.to_vec();
    crafted.extend_from_slice(&u32::try_from(new_header.len()).expect("len").to_be_bytes());
    crafted.extend_from_slice(&new_header);
    crafted.extend_from_slice(&bytes[12 + old_len..]);
    let dst = machine(KEY_B);
    let started = std::time::Instant::now();
    let e = import_into(&dst, &crafted, PASSPHRASE, ExistingSecrets::Keep)
        .await
        .expect_err("costs above the ceiling");
    assert_eq!(e.code(), "bundle_bad_header", "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused without running Argon2id"
    );
}

#[tokio::test]
async fn invalid_files_inside_are_refused_before_anything_is_written() {
    let dst = lived_in_target().await;
    let before = snapshot(&dst).await;
    let cases = [
        (
            "permissions.yaml",
            "language: en\n",
            "roles:\n  admin: [\"*\"]\ndefault_role: nobody\n",
        ),
        (
            "config.yaml",
            "router:\n  queue_size: 3\n",
            DEFAULT_POLICY_YAML,
        ),
    ];
    for (bad_file, config, permissions) in cases {
        let payload = BundlePayload {
            config_yaml: Some(pass(config)),
            permissions_yaml: Some(pass(permissions)),
            secrets: vec![BundledSecret {
                name: "new.secret".into(),
                value: pass("must-not-arrive"),
            }],
        };
        let opts = quick();
        let header = BundleHeader::new(opts.kdf, opts.created_at);
        let bytes =
            bundle::seal_payload(&payload, &pass(PASSPHRASE), &header).expect("seal a payload");
        let e = import_into(&dst, &bytes, PASSPHRASE, ExistingSecrets::Replace)
            .await
            .expect_err("an invalid file inside");
        assert_eq!(e.code(), "bundle_invalid_file", "{bad_file}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("{bad_file} (in the bundle)")),
            "the error names the file in the bundle: {e}"
        );
        assert_eq!(
            snapshot(&dst).await,
            before,
            "{bad_file} invalid: no file, backup or secret written"
        );
    }
}

#[tokio::test]
async fn existing_secrets_are_skipped_unless_replace_is_asked() {
    let src = source().await;
    let bytes = export_from(&src).await.bytes;
    let dst = lived_in_target().await;

    let kept = import_into(&dst, &bytes, PASSPHRASE, ExistingSecrets::Keep)
        .await
        .expect("import keeping existing secrets");
    assert_eq!(
        kept.secrets_skipped,
        vec!["telegram.bot_token"],
        "existing name skipped"
    );
    assert_eq!(kept.secrets_added, vec!["openai.api_key"], "new name added");
    assert!(
        kept.secrets_replaced.is_empty(),
        "nothing replaced: {kept:?}"
    );
    let token = dst
        .vault
        .get("telegram.bot_token")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(
        token.expose(),
        "the-old-token",
        "the target's value is kept"
    );

    let replaced = import_into(&dst, &bytes, PASSPHRASE, ExistingSecrets::Replace)
        .await
        .expect("import replacing");
    assert_eq!(
        replaced.secrets_replaced,
        vec!["openai.api_key", "telegram.bot_token"],
        "every existing name replaced"
    );
    assert!(
        replaced.secrets_added.is_empty() && replaced.secrets_skipped.is_empty(),
        "nothing added or skipped: {replaced:?}"
    );
    let token = dst
        .vault
        .get("telegram.bot_token")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(token.expose(), TOKEN, "the bundle's value won");
}

#[tokio::test]
async fn short_passphrases_and_missing_files_are_handled() {
    let src = machine(KEY_A);
    let e = bundle::export(&src.dir, &src.vault, &pass("eleven char"), quick())
        .await
        .expect_err("11 characters");
    assert_eq!(e.code(), "bundle_weak_passphrase", "{e}");
    assert!(
        e.to_string().contains("at least 12"),
        "the message says the minimum: {e}"
    );

    // A machine with no files and no secrets exports an empty bundle, and
    // importing it leaves the target's files alone.
    let exported = export_from(&src).await;
    assert!(exported.files.is_empty(), "no files to export");
    let dst = lived_in_target().await;
    let before = snapshot(&dst).await;
    let report = import_into(&dst, &exported.bytes, PASSPHRASE, ExistingSecrets::Replace)
        .await
        .expect("import an empty bundle");
    assert!(
        report
            .files
            .iter()
            .all(|f| f.outcome == FileOutcome::NotInBundle),
        "absent files reported: {:?}",
        report.files
    );
    assert_eq!(snapshot(&dst).await, before, "nothing changed");
}

#[tokio::test]
async fn export_refuses_an_invalid_local_permissions_file() {
    let src = source().await;
    std::fs::write(src.dir.permissions(), "roles: {}\ndefault_role: ghost\n").expect("write");
    let e = bundle::export(&src.dir, &src.vault, &pass(PASSPHRASE), quick())
        .await
        .expect_err("invalid local permissions");
    assert_eq!(e.code(), "config", "{e}");
    assert!(
        e.to_string().contains("permissions.yaml"),
        "names the file: {e}"
    );
}
