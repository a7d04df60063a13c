#!/bin/sh
# generate.sh - rebuilds examples/scenarios/<scenario>/ (README.md): the five breaches of
# tests/tools/make_scenario.py, seed 1 each, without background events (--background none:
# no shared data goes into the repository). Deterministic: the same generator gives
# byte-identical files. Usage: examples/scenarios/generate.sh [SEED]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seed=${1:-1}
for s in mitsubishi nec toshiba mksystem oki; do
    rm -rf "${here:?}/$s"
    python3 "$top/tests/tools/make_scenario.py" --scenario "$s" --seed "$seed" \
        --background none --shapes evtx "$here"
done
