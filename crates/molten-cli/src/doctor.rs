//! `molten doctor`: checks each part and says how to fix what is wrong.

use molten_engine::audit::AuditLog;
use molten_engine::rbac::Policy;
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
    let perms = dir.permissions();
    match std::fs::read_to_string(&perms) {
        Ok(text) => match Policy::parse(&text, &perms.display().to_string()) {
            Ok(p) => r.ok(
                "permissions",
                &format!("{} roles, {} users", p.roles.len(), p.users.len()),
            ),
            Err(e) => r.bad("permissions", &e.to_string(), &e.hint()),
        },
        Err(_) => r.ok(
            "permissions",
            "no permissions.yaml yet; the first start writes the default",
        ),
    }
    if db.exists() {
        if let Ok(store) = SqliteStore::open(&db) {
            let audit = AuditLog::new(store.clone(), &dir);
            match audit.verify().await {
                Ok(report) if report.is_intact() => r.ok(
                    "audit log",
                    &format!("{} entries verified", report.verified),
                ),
                Ok(report) => {
                    let problem = report
                        .broken
                        .as_ref()
                        .map(|b| format!("{b:?}"))
                        .unwrap_or_default();
                    let advice = report
                        .broken
                        .as_ref()
                        .map(|b| b.advice())
                        .unwrap_or_default();
                    r.bad("audit log", &problem, advice)
                }
                Err(e) => r.bad("audit log", &e.to_string(), &e.hint()),
            }
            match molten_engine::vault::secret_names(&store).await {
                Ok(names) => r.ok(
                    "secrets",
                    &format!("{} stored, sealed (values are never shown)", names.len()),
                ),
                Err(e) => r.bad("secrets", &e.to_string(), &e.hint()),
            }
        }
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
