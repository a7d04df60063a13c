#!/bin/sh
# investigate_memory.sh KIZUKI SRCDIR WORKDIR - investigate's memory bound
# (investigate_memory.py; docs/testing.md "scenario.investigate_memory").
# Exit 77 (skipped) without python3.
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found (the breach comes from make_scenario.py)"
    exit 77
fi
rm -rf "$3"
exec python3 "$2/tests/scenarios/investigate_memory.py" "$1" "$2" "$3"
