# The two set-up commands of the README: `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test install system-deps hub-proxy bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -e ".[test]"

lab: $(BIN)/python
	$(BIN)/pip install -e ".[lab,widgets]"
	$(BIN)/jupyter lab $(ALLOW_ROOT)

# Debian packages the tests drive for real: Chromium (browser tests) and PostgreSQL (store tests).
system-deps:
	@command -v chromium >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium postgresql; }

# JupyterHub's proxy for the Hub test (tests/e2e/test_hub.py), from npm into this checkout.
HUB_PROXY := build/hub/node_modules/.bin/configurable-http-proxy

hub-proxy: $(HUB_PROXY)

$(HUB_PROXY):
	npm install --prefix build/hub --no-audit --no-fund configurable-http-proxy

# The browser tests run in their own pytest process, after the rest: a browser that hangs must
# not leave an event loop behind for the server tests.
test: install system-deps hub-proxy
	$(BIN)/python -m pytest -p no:cacheprovider -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -p no:cacheprovider -m e2e tests/e2e $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/python -m ruff check maestro_jupyter maestro_cli tests bench harness

clean:
	rm -rf $(VENV) build dist labextension/node_modules labextension/lib maestro_jupyter/labextension
