# opsagent: every target installs what it needs first (venv + pip, npm ci), so each works on a
# fresh clone. Nothing here needs AWS credentials or Docker except `make deploy`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CDK := node_modules/.bin/cdk
PY_STAMP := $(VENV)/.installed
# checkov pins an older boto3 than the project, so it has a venv of its own.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed
NODE_STAMP := node_modules/.installed

# jsii prints a banner on every call since Node 20 reached end of life (2026-10-30): this
# variable takes the silenced major versions. CDK's version check and IMDS probing would reach
# past the package registries; offline synth needs neither.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export AWS_EC2_METADATA_DISABLED := true
OFFLINE_ENV := env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN

.PHONY: help install synth scan test lint bench sandbox deploy diff clean schemas slack-manifest

help:
	@echo "make synth   install, synthesize every stack offline, run cdk-nag and cfn-lint"
	@echo "make test    install, lint (ruff, mypy), scan (checkov) and run the whole test suite"
	@echo "make scan    synth, then checkov over every template"
	@echo "make bench   install and print the benchmark tables"
	@echo "make sandbox install, then try the opsagent CLI offline on a fictional account"
	@echo "make deploy  cdk deploy --all with your configuration (needs AWS credentials)"
	@echo "make slack-manifest  after deploying with Slack: the Slack app manifest with its URLs"

$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r requirements.txt -r requirements-dev.txt -c constraints.txt
	# The `opsagent` script, running this checkout's code (dependencies pinned above).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--no-deps --no-build-isolation --editable .
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SCAN_STAMP): requirements-scan.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-scan.txt
	touch $@

install: $(PY_STAMP) $(NODE_STAMP)

# cdk-nag runs inside the synth (a policy-validation plugin: any unacknowledged finding fails
# it); cfn-lint then checks every template against the CloudFormation spec.
synth: install
	rm -rf cdk.out
	$(OFFLINE_ENV) $(CDK) synth --quiet --no-notices --no-lookups
	$(BIN)/cfn-lint --non-zero-exit-code error -- cdk.out/*.template.json
	@echo "synth: OK (templates in cdk.out/, cdk-nag and cfn-lint clean)"

# checkov (CloudFormation framework) over the synthesized templates: every rule that does not
# apply carries its reason in the template (infra/nag.py CheckovReasons); anything else fails.
scan: synth $(SCAN_STAMP)
	$(SCAN_VENV)/bin/checkov --directory cdk.out --framework cloudformation --compact --quiet
	@echo "scan: OK (checkov clean)"

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint scan
	$(OFFLINE_ENV) $(BIN)/pytest

# Regenerate every action group's openapi.json from its resolver (a test fails when stale).
schemas: $(PY_STAMP)
	for group in action_groups/*/schema.py; do \
		name=$$(basename $$(dirname $$group)); \
		PYTHONPATH=lambdas:action_groups $(BIN)/python -m $$name.schema; \
	done

bench: install
	PYTHONPATH=lambdas:action_groups $(OFFLINE_ENV) $(BIN)/python -m benchmarks

# The opsagent CLI, offline: the tool list, then two tools on the sandbox account (moto).
sandbox: $(PY_STAMP)
	$(OFFLINE_ENV) $(BIN)/opsagent tools
	$(OFFLINE_ENV) $(BIN)/opsagent invoke cost-insights list_idle_resources top=5 --sandbox
	$(OFFLINE_ENV) $(BIN)/opsagent invoke incident find_similar_incidents \
		"text=ConnectionTimeout from payments-db after a deploy" --sandbox

diff: install
	$(CDK) diff --all

deploy: install
	$(CDK) deploy --all

# After deploying with Slack configured: the Slack app manifest with the stack's URLs, to paste
# into https://api.slack.com/apps -> Create New App -> From a manifest (needs AWS credentials).
slack-manifest: install
	$(BIN)/python -m infra.slack_manifest $(if $(STACK),--stack $(STACK),) > slack-manifest.json.tmp
	mv slack-manifest.json.tmp slack-manifest.json
	@echo "wrote slack-manifest.json: paste it into Slack's 'Create New App -> From a manifest'"

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
