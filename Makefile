# Niha: `make run` serves the app; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_NO_PROGRESS := 1
WEB_SOURCES := $(shell find web/src web/index.html web/package.json web/vite.config.ts web/tsconfig*.json -type f 2>/dev/null)

.PHONY: help install run test lint typecheck pytest web-test e2e browser api-client check-api-client clean

help:
	@echo "make run   - install what is missing, build the web app, migrate, seed demo data, serve on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test  - install what is missing and run ruff, mypy, import contracts, vitest, pytest (incl. browser end-to-end)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

install: $(VENV)/.installed

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build --silent

run: install web/dist/index.html
	$(BIN)/niha migrate
	$(BIN)/niha seed-demo
	NIHA_DEMO_MARKET=$${NIHA_DEMO_MARKET:-true} $(BIN)/niha serve --host 127.0.0.1 --port $${PORT:-8000}

lint: install
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# The typed web client is generated from the server's OpenAPI schema.
var/openapi.json: install
	@mkdir -p var
	$(BIN)/niha openapi --output var/openapi.json

api-client: var/openapi.json web/node_modules/.installed
	cd web && npm run gen:api --silent

check-api-client: var/openapi.json web/node_modules/.installed
	cd web && npm run check:api --silent

web-test: web/node_modules/.installed check-api-client
	cd web && npm run typecheck --silent && npm test --silent

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for end-to-end tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (needs apt-get as root)"; exit 1; }; }

pytest: install
	$(BIN)/pytest -q -m "not e2e" -n 2 --dist loadfile

e2e: install web/dist/index.html browser
	$(BIN)/pytest -q -m e2e tests/e2e

test: lint typecheck web-test pytest e2e

clean:
	rm -rf $(VENV) $(TOOLS) web/node_modules web/dist .mypy_cache .ruff_cache .pytest_cache
