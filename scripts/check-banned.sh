#!/usr/bin/env bash
# check-banned.sh - fails if a banned C function is used (STYLE.md rule 31):
# strcpy, strcat, sprintf, vsprintf, atoi, atol, strtok, gets.
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|strtok|gets)\s*\(' \
  --include='*.c' --include='*.h' src tests fuzz bench 2>/dev/null \
  | grep -vE '\b(snprintf|vsnprintf)\s*\(' || true)
if [ -n "$hits" ]; then
  echo "banned functions used (STYLE.md rule 31):" >&2
  echo "$hits" >&2
  exit 1
fi
