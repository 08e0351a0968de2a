//! `molten config export|import`: the whole configuration (`config.yaml`,
//! `permissions.yaml`, every secret) as one passphrase-encrypted file, thin
//! over `molten_engine::bundle`. Prints names, never values.

use molten_core::{Sensitive, SystemClock};
use molten_engine::bundle::{self, BundleError, ExistingSecrets, ExportOptions, FileOutcome};
use molten_engine::store::SqliteStore;
use molten_engine::vault::{MasterKeyResolver, SqliteVault};
use molten_engine::DataDir;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The bundle passphrase for scripts; without it a hidden prompt asks.
pub const BUNDLE_PASSPHRASE_ENV: &str = "MOLTEN_BUNDLE_PASSPHRASE";

pub const USAGE: &str = "Usage:
  molten config export --out FILE        write config.yaml, permissions.yaml and every secret to FILE, encrypted
  molten config import FILE [--replace]  restore them here; secrets already present are kept unless --replace

The bundle is sealed with AES-256-GCM under a key derived (Argon2id) from a
passphrase of at least 12 characters, asked at a hidden prompt or read from
MOLTEN_BUNDLE_PASSPHRASE. It does not depend on this machine's master key:
it restores on a new machine, whose vault seals the secrets with its own key.
Import checks everything before writing and keeps replaced files as *.bak.

Examples:
  molten config export --out molten-backup.bundle
  MOLTEN_BUNDLE_PASSPHRASE=\"$PASS\" molten config import molten-backup.bundle --replace";

pub async fn run(args: &[String]) -> ExitCode {
    init_warnings();
    let result = match args {
        [cmd, flag, out] if cmd == "export" && flag == "--out" => export(Path::new(out)).await,
        [cmd, file] if cmd == "import" && !file.starts_with("--") => {
            import(Path::new(file), ExistingSecrets::Keep).await
        }
        [cmd, a, b] if cmd == "import" && (a == "--replace") != (b == "--replace") => {
            let file = if a == "--replace" { b } else { a };
            import(Path::new(file), ExistingSecrets::Replace).await
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Bundle(e)) => {
            eprintln!("molten config: {e}\n  next step: {}", e.hint());
            ExitCode::FAILURE
        }
        Err(Failure::Other(msg)) => {
            eprintln!("molten config: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Warnings (such as the key-file one) go to stderr; `RUST_LOG` overrides.
fn init_warnings() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

enum Failure {
    Bundle(BundleError),
    Other(String),
}

impl From<BundleError> for Failure {
    fn from(e: BundleError) -> Self {
        Self::Bundle(e)
    }
}

impl From<molten_core::VaultError> for Failure {
    fn from(e: molten_core::VaultError) -> Self {
        Self::Bundle(e.into())
    }
}

/// The data dir, its database, and the vault under this machine's master key.
async fn open_vault() -> Result<(DataDir, SqliteVault), Failure> {
    let dir = DataDir::resolve().map_err(|e| Failure::Other(format!("{e} ({})", e.hint())))?;
    dir.prepare()
        .map_err(|e| Failure::Other(format!("{e} ({})", e.hint())))?;
    let store = SqliteStore::open(&dir.database()).map_err(molten_core::VaultError::from)?;
    let resolver = MasterKeyResolver::from_environment(dir.root());
    let key = blocking(move || resolver.resolve()).await??;
    Ok((dir, SqliteVault::new(store, &key, Arc::new(SystemClock))))
}

async fn export(out: &Path) -> Result<(), Failure> {
    let (dir, vault) = open_vault().await?;
    let passphrase = blocking(|| bundle_passphrase(true)).await??;
    let options = ExportOptions::recommended(&SystemClock)?;
    let exported = bundle::export(&dir, &vault, &passphrase, options).await?;
    bundle::write_owner_only(out, &exported.bytes)?;
    let files = if exported.files.is_empty() {
        "no config files".to_string()
    } else {
        exported.files.join(", ")
    };
    println!(
        "wrote {} ({} bytes): {files}; {}",
        out.display(),
        exported.bytes.len(),
        counted("secret", &exported.secret_names)
    );
    println!("keep the passphrase safe: without it the bundle cannot be opened");
    Ok(())
}

async fn import(file: &Path, existing: ExistingSecrets) -> Result<(), Failure> {
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::Other(format!("cannot read {}: {e}", file.display())))?;
    // A file that is not a bundle is refused before any prompt.
    bundle::read_header(&bytes)?;
    let (dir, vault) = open_vault().await?;
    let passphrase = blocking(|| bundle_passphrase(false)).await??;
    let report = bundle::import(&dir, &vault, &bytes, &passphrase, existing).await?;
    println!(
        "imported {} (made {} by Molten {})",
        file.display(),
        report.header.created_at.format("%Y-%m-%d %H:%M UTC"),
        report.header.app_version
    );
    for f in &report.files {
        let what = match &f.outcome {
            FileOutcome::Restored { backup: Some(b) } => {
                format!("restored (the previous one is kept as {})", b.display())
            }
            FileOutcome::Restored { backup: None } => "restored".to_string(),
            FileOutcome::Unchanged => "unchanged (already identical)".to_string(),
            FileOutcome::NotInBundle => "not in the bundle; left as it was".to_string(),
        };
        println!("  {:<17} {what}", f.name);
    }
    println!("  secrets added     {}", names(&report.secrets_added));
    println!(
        "  secrets skipped   {}{}",
        names(&report.secrets_skipped),
        if report.secrets_skipped.is_empty() {
            ""
        } else {
            "  (already present; --replace overwrites them)"
        }
    );
    println!("  secrets replaced  {}", names(&report.secrets_replaced));
    if report
        .files
        .iter()
        .any(|f| f.name == bundle::CONFIG_FILE && matches!(f.outcome, FileOutcome::Restored { .. }))
    {
        println!("restart Molten (or `molten serve`) for config.yaml to take effect; permissions.yaml applies by itself");
    }
    Ok(())
}

fn names(list: &[String]) -> String {
    if list.is_empty() {
        "-".into()
    } else {
        format!("{} ({})", list.join(", "), list.len())
    }
}

fn counted(noun: &str, list: &[String]) -> String {
    match list.len() {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun} ({})", list.join(", ")),
        n => format!("{n} {noun}s ({})", list.join(", ")),
    }
}

/// `MOLTEN_BUNDLE_PASSPHRASE`, else a hidden prompt (twice when `confirm`).
fn bundle_passphrase(confirm: bool) -> Result<Sensitive<String>, Failure> {
    if let Some(p) = std::env::var(BUNDLE_PASSPHRASE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Sensitive::new)
    {
        if confirm {
            bundle::check_passphrase(&p)?;
        }
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Other(format!(
            "no bundle passphrase: set {BUNDLE_PASSPHRASE_ENV}, or run in a terminal to be asked"
        )));
    }
    let first = prompt_hidden("Bundle passphrase (input hidden): ")?;
    if !confirm {
        return Ok(first);
    }
    bundle::check_passphrase(&first)?;
    let again = prompt_hidden("The same passphrase again: ")?;
    if again.expose() != first.expose() {
        return Err(Failure::Other(
            "the two passphrases differ; nothing was written".into(),
        ));
    }
    Ok(first)
}

fn prompt_hidden(prompt: &str) -> Result<Sensitive<String>, Failure> {
    rpassword::prompt_password(prompt)
        .map(Sensitive::new)
        .map_err(|e| Failure::Other(format!("cannot read from the terminal: {e}")))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::Other(format!("internal task failed: {e}")))
}
