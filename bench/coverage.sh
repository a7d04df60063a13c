#!/bin/sh
# coverage.sh KIZUKI [coverage.py options] - ATT&CK coverage of kizuki's pack (and pack +
# SigmaHQ) on the shared EVTX-to-MITRE-Attack samples; see bench/coverage.py and the
# "Coverage" section of bench/README.md. Example, updating that section:
#   bench/coverage.sh build/kizuki --write-readme bench/README.md
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kz=${1:-build/kizuki}
[ $# -gt 0 ] && shift
exec python3 "$here/coverage.py" --kizuki "$kz" "$@"
