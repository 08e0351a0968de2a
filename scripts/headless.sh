# shellcheck shell=bash
# Molten: a throw-away desktop session for tests and previews. Sourced, not run.
#
# Starts, on demand, a virtual X server on an unused display, a private D-Bus
# session bus and a logging notification daemon, and exports DISPLAY and
# DBUS_SESSION_BUS_ADDRESS so that everything started afterwards (the app, its
# WebKit processes, tauri-driver) lives inside that session and nothing leaks
# onto the user's real desktop or bus.
#
# Every process started here is recorded; `headless_stop` (installed by
# `headless_stop_on_exit`) ends exactly those, never anything found by name, so
# leftovers of an earlier run or another user's session are left alone.

HEADLESS_PIDS=()    # processes to TERM, in start order
HEADLESS_GROUPS=()  # process groups we own (leaders we started), TERMed as a whole
HEADLESS_RUNTIME="" # private temp dir: bus socket, XDG_RUNTIME_DIR

hl_log() { printf '[headless] %s\n' "$*"; }

# The process group of a pid, read from /proc so that `ps` is not needed.
hl_pgid() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }
  # fields after the command name: state ppid pgrp ... (split on purpose)
  # shellcheck disable=SC2086
  set -- $rest
  printf '%s\n' "$3"
}

# Remember a started process. With `group`, its whole process group is ended
# later too (used for setsid'ed leaders whose children we also own).
headless_track() {
  local pid=$1 mode=${2:-} i
  if [[ $mode == group ]]; then
    # A process started as `setsid CMD &` becomes its own group leader only
    # once setsid has run; until then it still shares *our* group, which must
    # never be signalled. Wait briefly for the switch.
    for i in $(seq 1 50); do
      if [[ "$(hl_pgid "$pid" || true)" == "$pid" ]]; then
        HEADLESS_GROUPS+=("$pid")
        return 0
      fi
      sleep 0.02
    done
  fi
  HEADLESS_PIDS+=("$pid")
}

# A short private directory for the bus socket: unix socket paths are limited
# to 107 bytes, which a deep checkout under .artifacts could exceed.
headless_init() {
  HEADLESS_RUNTIME=$(mktemp -d "${TMPDIR:-/tmp}/molten-session.XXXXXX")
  chmod 700 "$HEADLESS_RUNTIME"
  mkdir -p "$HEADLESS_RUNTIME/xdg-runtime"
  chmod 700 "$HEADLESS_RUNTIME/xdg-runtime"
  export XDG_RUNTIME_DIR="$HEADLESS_RUNTIME/xdg-runtime"
}

# Start Xvfb on the first display number that has neither a lock file nor a
# socket. Two runs can still race for the same number; Xvfb then exits and we
# move on to the next one.
headless_start_xvfb() {
  local log=$1 geometry=${2:-1280x800x24} n pid i
  for n in $(seq "${MOLTEN_XVFB_FIRST_DISPLAY:-90}" 250); do
    [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] && continue
    Xvfb ":$n" -screen 0 "$geometry" -nolisten tcp -noreset >"$log" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
      if ! kill -0 "$pid" 2>/dev/null; then
        break
      fi
      if xdpyinfo -display ":$n" >/dev/null 2>&1; then
        headless_track "$pid"
        export DISPLAY=":$n"
        hl_log "Xvfb on DISPLAY=$DISPLAY (pid $pid, $geometry)"
        return 0
      fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    hl_log "display :$n unusable, trying the next one (see $log)"
  done
  hl_log "no free X display found" >&2
  return 1
}

# A session bus of our own. `--fork` makes the daemon a session leader, so its
# process group also holds whatever it activates (at-spi, ...), and ending the
# group ends those too.
headless_start_dbus() {
  local sock="$HEADLESS_RUNTIME/bus" pidfile="$HEADLESS_RUNTIME/dbus.pid" i pid=""
  dbus-daemon --session --fork --nopidfile --address="unix:path=$sock" --print-pid >"$pidfile"
  for i in $(seq 1 100); do
    pid=$(head -n1 "$pidfile" 2>/dev/null || true)
    [[ -n "$pid" && -S "$sock" ]] && break
    sleep 0.05
  done
  [[ -n "$pid" && -S "$sock" ]] || { hl_log "dbus-daemon did not come up" >&2; return 1; }
  headless_track "$pid" group
  export DBUS_SESSION_BUS_ADDRESS="unix:path=$sock"
  hl_log "private session bus $DBUS_SESSION_BUS_ADDRESS (pid $pid)"
}

# Who owns a bus name, without triggering D-Bus activation of a service (a plain
# call to org.freedesktop.Notifications would auto-start a second, unconfigured
# dunst from /usr/share/dbus-1/services and race ours for the name).
hl_name_owner_pid() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" 2>/dev/null |
    awk '{print $NF}'
}

# dunst with the config given; waits until it, and not some other process, owns
# org.freedesktop.Notifications on our bus.
headless_start_dunst() {
  local config=$1 log=$2 pid i
  dunst -config "$config" >"$log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { hl_log "dunst exited early (see $log)" >&2; return 1; }
    if [[ "$(hl_name_owner_pid org.freedesktop.Notifications)" == "$pid" ]]; then
      headless_track "$pid"
      hl_log "dunst owns org.freedesktop.Notifications (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  hl_log "dunst did not take org.freedesktop.Notifications (see $log)" >&2
  return 1
}

# Screenshot of the whole virtual screen. Debian's `import` is called by its
# full path because some machines put a different `convert`/`import` first on PATH.
headless_root_screenshot() {
  local out=$1 import=/usr/bin/import
  [[ -x $import ]] || import=$(command -v import || true)
  [[ -n $import ]] || { hl_log "no ImageMagick import; no root screenshot" >&2; return 1; }
  "$import" -display "$DISPLAY" -window root "$out"
}

# Call once, in the shell that starts the session: stop everything when that
# shell exits, including on Ctrl-C or `kill` (bash runs no EXIT trap for a
# signal it has no trap of its own for).
headless_stop_on_exit() {
  trap headless_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# End what we started, newest first: groups (tauri-driver and the app it
# launched, the bus and its activated services) and then single processes.
headless_stop() {
  local i pid
  for ((i = ${#HEADLESS_GROUPS[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${HEADLESS_GROUPS[i]}" 2>/dev/null || true
  done
  for ((i = ${#HEADLESS_PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${HEADLESS_PIDS[i]}" 2>/dev/null || true
  done
  # Give them a moment, then insist on the ones that ignored TERM.
  for i in $(seq 1 30); do
    local alive=0
    for pid in "${HEADLESS_GROUPS[@]}" "${HEADLESS_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${HEADLESS_GROUPS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  for pid in "${HEADLESS_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  HEADLESS_GROUPS=()
  HEADLESS_PIDS=()
  [[ -n $HEADLESS_RUNTIME ]] && rm -rf "$HEADLESS_RUNTIME"
  HEADLESS_RUNTIME=""
}
