# The two commands the README promises: `make demo` and `make test`.
# Each installs what it needs into .venv (and node_modules for the CDK CLI) on first use.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export CDK_DISABLE_CLI_TELEMETRY = 1

.PHONY: demo test lint synth bench clean bootstrap diff deploy destroy

# The CDK CLI pinned in package.json, with the project's venv first on PATH (cdk.json runs
# `python3 app.py`, which needs aws-cdk-lib from the venv). CONTEXT: -c key=value settings;
# ARGS: anything else for the CLI (a bootstrap environment, --all, --force...).
CDK      = PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk
CONTEXT ?=
ARGS    ?=
CDK_OUT ?= cdk.out

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.local-installed: $(VENV)/bin/python requirements/lambda.txt requirements/notifier.txt requirements/sdk.txt requirements/local.txt
	$(VENV)/bin/pip install -q -r requirements/local.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed requirements/dev.txt
	$(VENV)/bin/pip install -q -r requirements/dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Run the monitor on an embedded simulated account: no AWS credentials, no network.
demo: $(VENV)/.local-installed
	AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1 \
	  $(PY) -m sim.demo

## Install everything and run the whole suite (lint, types, tests). .ci/run calls exactly this.
test: $(VENV)/.dev-installed node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

## Synthesize the stack offline (no credentials needed); says where the templates are.
synth: $(VENV)/.dev-installed node_modules/.installed
	$(CDK) synth --no-notices --quiet --output $(CDK_OUT) $(CONTEXT) $(ARGS)
	@echo "Synthesized (nothing deployed): $$(ls $(CDK_OUT)/*.template.json | tr '\n' ' ')"
	@echo "Deploy with: make deploy CONTEXT=\"<the same -c settings>\""

## AWS commands through the same CLI (credentials needed): make deploy CONTEXT="-c key=value ..."
bootstrap diff deploy destroy: $(VENV)/.dev-installed node_modules/.installed
	$(CDK) $@ --no-notices $(CONTEXT) $(ARGS)

## Cost per run against account history, side by side with a naive poller; exits 1 if a target fails.
bench: $(VENV)/.local-installed
	$(PY) -m sim.bench

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
