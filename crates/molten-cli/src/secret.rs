//! `molten secret set|list|delete`: the secret vault from the command line.
//! Values are read from stdin (or typed at a hidden prompt), never taken from
//! the command line, and never printed.

use molten_core::{SecretVault, Sensitive, SystemClock, VaultError};
use molten_engine::store::SqliteStore;
use molten_engine::vault::{self, MasterKey, MasterKeyResolver, SqliteVault};
use molten_engine::DataDir;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

pub const USAGE: &str = "Usage:
  molten secret set <name> [--ask-passphrase]   store a secret read from stdin (or a hidden prompt)
  molten secret list                            list the stored names (never the values)
  molten secret delete <name>                   remove a secret

The master key comes from MOLTEN_MASTER_KEY (64 hex characters or base64 of
32 bytes), else MOLTEN_PASSPHRASE (or --ask-passphrase), else the OS keyring,
else a master.key file in the data directory (with a warning).

Example:
  printf %s \"$BOT_TOKEN\" | molten secret set telegram.bot_token";

pub async fn run(args: &[String]) -> ExitCode {
    init_warnings();
    let result = match args {
        [cmd, name, flags @ ..] if cmd == "set" && flags_ok(flags) => {
            set(name, flags.iter().any(|f| f == "--ask-passphrase")).await
        }
        [cmd] if cmd == "list" => list().await,
        [cmd, name] if cmd == "delete" => delete(name).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Vault(e)) => {
            eprintln!("molten secret: {e}\n  next step: {}", e.hint());
            ExitCode::FAILURE
        }
        Err(Failure::Other(msg)) => {
            eprintln!("molten secret: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn flags_ok(flags: &[String]) -> bool {
    flags.iter().all(|f| f == "--ask-passphrase")
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
    Vault(VaultError),
    Other(String),
}

impl From<VaultError> for Failure {
    fn from(e: VaultError) -> Self {
        Self::Vault(e)
    }
}

async fn open_store() -> Result<(DataDir, SqliteStore), Failure> {
    let dir = DataDir::resolve().map_err(|e| Failure::Other(format!("{e} ({})", e.hint())))?;
    dir.prepare()
        .map_err(|e| Failure::Other(format!("{e} ({})", e.hint())))?;
    let store = SqliteStore::open(&dir.database()).map_err(VaultError::from)?;
    Ok((dir, store))
}

async fn set(name: &str, ask_passphrase: bool) -> Result<(), Failure> {
    molten_core::validate_secret_name(name)?;
    let prompt = format!("Value for {name} (input hidden): ");
    let value = blocking(move || read_value(&prompt)).await??;
    let passphrase = if ask_passphrase {
        Some(blocking(|| prompt_hidden("Vault passphrase: ")).await??)
    } else {
        None
    };
    let (dir, store) = open_store().await?;
    let key = resolve_key(&dir, passphrase).await?;
    let vault = SqliteVault::new(store, &key, Arc::new(SystemClock));
    vault.set(name, value).await?;
    println!(
        "stored `{name}` (master key from {})",
        key.source().describe()
    );
    Ok(())
}

/// `molten api-token`: prints the local API's bearer token, for scripts.
pub async fn print_api_token() -> ExitCode {
    init_warnings();
    match api_token().await {
        Ok(t) => {
            println!("{}", t.expose());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("molten api-token: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The local API's token from the vault (the engine creates it on start).
pub async fn api_token() -> Result<Sensitive<String>, String> {
    let explain = |f: Failure| match f {
        Failure::Vault(e) => format!("{e} (next step: {})", e.hint()),
        Failure::Other(m) => m,
    };
    let (dir, store) = open_store().await.map_err(explain)?;
    let key = resolve_key(&dir, None).await.map_err(explain)?;
    let vault = SqliteVault::new(store, &key, Arc::new(SystemClock));
    vault
        .get(molten_engine::api_token::API_TOKEN_SECRET)
        .await
        .map_err(|e| format!("{e} (next step: {})", e.hint()))?
        .ok_or_else(|| {
            "no API token yet: start the engine once (`molten serve` or the app)".to_string()
        })
}

async fn list() -> Result<(), Failure> {
    let (_dir, store) = open_store().await?;
    for name in vault::secret_names(&store).await? {
        println!("{name}");
    }
    Ok(())
}

async fn delete(name: &str) -> Result<(), Failure> {
    let (_dir, store) = open_store().await?;
    if vault::delete_secret(&store, name).await? {
        println!("deleted `{name}`");
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "no secret named `{name}`; `molten secret list` shows the names"
        )))
    }
}

async fn resolve_key(
    dir: &DataDir,
    passphrase: Option<Sensitive<String>>,
) -> Result<MasterKey, Failure> {
    let mut resolver = MasterKeyResolver::from_environment(dir.root());
    if let Some(p) = passphrase {
        resolver = resolver.with_passphrase(p);
    }
    Ok(blocking(move || resolver.resolve()).await??)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::Other(format!("internal task failed: {e}")))
}

/// The value: a hidden prompt on a terminal, else all of stdin minus one
/// trailing newline (what `echo` adds).
fn read_value(prompt: &str) -> Result<Sensitive<String>, Failure> {
    let value = if std::io::stdin().is_terminal() {
        prompt_hidden(prompt)?
    } else {
        let mut buf = String::new();
        let read = std::io::stdin().read_to_string(&mut buf);
        let mut value = Sensitive::new(buf);
        read.map_err(|e| Failure::Other(format!("cannot read the value from stdin: {e}")))?;
        let trimmed = trim_one_newline(value.expose());
        if trimmed.len() != value.expose().len() {
            value = Sensitive::new(trimmed.to_string());
        }
        value
    };
    if value.expose().is_empty() {
        return Err(Failure::Other(
            "the value is empty; pipe it in, e.g. `printf %s \"$TOKEN\" | molten secret set <name>`"
                .into(),
        ));
    }
    Ok(value)
}

fn trim_one_newline(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

fn prompt_hidden(prompt: &str) -> Result<Sensitive<String>, Failure> {
    rpassword::prompt_password(prompt)
        .map(Sensitive::new)
        .map_err(|e| Failure::Other(format!("cannot read from the terminal: {e}")))
}
