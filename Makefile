# agentgrafana: generate -> validate/lint -> promtool check -> promtool test -> live check (kubernetes-mixin style).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
OUT    := generated

.PHONY: all generate check promtool-check test test-fast lint verify-live bench bench-quick push diff preview catalog clean prometheus readme

all: generate

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,preview,lint]'
	@rm -f $(VENV)/.installed-* && touch $@

## generate: create the virtualenv if needed, validate everything, write generated/
generate: $(STAMP)
	$(BIN)/python generate.py --out $(OUT)

## check: validate, then fail listing every stale file when generated/ differs from a fresh generation
check: $(STAMP)
	$(BIN)/agentgrafana generate --check --out $(OUT)
	@$(MAKE) --no-print-directory promtool-check

## promtool-check: promtool check rules + promtool test rules on the generated files (skipped without promtool)
promtool-check:
	@if command -v promtool >/dev/null 2>&1; then \
		files="$$(ls $(OUT)/prometheus/rules/*.yaml $(OUT)/prometheus/tests/rules/*.yaml 2>/dev/null)"; \
		if [ -n "$$files" ]; then promtool check rules $$files; fi; \
		tests="$$(ls $(OUT)/prometheus/tests/*.yaml 2>/dev/null)"; \
		if [ -n "$$tests" ]; then promtool test rules $$tests; fi; \
		if command -v amtool >/dev/null 2>&1 && [ -f $(OUT)/alertmanager/alertmanager.yaml ]; then \
			amtool check-config $(OUT)/alertmanager/alertmanager.yaml; fi; \
	else echo "promtool not found: apt-get install -y prometheus (Debian) to check rule files"; fi

## prometheus: install Debian's prometheus package (promtool + server) when missing and running as root
prometheus:
	@if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 && command -v victoria-metrics >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager victoria-metrics nodejs >/dev/null; \
	else echo "promtool/prometheus/amtool/victoria-metrics/node missing: run 'sudo apt-get update && sudo apt-get install -y prometheus prometheus-alertmanager victoria-metrics nodejs'"; fi

## test: unit tests, promtool rule tests, Grafana API double, live Prometheus check
test: $(STAMP) prometheus
	$(BIN)/python tests/node/fetch.py
	$(BIN)/python -m pytest -q

## test-fast: the unit tests only (no promtool, no Prometheus, no kill -9 runs): seconds, for the edit loop
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not promtool and not live and not slow"

## lint: ruff (lint and format) and mypy, as CI runs them before the tests
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## verify-live: backfill simulated traffic into a real Prometheus and query every panel and alert
verify-live: $(STAMP) prometheus
	$(BIN)/agentgrafana verify-live --results build/live-results.json --engine $(or $(ENGINE),prometheus)

## bench: benchmarks (generation at scale, validation throughput, push round-trips, grafanalib comparison)
bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

## push: apply generated objects to Grafana (GRAFANA_URL, GRAFANA_TOKEN; see README)
push: $(STAMP)
	$(BIN)/agentgrafana push

## diff: what this branch changes, against BASE (default origin/main, else HEAD)
diff: $(STAMP)
	$(BIN)/agentgrafana diff --base $${BASE:-HEAD} --format markdown

## preview: one PNG per dashboard under preview/
preview: $(STAMP)
	$(BIN)/agentgrafana preview --out preview

catalog: $(STAMP)
	$(BIN)/agentgrafana catalog

clean:
	rm -rf $(VENV) build preview .pytest_cache

## readme: refresh the README's configuration reference and metric catalog from the code
readme: $(STAMP)
	$(BIN)/agentgrafana readme
