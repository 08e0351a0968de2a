// tauri.conf.json and capabilities/ sit beside the root Cargo.toml, this
// package's manifest, where tauri-build looks by default.
fn main() {
    tauri_build::build()
}
