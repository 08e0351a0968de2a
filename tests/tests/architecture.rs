//! The engine is GUI-free: no engine crate may depend, even transitively, on
//! Tauri, GTK, WebKit or the windowing stack.

use std::collections::{BTreeSet, HashMap};

const ENGINE_CRATES: &[&str] = &["molten-core", "molten-engine", "molten-cli"];
const FORBIDDEN: &[&str] = &[
    "tauri",
    "wry",
    "tao",
    "gtk",
    "gdk",
    "webkit2gtk",
    "javascriptcore-rs",
    "soup3",
    "libappindicator",
    "muda",
    "tray-icon",
];

#[test]
fn engine_crates_do_not_depend_on_the_gui() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(format!("{root}/Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes: HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|n| {
            // Normal and build dependencies only: what ships in the crate.
            let deps = n["deps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|k| k["kind"].is_null() || k["kind"] == "build")
                })
                .map(|d| d["pkg"].as_str().expect("pkg"))
                .collect();
            (n["id"].as_str().expect("node id"), deps)
        })
        .collect();
    let mut checked = 0;
    for (id, name) in &names {
        if !ENGINE_CRATES.contains(name) {
            continue;
        }
        checked += 1;
        let mut seen = BTreeSet::new();
        let mut stack = vec![*id];
        while let Some(cur) = stack.pop() {
            for dep in nodes.get(cur).into_iter().flatten() {
                if seen.insert(*dep) {
                    stack.push(dep);
                }
            }
        }
        let bad: Vec<&str> = seen
            .iter()
            .filter_map(|d| names.get(d).copied())
            .filter(|n| {
                FORBIDDEN.iter().any(|f| {
                    n == f
                        || n.starts_with(&format!("{f}-"))
                        || n.starts_with("gtk")
                        || n.starts_with("webkit")
                })
            })
            .collect();
        assert!(bad.is_empty(), "{name} depends on GUI crates: {bad:?}");
    }
    assert_eq!(
        checked,
        ENGINE_CRATES.len(),
        "every engine crate was found in the workspace"
    );
}
