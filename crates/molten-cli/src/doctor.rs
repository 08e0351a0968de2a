//! `molten doctor`: checks each part and says how to fix what is wrong.

use molten_engine::store::{SqliteStore, SCHEMA_VERSION};
use molten_engine::{Config, DataDir};
use std::process::ExitCode;

struct Report {
    problems: usize,
}

impl Report {
    fn ok(&self, what: &str, detail: &str) {
        println!("  ok    {what}: {detail}");
    }
    fn bad(&mut self, what: &str, problem: &str, fix: &str) {
        self.problems += 1;
        println!("  FAIL  {what}: {problem}\n        fix: {fix}");
    }
}

pub async fn run() -> ExitCode {
    let mut r = Report { problems: 0 };
    println!("molten {} doctor", env!("CARGO_PKG_VERSION"));
    let dir = match DataDir::resolve() {
        Ok(d) => d,
        Err(e) => {
            r.bad("data directory", &e.to_string(), &e.hint());
            return ExitCode::FAILURE;
        }
    };
    match dir.prepare() {
        Ok(()) => r.ok(
            "data directory",
            &format!("{} is writable", dir.root().display()),
        ),
        Err(e) => r.bad("data directory", &e.to_string(), &e.hint()),
    }
    match Config::load(&dir.config()) {
        Ok(_) if dir.config().exists() => {
            r.ok("config", &format!("{} is valid", dir.config().display()))
        }
        Ok(_) => r.ok("config", "no config.yaml; using the embedded defaults"),
        Err(e) => r.bad("config", &e.to_string(), &e.hint()),
    }
    let db = dir.database();
    if db.exists() {
        match SqliteStore::open(&db) {
            Ok(store) => match store.check().await {
                Ok((v, integrity)) if integrity == "ok" => r.ok(
                    "database",
                    &format!("{} schema {v}/{SCHEMA_VERSION}, integrity ok", db.display()),
                ),
                Ok((_, integrity)) => r.bad(
                    "database",
                    &format!("integrity check says: {integrity}"),
                    "Stop Molten, copy the file aside, and restore your latest backup.",
                ),
                Err(e) => r.bad("database", &e.to_string(), &e.hint()),
            },
            Err(e) => r.bad("database", &e.to_string(), &e.hint()),
        }
    } else {
        r.ok("database", "not created yet; the first start creates it");
    }
    match std::fs::read_to_string(dir.api_endpoint()) {
        Ok(s) => r.ok(
            "local API",
            &format!("a running engine announced {}", s.trim()),
        ),
        Err(_) => r.ok("local API", "no engine is running (or its API is off)"),
    }
    if r.problems == 0 {
        println!("All checks passed.");
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s) found.", r.problems);
        ExitCode::FAILURE
    }
}
