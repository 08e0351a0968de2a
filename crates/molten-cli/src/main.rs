//! `molten`: the engine without a GUI. `serve` for servers and benchmarks,
//! `doctor` to find what is wrong, `send` to talk to a running engine.

mod audit;
mod config_bundle;
mod doctor;
mod secret;
mod send;

use molten_core::SystemClock;
use molten_engine::{DataDir, Engine, EngineOptions, LogNotifier};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "molten — a local-first personal AI assistant (headless engine)

Usage:
  molten serve            run the engine with no GUI until Ctrl-C / SIGTERM
  molten doctor           check the data directory, database and config
  molten send <text>      send a message to a running engine's local chat and print the reply
  molten api-token        print the local API's bearer token (for scripts)
  molten secret ...       set/list/delete secrets in the vault (`molten secret` for details)
  molten config ...       export/import config, permissions and secrets as one encrypted file (`molten config` for details)
  molten audit ...        verify, export or tail the audit log (`molten audit` for details)
  molten --version        print the version

Environment:
  MOLTEN_DATA_DIR         data directory (default: the platform data dir + /molten)
  RUST_LOG                log filter, e.g. info or molten_engine=debug";

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("molten: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args.first().map(String::as_str) {
        Some("--version" | "-V" | "version") => {
            println!("molten {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("serve") => {
            init_logs();
            runtime.block_on(serve())
        }
        Some("config") => runtime.block_on(config_bundle::run(&args[1..])),
        Some("doctor") => runtime.block_on(doctor::run()),
        Some("audit") => runtime.block_on(audit::run(&args[1..])),
        Some("api-token") => runtime.block_on(secret::print_api_token()),
        Some("secret") => runtime.block_on(secret::run(&args[1..])),
        Some("send") if args.len() > 1 => runtime.block_on(send::run(args[1..].join(" "))),
        Some("--help" | "-h" | "help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("molten: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    let started = async {
        let data_dir = DataDir::resolve()?;
        Engine::start(EngineOptions {
            data_dir,
            clock: Arc::new(SystemClock),
            notifier: Arc::new(LogNotifier),
            config: None,
            channels: Vec::new(),
        })
        .await
    };
    let engine = match started.await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("molten: {e}\n  next step: {}", e.hint());
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        data_dir = %engine.data_dir().root().display(),
        api = engine.api_url().as_deref().unwrap_or("off"),
        "molten serve is running; Ctrl-C to stop"
    );
    wait_for_signal().await;
    tracing::info!("stopping");
    engine.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
