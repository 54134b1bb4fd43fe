# DocuVault: `make run` starts the server on the embedded default (SQLite and
# local disk under ./data); `make test` runs the whole test suite.
GO ?= go

.PHONY: run build test bench clean

# The web UI is embedded from ui/dist; build it first when it is missing.
run:
	@test -f ui/dist/index.html || (cd ui && { test -d node_modules || npm ci; } && npm run build)
	$(GO) run ./cmd/docuvault serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/docuvault ./cmd/docuvault

test:
	./scripts/test.sh

bench:
	./scripts/bench.sh

clean:
	rm -rf bin
