#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (each `func Fuzz...` in a
# *_test.go file) for FUZZTIME each (default 10s), one after another, and
# fails if any fails. CI calls it after the unit tests. A failing input is
# written to the package's testdata/fuzz/<FuzzName>/: once the bug is fixed,
# commit it as a regression seed (`go test` replays that folder every run).
#   FUZZTIME=1m bash scripts/fuzz.sh      longer runs
#   bash scripts/fuzz.sh FuzzNameKey      only the targets named
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}

failed=()
while IFS= read -r file; do
  dir=./$(dirname "${file#./}")
  for name in $(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$file"); do
    if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
    echo "== $name ($dir, $FUZZTIME)"
    # -run '^$': only the fuzzing, the package's tests run elsewhere.
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir" || failed+=("$name")
  done
done < <(grep -rl --include='*_test.go' --exclude-dir=node_modules --exclude-dir='.?*' '^func Fuzz' . | sort)

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
