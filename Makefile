# Quick loops for developers; `bash scripts/test.sh` (make test) is what CI runs.
# Generated Kitex code lives in kitex_gen/ and is committed; `make gen`
# regenerates it from idl/ (one .proto per service; base.proto holds shared
# records), with the generator pinned in tools/.
KITEX := bin/kitex
STATICCHECK := bin/staticcheck
IDL := $(filter-out idl/base.proto,$(wildcard idl/*.proto))

.PHONY: gen build run test unit e2e lint
gen:
	go -C tools build -o ../$(KITEX) github.com/cloudwego/kitex/tool/cmd/kitex
	rm -rf kitex_gen
	for f in $(IDL); do $(KITEX) -module tiktok -I idl $$f || exit 1; done
	go get github.com/cloudwego/kitex@v0.16.3
	go mod tidy

build:
	bash -c '. scripts/lib.sh && build_tiktok'

run:
	bash scripts/run.sh

# Everything CI runs: lint, unit and embedded end-to-end tests under -race,
# the browser test, then the distributed deployment.
test:
	bash scripts/test.sh

# Unit tests only: no race detector, no system started (the tests that need
# Redis or MariaDB skip when they are down; CI=true makes that a failure).
unit:
	go test -count=1 $$(go list ./... | grep -v -e /test/e2e -e /test/prod)

# The end-to-end suite against the embedded system (started in-process).
e2e:
	go test -count=1 ./test/e2e/

# gofmt, go vet and staticcheck (pinned in tools/, configured by staticcheck.conf).
lint:
	bash scripts/lint.sh
