#!/usr/bin/env bash
# The linters CI runs: gofmt, go vet and staticcheck (pinned in tools/go.mod,
# checks chosen in staticcheck.conf). Generated code (kitex_gen/) is skipped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^kitex_gen/') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
[ -x bin/staticcheck ] && [ bin/staticcheck -nt tools/go.mod ] ||
  go -C tools build -o ../bin/staticcheck honnef.co/go/tools/cmd/staticcheck
bin/staticcheck $(go list ./... | grep -v '/kitex_gen/')
