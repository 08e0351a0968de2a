#!/usr/bin/env bash
# Molten: install what is needed, build, and launch the desktop app.
#
#   bash scripts/run.sh
#
# Installs the missing apt packages and checks the Rust toolchain (see
# scripts/setup.sh; nothing is reinstalled on later runs), builds the app with
# `cargo build -p molten-desktop`, and starts target/debug/molten-desktop on its
# embedded defaults, in the foreground; quit it from its tray menu or with Ctrl-C.
# Extra arguments are passed to the app.
#
# It needs a graphical session (DISPLAY or WAYLAND_DISPLAY). Without one it
# still installs and builds, then says so and exits with status 2. To see the
# app anyway on a machine without a screen:
#
#   MOLTEN_HEADLESS_PREVIEW=1 bash scripts/run.sh
#
# runs it for MOLTEN_PREVIEW_SECONDS (default 15) on a private virtual display
# (Xvfb) and session bus, with its data in .artifacts/preview/data, saves a
# screenshot to .artifacts/preview/screen.png and stops it again.
set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOLTEN_ROOT=$(cd "$SCRIPTS_DIR/.." && pwd)
export MOLTEN_ROOT

# shellcheck source=scripts/setup.sh
. "$SCRIPTS_DIR/setup.sh"

run_log() { printf '[run] %s\n' "$*"; }
has_display() { [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; }
want_preview() { [[ ${MOLTEN_HEADLESS_PREVIEW:-0} == 1 ]]; }

no_display_message() {
  cat >&2 <<'TXT'

Molten is built, but there is no graphical session here (neither DISPLAY nor
WAYLAND_DISPLAY is set), so its window cannot open.

  - Run `bash scripts/run.sh` again from a terminal inside your desktop session, or
  - run `MOLTEN_HEADLESS_PREVIEW=1 bash scripts/run.sh` to start it on a virtual
    display for a few seconds and save a screenshot to .artifacts/preview/screen.png.
TXT
}

# Run the app on a throw-away Xvfb display and bus, screenshot it, stop it.
headless_preview() {
  local app=$1 out="$MOLTEN_ROOT/.artifacts/preview" pid
  # shellcheck source=scripts/headless.sh
  . "$SCRIPTS_DIR/headless.sh"
  headless_stop_on_exit
  rm -rf "$out"
  mkdir -p "$out/data"
  headless_init
  headless_start_xvfb "$out/xvfb.log"
  headless_start_dbus
  export MOLTEN_DATA_DIR="$out/data/molten" XDG_DATA_HOME="$out/data/xdg-data"
  export XDG_CACHE_HOME="$out/data/xdg-cache" XDG_CONFIG_HOME="$out/data/xdg-config"
  export NO_AT_BRIDGE=1
  "$app" "$@" >"$out/app.log" 2>&1 &
  pid=$!
  headless_track "$pid"
  run_log "preview: app running (pid $pid) on DISPLAY=$DISPLAY for ${MOLTEN_PREVIEW_SECONDS:-15}s"
  sleep "${MOLTEN_PREVIEW_SECONDS:-15}"
  if ! kill -0 "$pid" 2>/dev/null; then
    run_log "preview: the app exited early; its output is in $out/app.log" >&2
    tail -n 20 "$out/app.log" >&2 || true
    return 1
  fi
  headless_root_screenshot "$out/screen.png"
  run_log "preview: screenshot saved to $out/screen.png (app log: $out/app.log)"
}

main() {
  local profile=build app
  if ! has_display; then
    if want_preview; then
      profile=preview
    else
      run_log "note: no DISPLAY or WAYLAND_DISPLAY; will install and build, but cannot open the window"
    fi
  fi
  molten_setup "$profile"

  cd "$MOLTEN_ROOT"
  cargo build -p molten-desktop
  app="$(molten_target_dir)/debug/molten-desktop"
  [[ -x $app ]] || molten_die "build finished but $app is missing"

  if has_display; then
    run_log "starting $app"
    exec "$app" "$@"
  elif want_preview; then
    headless_preview "$app" "$@"
  else
    no_display_message
    exit 2
  fi
}

main "$@"
