# Generated Kitex code lives in kitex_gen/ and is committed; regenerate after editing idl/.
KITEX := bin/kitex
SERVICES := user feed publish favorite comment relation message

.PHONY: gen build run test
gen:
	go -C tools build -o ../bin/kitex github.com/cloudwego/kitex/tool/cmd/kitex
	rm -rf kitex_gen
	for s in $(SERVICES); do $(KITEX) -module tiktok -I idl idl/$$s.proto || exit 1; done
	go get github.com/cloudwego/kitex@v0.16.3
	go mod tidy

build:
	go build -o bin/tiktok ./cmd/tiktok

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh
