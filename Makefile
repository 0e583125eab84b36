# Växel: the two commands are `make run` and `make test`; everything else is a step they call.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
TOOLS := .tools
BUF := $(TOOLS)/node_modules/.bin/buf
BUF_VERSION := 1.75.0

.PHONY: help install promtool h2load run test lint typecheck proto proto-check buf-lint unit integration bench soak clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(BUF) promtool  ## create .venv and install everything (pinned, editable)

# promtool (tests/deploy) comes with Debian's prometheus package; apt-get only as root, never through sudo.
promtool:
	@command -v promtool >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	  else \
	    echo "promtool is missing: install Debian's prometheus package (apt-get install prometheus) as root" >&2; exit 1; \
	  fi; }

# h2load (make bench: the tenant API's server-side read rate) comes with Debian's nghttp2-client package.
h2load:
	@command -v h2load >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nghttp2-client; \
	  else \
	    echo "h2load is missing: install Debian's nghttp2-client package as root; make bench goes on without it" >&2; \
	  fi; }

$(BUF):
	mkdir -p $(TOOLS)
	cd $(TOOLS) && npm install --silent --no-audit --no-fund --prefix . @bufbuild/buf@$(BUF_VERSION)

proto: $(STAMP)  ## regenerate the Python code from proto/
	$(PY) -m scripts.gen_proto

buf-lint: $(BUF)  ## lint the contracts
	cd proto && ../$(BUF) lint

lint: install buf-lint  ## ruff, mypy --strict, buf lint, generated code fresh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PY) -m scripts.gen_proto --check

test: lint  ## install, lint and run every test
	$(BIN)/pytest -q

unit: install  ## only the fast unit tests
	$(BIN)/pytest -q tests/unit

run: install  ## the main job: broker, the services, four client companies simulated, live view
	$(PY) -m vaxel_simulator

platform: install  ## only the broker and the services (no simulation)
	$(PY) -m vaxel_common.launcher

bench: install h2load  ## figures of every service and end-to-end load into results/bench/ (BENCH_ARGS=--quick: short)
	$(PY) -m scripts.bench $(BENCH_ARGS)

soak: install  ## fault-injection soak: load, kill -9 / pauses / poison / forged records, history check, into results/soak/ (SOAK_ARGS=--seed N)
	$(PY) -m tests.soak $(SOAK_ARGS)

clean:  ## remove the venv, tools and caches
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
