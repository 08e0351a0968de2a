#!/usr/bin/env bash
# Molten: install what building, running and testing need, idempotently.
#
#   bash scripts/setup.sh [build|test]     # default: build
#
# Sourced by scripts/run.sh and scripts/test.sh (which call `molten_setup`), or
# run on its own. Every step checks first and skips what is already there, so a
# second run does no network traffic at all:
#   - apt: only missing packages (`dpkg -s`), after one `apt-get update`;
#   - Rust: a toolchain new enough for the workspace's `rust-version`, plus the
#     rustfmt and clippy components (test profile);
#   - tauri-driver from crates.io (test profile).
# Nothing here needs a network other than the Debian mirror and crates.io.

# Packages the Tauri app needs to compile and run (tauri-linux.md §1). libxdo-dev,
# librsvg2-dev and libssl-dev are not linked by the current crate set, but they
# are Tauri's documented prerequisites and cost little; ca-certificates lets
# cargo and rustls reach crates.io; procps gives `ps` for diagnostics.
MOLTEN_APT_BUILD=(
  build-essential pkg-config file curl wget ca-certificates procps
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libssl-dev libxdo-dev
)
# What the headless preview of scripts/run.sh needs on top of the build set.
MOLTEN_APT_PREVIEW=(xvfb xauth x11-utils dbus dbus-x11 imagemagick)
# What scripts/test.sh's GUI end-to-end step needs on top of the build set:
# a virtual X server, a private session bus, WebKit's WebDriver, a notification
# daemon that logs what it receives, and `import` for the root screenshot.
MOLTEN_APT_TEST=(
  xvfb xauth x11-utils dbus dbus-x11 at-spi2-core webkit2gtk-driver
  dunst libnotify-bin imagemagick
)

molten_log() { printf '[setup] %s\n' "$*"; }
molten_die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
molten_as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    molten_die "need root to run: $* (install sudo or run as root)"
  fi
}

# True when the package is fully installed; `dpkg -s` alone also succeeds for
# packages removed with their config files left behind, hence the Status check.
molten_pkg_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# Install the missing ones among "$@"; `apt-get update` runs at most once per
# process, and not at all when nothing is missing.
MOLTEN_APT_UPDATED=${MOLTEN_APT_UPDATED:-0}
molten_apt_install() {
  command -v dpkg >/dev/null 2>&1 || molten_die "dpkg not found: this script targets Debian 12"
  local missing=() p
  for p in "$@"; do
    molten_pkg_installed "$p" || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    molten_log "apt: all ${#} packages present"
    return 0
  fi
  molten_log "apt: installing ${missing[*]}"
  if [[ $MOLTEN_APT_UPDATED -eq 0 ]]; then
    molten_as_root apt-get update
    MOLTEN_APT_UPDATED=1
  fi
  molten_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# The workspace's minimum Rust version, read from the root Cargo.toml.
molten_required_rust() {
  sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$MOLTEN_ROOT/Cargo.toml" | head -n1
}

# Succeeds when version $1 >= version $2 (dotted numbers).
molten_version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# A rustup toolchain usually lives in ~/.cargo/bin, which a fresh non-login
# shell may not have on PATH yet.
molten_ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]] && export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null 2>&1; then
    # Debian 12's own rustc (1.63) is far too old for this workspace, so the
    # only route is rustup; try its installer, which needs static.rust-lang.org.
    molten_log "no cargo found; trying the rustup installer (needs https://sh.rustup.rs)"
    if curl --proto '=https' --tlsv1.2 -sSf --max-time 60 https://sh.rustup.rs -o /tmp/molten-rustup-init.sh; then
      sh /tmp/molten-rustup-init.sh -y --profile minimal -c rustfmt -c clippy
      # shellcheck disable=SC1091
      . "$HOME/.cargo/env"
    else
      molten_die "Rust is not installed and rustup could not be downloaded. Install Rust $(molten_required_rust) or newer (https://rustup.rs) and re-run."
    fi
  fi
  local have want
  have=$(rustc --version | awk '{print $2}')
  want=$(molten_required_rust)
  if [[ -n "$want" ]] && ! molten_version_ge "$have" "$want"; then
    molten_die "rustc $have is older than the workspace's rust-version $want; run 'rustup update stable'"
  fi
  molten_log "rust: rustc $have (workspace needs ${want:-any})"
}

# rustfmt and clippy: asked of cargo itself, so a toolchain that ships them
# without rustup also passes; otherwise rustup adds the components.
molten_ensure_rust_components() {
  local comp missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  if [[ ${#missing[@]} -eq 0 ]]; then
    molten_log "rust: rustfmt and clippy present"
    return 0
  fi
  command -v rustup >/dev/null 2>&1 || molten_die "missing ${missing[*]} and no rustup to add them"
  for comp in "${missing[@]}"; do
    molten_log "rust: adding component $comp"
    rustup component add "$comp"
  done
}

# tauri-driver bridges WebDriver clients to WebKitWebDriver. `cargo install`
# picks the newest stable release (it skips the 3.0 prerelease).
molten_ensure_tauri_driver() {
  if command -v tauri-driver >/dev/null 2>&1; then
    molten_log "tauri-driver: $(command -v tauri-driver)"
    return 0
  fi
  molten_log "tauri-driver: installing with cargo install --locked"
  cargo install tauri-driver --locked
  command -v tauri-driver >/dev/null 2>&1 || molten_die "tauri-driver installed but not on PATH (is ~/.cargo/bin on PATH?)"
}

# Entry point: profile `build` (compile and run the app), `preview` (also a
# virtual display for MOLTEN_HEADLESS_PREVIEW) or `test` (everything test.sh runs).
molten_setup() {
  local profile=${1:-build}
  case $profile in
    build) molten_apt_install "${MOLTEN_APT_BUILD[@]}" ;;
    preview) molten_apt_install "${MOLTEN_APT_BUILD[@]}" "${MOLTEN_APT_PREVIEW[@]}" ;;
    test) molten_apt_install "${MOLTEN_APT_BUILD[@]}" "${MOLTEN_APT_TEST[@]}" ;;
    *) molten_die "unknown setup profile '$profile' (build|preview|test)" ;;
  esac
  molten_ensure_rust
  if [[ $profile == test ]]; then
    molten_ensure_rust_components
    molten_ensure_tauri_driver
  fi
}

# Where cargo puts its output: honours CARGO_TARGET_DIR and .cargo/config
# through `cargo metadata`, falling back to the default `target/`.
molten_target_dir() {
  local dir
  dir=$(cd "$MOLTEN_ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
    grep -o '"target_directory":"[^"]*"' | head -n1 | cut -d'"' -f4) || true
  printf '%s\n' "${dir:-${CARGO_TARGET_DIR:-$MOLTEN_ROOT/target}}"
}

MOLTEN_ROOT=${MOLTEN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# Run directly (not sourced): do the setup for the profile given.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  molten_setup "${1:-build}"
fi
