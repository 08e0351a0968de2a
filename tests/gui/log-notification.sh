#!/bin/sh
# Run by dunst (rule [log_everything] in dunstrc) once for every notification it
# receives. Appends one tab-separated line to $MOLTEN_E2E_NOTIFY_LOG:
#   id  app-name  urgency  summary  body
# Tabs and newlines inside a field become spaces, so one line is one
# notification; the GUI test (tests/tests/gui.rs) parses exactly this format.
field() { printf '%s' "$1" | tr '\t\n' '  '; }
: "${MOLTEN_E2E_NOTIFY_LOG:?set MOLTEN_E2E_NOTIFY_LOG in the environment of dunst}"
printf '%s\t%s\t%s\t%s\t%s\n' \
  "$(field "${DUNST_ID:-}")" "$(field "${DUNST_APP_NAME:-}")" "$(field "${DUNST_URGENCY:-}")" \
  "$(field "${DUNST_SUMMARY:-}")" "$(field "${DUNST_BODY:-}")" >>"$MOLTEN_E2E_NOTIFY_LOG"
