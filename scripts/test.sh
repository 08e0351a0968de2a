#!/usr/bin/env bash
# Molten: install everything the checks need, then run them all, in order.
#
#   bash scripts/test.sh            # every step below
#   bash scripts/test.sh gui        # only the named step(s), e.g. `build gui`
#   bash scripts/test.sh --list     # the step names
#
# Steps: setup, fmt, clippy, build, test, gui, bench. Each prints a header; the
# first failure stops the run with its exit code and says where the logs are.
#
# Artifacts go to .artifacts/ in the repository (gitignored), fresh each run:
#   .artifacts/logs/N-<step>.log    the output of every step
#   .artifacts/gui/                 the GUI end-to-end run: window.png (WebDriver
#                                   screenshot), screen.png (whole Xvfb screen),
#                                   page.html, diagnostics.txt (on failure),
#                                   notifications.tsv (what dunst got),
#                                   app.log (the app's output), tauri-driver.log,
#                                   xvfb.log, dunst.log and the app's data dirs.
#
# The GUI step runs the real app in a throw-away session: its own Xvfb display
# (first unused number), its own D-Bus session bus, dunst logging every
# notification, and tauri-driver on free ports. Only processes started by this
# script are stopped, so it is safe to run twice, or next to a previous run's
# leftovers.
set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOLTEN_ROOT=$(cd "$SCRIPTS_DIR/.." && pwd)
export MOLTEN_ROOT
ARTIFACTS="$MOLTEN_ROOT/.artifacts"
ALL_STEPS=(setup fmt clippy build test gui bench)
# The GUI test must not find a previous run's settings in the environment: the
# `test` step relies on it skipping itself.
unset MOLTEN_E2E_APP MOLTEN_E2E_WEBDRIVER MOLTEN_E2E_NOTIFY_LOG MOLTEN_E2E_ARTIFACTS MOLTEN_E2E_KEEP_SESSION

# shellcheck source=scripts/setup.sh
. "$SCRIPTS_DIR/setup.sh"
# shellcheck source=scripts/headless.sh
. "$SCRIPTS_DIR/headless.sh"

step_setup() { molten_setup test; }
step_fmt() { cargo fmt --all -- --check; }
step_clippy() { cargo clippy --workspace --all-targets -- -D warnings; }
step_build() { cargo build --workspace --all-targets; }
step_test() { cargo test --workspace; }
# The idle figure measures the release `molten` binary, so build it first.
step_bench() {
  cargo build --release -p molten-cli
  cargo bench -p molten-engine --bench pipeline -- --messages 2000
}

# A TCP port on 127.0.0.1 that nothing answers on right now. A connect attempt
# through bash's /dev/tcp needs no extra tool.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  return 1
}

# tauri-driver in its own process group: it starts WebKitWebDriver, which starts
# the app and the app its WebKit processes; ending the group ends all of them.
# Retries with other ports if another process grabbed one in the meantime.
start_tauri_driver() {
  local log=$1 port native pid try
  for try in 1 2 3; do
    port=$(free_port)
    native=$(free_port)
    [[ $port != "$native" ]] || continue
    printf '[gui] tauri-driver --port %s --native-port %s (try %s)\n' "$port" "$native" "$try"
    setsid tauri-driver --port "$port" --native-port "$native" >>"$log" 2>&1 &
    pid=$!
    headless_track "$pid" group
    # -f: before WebKitWebDriver is up, tauri-driver answers with an error.
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      if curl -sf --max-time 2 "http://127.0.0.1:$port/status" >/dev/null; then
        export MOLTEN_E2E_WEBDRIVER="http://127.0.0.1:$port"
        printf '[gui] tauri-driver ready at %s\n' "$MOLTEN_E2E_WEBDRIVER"
        return 0
      fi
      sleep 0.1
    done
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  printf '[gui] tauri-driver did not answer /status (see %s)\n' "$log" >&2
  return 1
}

# Wait until the notification log has a line containing $1.
wait_for_notification() {
  local needle=$1
  for _ in $(seq 1 50); do
    grep -qF -- "$needle" "$MOLTEN_E2E_NOTIFY_LOG" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# dunst, logging through tests/gui/log-notification.sh, then a probe
# notification: if the probe is not logged, the harness is broken, not the app.
start_notifications() {
  local gui=$1
  cp "$MOLTEN_ROOT/tests/gui/log-notification.sh" "$gui/log-notification.sh"
  chmod +x "$gui/log-notification.sh"
  sed "s|@LOG_SCRIPT@|$gui/log-notification.sh|" "$MOLTEN_ROOT/tests/gui/dunstrc" >"$gui/dunstrc"
  export MOLTEN_E2E_NOTIFY_LOG="$gui/notifications.tsv"
  : >"$MOLTEN_E2E_NOTIFY_LOG"
  headless_start_dunst "$gui/dunstrc" "$gui/dunst.log"
  notify-send -a molten-e2e-harness 'harness probe' 'dunst logs notifications'
  if ! wait_for_notification 'harness probe'; then
    printf '[gui] dunst did not log the probe notification (see %s)\n' "$gui" >&2
    return 1
  fi
  printf '[gui] dunst logs notifications to %s\n' "$MOLTEN_E2E_NOTIFY_LOG"
  # clear the probe off the screen so the screenshots show only the app's own
  dunstctl close-all 2>/dev/null || true
}

# A shell script that replaces itself with the app (same pid, same arguments)
# after pointing stdout and stderr at a log file.
write_app_launcher() {
  local app=$1 log=$2
  printf '#!/bin/sh\n'
  printf '# Written by scripts/test.sh: starts the app with its output kept in a log.\n'
  printf 'exec %q "$@" >>%q 2>&1\n' "$app" "$log"
}

# The GUI end-to-end test (tests/tests/gui.rs) against the built app.
step_gui() {
  local gui="$ARTIFACTS/gui" app rc=0
  rm -rf "$gui"
  mkdir -p "$gui"
  # Runs in a subshell (see run_step), so this trap fires when the step ends.
  headless_stop_on_exit

  # A no-op after the build step; builds what is missing when run alone.
  # --workspace keeps cargo's feature resolution identical to the build step.
  cargo build --workspace --all-targets
  app="$(molten_target_dir)/debug/molten-desktop"
  [[ -x $app ]] || { printf '[gui] no app binary at %s\n' "$app" >&2; return 1; }

  headless_init
  headless_start_xvfb "$gui/xvfb.log"
  headless_start_dbus

  # Keep every file the app (and WebKit, GTK, mesa) writes inside the run.
  export MOLTEN_DATA_DIR="$gui/data/molten"
  export XDG_DATA_HOME="$gui/data/xdg-data"
  export XDG_CACHE_HOME="$gui/data/xdg-cache"
  export XDG_CONFIG_HOME="$gui/data/xdg-config"
  mkdir -p "$MOLTEN_DATA_DIR" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME"
  # No accessibility bridge: it would start at-spi services we do not need.
  export NO_AT_BRIDGE=1
  export RUST_LOG=${RUST_LOG:-info}
  # Plain text in app.log rather than terminal colour codes.
  export NO_COLOR=1

  start_notifications "$gui"
  start_tauri_driver "$gui/tauri-driver.log"

  # WebKitWebDriver discards the output of the program it starts, so the test
  # starts this launcher instead: the app itself, with its log kept.
  write_app_launcher "$app" "$gui/app.log" >"$gui/launch-app.sh"
  chmod +x "$gui/launch-app.sh"
  export MOLTEN_E2E_APP="$gui/launch-app.sh"
  export MOLTEN_E2E_ARTIFACTS="$gui"
  # The test leaves the window open so the screenshot below can see it; the
  # EXIT trap then ends tauri-driver's group, the app included.
  export MOLTEN_E2E_KEEP_SESSION=1
  # The test's failure message says what it saw; a backtrace of the test
  # harness would only bury it (the app keeps RUST_BACKTRACE as it was).
  # --foreground: stay in our process group, so Ctrl-C reaches the test.
  RUST_BACKTRACE=0 timeout --foreground -k 10 600 cargo test --workspace --test gui -- --nocapture || rc=$?

  if headless_root_screenshot "$gui/screen.png"; then
    printf '[gui] root screenshot: %s\n' "$gui/screen.png"
  fi
  return "$rc"
}

# The step's position in the full run (1-based): stable log names and headers
# whether all steps run or only some.
step_number() {
  local i
  for i in "${!ALL_STEPS[@]}"; do
    [[ ${ALL_STEPS[i]} != "$1" ]] || { echo $((i + 1)); return 0; }
  done
}

# Run one step with a header, its output also in .artifacts/logs/.
run_step() {
  local name=$1 n log rc started=$SECONDS
  n=$(step_number "$name")
  log="$ARTIFACTS/logs/$n-$name.log"
  printf '\n==> [%d/%d] %s: %s\n' "$n" "${#ALL_STEPS[@]}" "$name" "$(step_description "$name")"
  # The subshell keeps each step's exports and traps to itself. It must not sit
  # in a `||` list: bash would then ignore `set -e` inside it.
  set +e
  (
    set -e
    cd "$MOLTEN_ROOT"
    "step_$name"
  ) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  if [[ $rc -ne 0 ]]; then
    printf '\n==> FAILED: step "%s" (exit %d) after %ds\n' "$name" "$rc" "$((SECONDS - started))"
    printf '    log:       %s\n' "$log"
    printf '    artifacts: %s\n' "$ARTIFACTS"
    [[ $name == gui ]] && printf '    gui run:   %s (window.png, screen.png, page.html, diagnostics.txt, notifications.tsv, app.log)\n' "$ARTIFACTS/gui"
    exit "$rc"
  fi
  printf '==> ok: %s (%ds)\n' "$name" "$((SECONDS - started))"
}

step_description() {
  case $1 in
    setup) echo "apt packages, Rust components, tauri-driver" ;;
    fmt) echo "cargo fmt --all -- --check" ;;
    clippy) echo "cargo clippy --workspace --all-targets -- -D warnings" ;;
    build) echo "cargo build --workspace --all-targets" ;;
    test) echo "cargo test --workspace" ;;
    gui) echo "GUI end to end: Xvfb + private D-Bus + dunst + tauri-driver, cargo test --test gui" ;;
    bench) echo "cargo bench -p molten-engine --bench pipeline -- --messages 2000" ;;
  esac
}

main() {
  local steps=("$@") s
  if [[ ${1:-} == --list ]]; then
    printf '%s\n' "${ALL_STEPS[@]}"
    return 0
  fi
  [[ ${#steps[@]} -gt 0 ]] || steps=("${ALL_STEPS[@]}")
  for s in "${steps[@]}"; do
    [[ " ${ALL_STEPS[*]} " == *" $s "* ]] || { echo "unknown step '$s'; steps: ${ALL_STEPS[*]}" >&2; return 2; }
  done
  # A full run starts from an empty artifacts dir; a partial one keeps the rest.
  if [[ $# -eq 0 ]]; then
    rm -rf "$ARTIFACTS"
  fi
  mkdir -p "$ARTIFACTS/logs"
  # Later steps need cargo (and tauri-driver) on PATH; setup runs in a
  # subshell, so pick up a freshly installed toolchain here as well.
  [[ " ${steps[*]} " == *" setup "* ]] || molten_ensure_rust >/dev/null
  for s in "${steps[@]}"; do
    run_step "$s"
    [[ $s != setup ]] || molten_ensure_rust >/dev/null
  done
  printf '\n==> all %d step(s) passed; artifacts in %s\n' "${#steps[@]}" "$ARTIFACTS"
}

# Sourcing the file (to reuse a helper while debugging the harness) runs nothing.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
