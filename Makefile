# The Makefile only wraps go commands; everything also works without make.
SHELL       := /bin/bash
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHCOUNT  ?= 6

.PHONY: all build test test-unit test-cli test-race-scripts test-scripts lint fuzz bench bench-hash bench-sumdb bench-snapshot bench-precommit bench-audit bench-scale audit release-check clean

all: lint test

build:
	$(GO) build -trimpath -o bin/modseal ./cmd/modseal

# The whole test suite: every test of every package, the script tests of
# the CLI (cmd/modseal/testdata/script), the fuzz seed corpora and the
# hygiene checks of all_test.go, as four jobs run side by side, each
# printing as it goes:
#   test-unit     every package but cmd/modseal, race detector;
#   test-cli      cmd/modseal's tests but the scripts, race detector;
#   test-race-scripts
#                 the scripts of RACE_SCRIPTS, on the race-built modseal (the
#                 test binary itself): those that drive every concurrent path
#                 of an audit (hashing with --jobs, the checks run side by
#                 side, the checksum-database client, the snapshot's
#                 per-platform listing, workspaces, vendoring);
#   test-scripts  every other script, on a modseal built without the race
#                 detector: the race-built binary is several times slower as
#                 the scripts' modseal, and they check behaviour, not races.
# Each script runs once. cmd/modseal's tests and scripts are named as they
# finish; a failure prints the failed tests' output. `go test -race ./...`
# still runs everything on the race-built binary (slower, same tests).
TESTBIN      ?= $(CURDIR)/bin/test
TESTTIMEOUT  ?= 30m
RACE_SCRIPTS ?= audit_clean hash_verify sumdb snapshot_determinism workspace vendor cold_tampered
empty        :=
space        := $(empty) $(empty)
ALL_SCRIPTS  := $(basename $(notdir $(wildcard cmd/modseal/testdata/script/*.txtar)))
race_re      := $(subst $(space),|,$(strip $(RACE_SCRIPTS)))

test:
	@$(MAKE) --no-print-directory -j4 test-unit test-cli test-race-scripts test-scripts

test-unit:
	@echo "== test-unit: every package but cmd/modseal, race detector"
	$(GO) test -race -count=1 -timeout $(TESTTIMEOUT) $$($(GO) list ./... | grep -v '/cmd/modseal$$')

test-cli:
	@echo "== test-cli: cmd/modseal's tests but the scripts, race detector"
	@$(call verbose,cli,$(GO) test -race -count=1 -timeout $(TESTTIMEOUT) -v -skip '^TestScripts$$' ./cmd/modseal)

test-race-scripts:
	@test -z "$(filter-out $(ALL_SCRIPTS),$(RACE_SCRIPTS))" || { echo "RACE_SCRIPTS: no script $(filter-out $(ALL_SCRIPTS),$(RACE_SCRIPTS)) in cmd/modseal/testdata/script"; exit 2; }
	@echo "== test-race-scripts: on the race-built modseal: $(RACE_SCRIPTS)"
	@$(call verbose,race-scripts,$(GO) test -race -count=1 -timeout $(TESTTIMEOUT) -v -run '^TestScripts$$/^($(race_re))$$' ./cmd/modseal)

test-scripts:
	@echo "== test-scripts: the other scripts, on modseal built without the race detector"
	$(GO) build -buildvcs=false -o $(TESTBIN)/modseal ./cmd/modseal
	@$(call verbose,scripts,MODSEAL_TEST_BIN=$(TESTBIN)/modseal $(GO) test -count=1 -timeout $(TESTTIMEOUT) -v -run '^TestScripts$$' -skip '^TestScripts$$/^($(race_re))$$' ./cmd/modseal)

# $(call verbose,NAME,COMMAND) runs a verbose go test COMMAND and shows one
# line per finished test and script as it finishes (the full output goes to
# $(TESTBIN)/NAME.log); on failure, the output of the failed tests.
define verbose
mkdir -p $(TESTBIN); log=$(TESTBIN)/$(1).log; echo "$(2)"; \
$(2) > >(tee $$log | awk '$$1 == "===" { cur = $$3 } \
	$$1 == "---" && ($$2 == "FAIL:" || $$3 !~ /^TestScripts\//) || /^(ok|FAIL|panic:)([ \t]|$$)/ { print; fflush(); next } \
	/^        PASS$$/ && cur ~ /^TestScripts\// { print "    ok   " cur; fflush() } \
	/^        FAIL: testdata\/script\// { print "    FAIL " cur; fflush() }') 2>&1; st=$$?; wait; \
if [ $$st -ne 0 ]; then \
	echo "== output of the failed tests (all of it: $$log)"; \
	awk 'NR == FNR { if ($$1 == "---" && $$2 == "FAIL:") failed[$$3] = 1; next } \
		$$1 == "===" { p = ($$3 in failed); next } \
		$$1 == "---" { p = ($$3 in failed) } \
		p || /^(FAIL|panic:)/' $$log $$log; \
fi; exit $$st
endef

# actionlint checks the workflows (and, through uses: ./, action.yml's
# inputs); TestActionMetadata in cmd/modseal checks the rest of action.yml.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# Each fuzz target of every package for FUZZTIME (go test runs one -fuzz
# target at a time).
FUZZPKGS ?= ./verify ./verify/internal/modulestxt ./graph ./internal/sign ./internal/sumdbops ./internal/report/sanitize ./internal/envscan
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

bench-scale:
	scripts/bench-scale.sh

# modseal audits itself with every rule on.
audit:
	$(GO) run ./cmd/modseal audit .

# goreleaser check, then a local snapshot release in dist/ and a check of
# what it built (scripts/release-check.sh; docs/release.md). The first run
# builds goreleaser (minutes), so it is not part of test, lint or CI.
release-check:
	scripts/release-check.sh

clean:
	rm -rf bin dist
