#!/usr/bin/env bash
# Dev-only: screenshot every page in light/dark x en/zh-CN with headless
# Chromium against the mock preview, and fail on browser console errors.
#
#   bash tests/ui/shoot.sh [OUT_DIR]        (default: a fresh temp dir)
#   CHROMIUM=chromium PORT=8765 SIZE=1080,720 bash tests/ui/shoot.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$(mktemp -d -t molten-ui-XXXXXX)}"
port="${PORT:-8765}"
size="${SIZE:-1080,720}"
browser="${CHROMIUM:-chromium}"
mkdir -p "$out"

python3 "$here/serve.py" --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done

shot() { # name url [size]
  local profile
  profile="$(mktemp -d)"
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size="${3:-$size}" \
    --virtual-time-budget="${BUDGET:-4000}" --enable-logging=stderr --v=0 \
    --screenshot="$out/$1.png" "$2" 2>"$out/$1.log" >/dev/null || true
  rm -rf "$profile"
}

for lang in en zh-CN; do
  for theme in light dark; do
    for page in chat reminders channels permissions audit settings; do
      shot "$page-$theme-$lang" "http://127.0.0.1:$port/?lang=$lang&theme=$theme#/$page"
    done
  done
done
shot "chat-startup-error-en" "http://127.0.0.1:$port/?lang=en&theme=light&startup_error=1#/chat"
shot "reminders-empty-zh-CN" "http://127.0.0.1:$port/?lang=zh-CN&theme=dark&empty=1#/reminders"
shot "permissions-empty-en" "http://127.0.0.1:$port/?lang=en&theme=light&empty=1#/permissions"
shot "permissions-problem-zh-CN" "http://127.0.0.1:$port/?lang=zh-CN&theme=light&perm_problem=1#/permissions"
shot "permissions-tall-dark-en" "http://127.0.0.1:$port/?lang=en&theme=dark#/permissions" 1080,2200
shot "audit-empty-zh-CN" "http://127.0.0.1:$port/?lang=zh-CN&theme=dark&empty=1#/audit"
shot "audit-failed-en" "http://127.0.0.1:$port/?lang=en&theme=light&fail=audit_list#/audit"
# The window's minimum width: the matrix and the audit table scroll sideways.
shot "permissions-720-light-en" "http://127.0.0.1:$port/?lang=en&theme=light#/permissions" 720,1400
shot "permissions-720-dark-zh-CN" "http://127.0.0.1:$port/?lang=zh-CN&theme=dark#/permissions" 720,1400
shot "audit-720-light-zh-CN" "http://127.0.0.1:$port/?lang=zh-CN&theme=light#/audit" 720,900

# Console messages from the page show up as "CONSOLE" / "Uncaught" lines.
if grep -hE 'CONSOLE|Uncaught|Content Security Policy|Refused to' "$out"/*.log; then
  echo "console errors found (see $out/*.log)" >&2
  exit 1
fi
echo "screenshots in $out"
