# The Makefile only wraps go commands; everything also works without make.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHCOUNT  ?= 6

.PHONY: all build test lint fuzz bench bench-hash bench-sumdb bench-snapshot bench-precommit bench-audit audit clean

all: lint test

build:
	$(GO) build -trimpath -o bin/modseal ./cmd/modseal

# The whole test suite: unit tests, script tests of the CLI, the fuzz seed
# corpora and the hygiene checks of all_test.go, under the race detector.
test:
	$(GO) test -race -count=1 -timeout 30m ./...

# actionlint checks the workflows (and, through uses: ./, action.yml's
# inputs); TestActionMetadata in cmd/modseal checks the rest of action.yml.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# Each fuzz target of every package for FUZZTIME (go test runs one -fuzz
# target at a time).
FUZZPKGS ?= ./verify ./verify/internal/modulestxt ./graph ./internal/sign ./internal/sumdbops ./internal/report/sanitize
fuzz:
	@for p in $(FUZZPKGS); do \
		for t in $$($(GO) test $$p -list '^Fuzz' | grep '^Fuzz'); do \
			echo "fuzz $$p $$t"; \
			$(GO) test $$p -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s || exit 1; \
		done; \
	done

# Micro-benchmarks (go test -bench). The bench-* targets run the scripts
# that compare modseal with its baselines on real projects; each script's
# header says what it measures. Figures: docs/performance.md.
bench:
	$(GO) test ./verify ./graph -run '^$$' -bench . -benchmem -count $(BENCHCOUNT)

bench-hash:
	scripts/bench-hash.sh

bench-sumdb:
	scripts/bench-sumdb.sh

bench-snapshot:
	scripts/bench-snapshot.sh

bench-precommit:
	scripts/bench-precommit.sh

bench-audit:
	scripts/bench-audit.sh

# modseal audits itself with every rule on.
audit:
	$(GO) run ./cmd/modseal audit .

clean:
	rm -rf bin
