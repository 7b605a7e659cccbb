# redline — every entry point a user or CI needs. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# macOS ships make 3.81, which ignores .SHELLFLAGS: a recipe line running more than one command
# starts with $(STRICT) so that a failure stops it there too.
STRICT := set -eu -o pipefail;
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Pinned versions (NODE_VERSION, KIND_VERSION, KPS_VERSION, …): one file for make, bash and TypeScript.
include $(CURDIR)/versions.env

TOOLS := $(or $(REDLINE_TOOLS_DIR),$(CURDIR)/.tools)
export REDLINE_TOOLS_DIR := $(TOOLS)
export PATH := $(TOOLS)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

# Local stack defaults (make local PORT=… PROMETHEUS_PORT=…)
HOST ?= 127.0.0.1
PORT ?= 8080
PROMETHEUS_PORT ?= 9090
ALERTMANAGER_PORT ?= 9093
RECEIVER_PORT ?= 9095
LOAD_RATE ?= 20

# Test tiers: each target runs one spec set and prints its own "N passed, N failed" line;
# .mocharc.yaml holds what they share (reporter, timeout), so `mocha FILE…` runs just those files.
#   unit         each part's own tests, beside its source (service/, packages/red-metrics/, scripts/, charts/redline/) and
#                the repository's configuration (test/repo/): fast, the tier to run while editing
#   integration  suites across components with a real Prometheus 3 and 2 (test/integration/)
#   hardening    hostile clients against the real service (test/hardening/), and as root the
#                same inside a 256 MiB memory cgroup (test/memory/)
#   container    the image, built and run by podman (test/container/)
#   release      make release-check for real: registry, arm64 build, signing (test/release/)
UNIT_SPECS := 'service/test/**/*.test.ts' 'packages/red-metrics/test/**/*.test.ts' 'scripts/test/**/*.test.ts' 'charts/redline/test/**/*.test.ts' 'test/repo/**/*.test.ts'
INTEGRATION_SPECS := 'test/integration/**/*.test.ts'
HARDENING_SPECS := 'test/hardening/**/*.test.ts'
CONTAINER_SPECS := 'test/container/**/*.test.ts'
RELEASE_SPECS := 'test/release/**/*.test.ts'
# `biome ci` checks formatting as well as lint rules; `biome lint` checks the rules only.
BIOME_CHECK ?= ci

.PHONY: help bootstrap bootstrap-prometheus test test-integration test-hardening test-all lint lint-biome format typecheck local smoke-local drill start loadgen

help: ## Show this help
	@$(STRICT) if [ -t 1 ]; then on='\033[36m' off='\033[0m'; else on='' off=''; fi; \
	awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %s%-16s%s %s\n", on, $$1, off, $$2}' $(MAKEFILE_LIST)

bootstrap: ## Install pinned tools under .tools/: Node 24, npm deps; helm and kubectl when missing
	@scripts/bootstrap.sh

bootstrap-prometheus: bootstrap ## Install prometheus, promtool, alertmanager and amtool (needed by local, drill and test only)
	@scripts/bootstrap.sh prometheus

test: lint bootstrap-prometheus ## Lint, then the unit tests of every part (about 2 minutes; run it while editing)
	@mocha $(UNIT_SPECS)

test-integration: bootstrap-prometheus ## Suites across components on a real Prometheus 3 and 2: scrape, rules, dashboard queries, smoke, make local
	@mocha $(INTEGRATION_SPECS)

test-hardening: bootstrap ## Hostile clients against the real service; as root also inside a 256 MiB memory cgroup (make hardening)
	@mocha $(HARDENING_SPECS)
	@$(STRICT) if [ "$$(id -u)" = 0 ]; then $(MAKE) hardening; else echo "test-hardening: the memory-cgroup specs need root (sudo make hardening); skipped"; fi

# Every tier, each with its own tally; .ci/run sums them. Keeps going after a failing tier.
test-all: ## Every tier: test, test-integration, test-hardening, test-container, test-release (.ci/run; about 15 minutes)
	@$(STRICT) status=0; for tier in test test-integration test-hardening test-container test-release; do \
	  echo "== make $$tier"; $(MAKE) $$tier || status=1; \
	done; exit $$status

lint: typecheck lint-biome ## tsc, biome, helm lint --strict, dclint, the Dockerfile lint and promtool check rules
	@$(MAKE) chart-lint compose-lint lint-dockerfile rules

# Colours only on a terminal: a log or CI page gets plain text.
lint-biome: bootstrap ## Biome's formatting and lint rules over the tree
	@$(STRICT) if [ -t 1 ] && [ -t 2 ]; then colors=; else colors=--colors=off; fi; biome $(BIOME_CHECK) $$colors .

format: bootstrap ## Format the TypeScript in place with Biome (biome.json) and apply its safe lint fixes
	@biome check --write .

typecheck: bootstrap ## Type-check with tsc --noEmit
	@tsc --noEmit -p tsconfig.json

local: bootstrap bootstrap-prometheus ## Run service + load generator + real Prometheus and Alertmanager, print a live RED summary and alerts
	@node scripts/local.ts --host=$(HOST) --port=$(PORT) --prometheus-port=$(PROMETHEUS_PORT) --alertmanager-port=$(ALERTMANAGER_PORT) --receiver-port=$(RECEIVER_PORT) --rate=$(LOAD_RATE) --grafana-port=$(GRAFANA_PORT)

# scripts/local.ts labels its one target namespace="local", job="redline", in scrape pool "redline".
smoke-local: bootstrap ## Prove the stack of `make local` (same HOST, PROMETHEUS_PORT) with the smoke checks
	@node scripts/smoke.ts --prometheus-url http://$(HOST):$(PROMETHEUS_PORT) --namespace local --job redline --scrape-pool redline $(SMOKE_ARGS)

# Against a running `make local` (same HOST and ports): its rules swapped for short-window ones, then put back.
drill: bootstrap ## Fire drill against make local: break the service, watch the page fire, notify and resolve (about 3 minutes)
	@node scripts/drill.ts --prometheus-url http://$(HOST):$(PROMETHEUS_PORT) --alertmanager-url http://$(HOST):$(ALERTMANAGER_PORT) --receiver-url http://$(HOST):$(RECEIVER_PORT) --service-url http://$(HOST):$(PORT) $(DRILL_ARGS)

start: bootstrap ## Run the service alone on $(HOST):$(PORT)
	@HOST=$(HOST) PORT=$(PORT) node service/src/main.ts

loadgen: bootstrap ## Drive traffic at http://$(HOST):$(PORT) (LOAD_RATE req/s, DURATION)
	@node service/src/loadgen/main.ts --target=http://$(HOST):$(PORT) --rate=$(LOAD_RATE) --duration=$${DURATION:-60s}

# Each area adds its own targets in make/*.mk (chart, container, kind, bench).
-include make/*.mk
