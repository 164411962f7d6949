#!/usr/bin/env bash
# The test command: formatting, vet, then every test (unit and end-to-end,
# under the race detector). Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_ffmpeg

unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^kitex_gen/') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 30m ./... "$@"
