# Quick start: `make synth` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
VENV_READY := $(VENV)/.requirements-installed
CHECKOV_VENV := .venv-checkov
CHECKOV_READY := $(CHECKOV_VENV)/.requirements-installed
CLI_READY := node_modules/.package-lock.json

# No network calls beyond the package registries: no telemetry, no notices.
export CDK_DISABLE_CLI_TELEMETRY := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

CDK := npx --no-install cdk
# Deploy-time settings: the AWS profile, the client stack (ClientStack, or
# ClientStack-<account> with several client accounts) and extra CLI arguments.
PROFILE ?=
STACK ?= ClientStack
CDK_ARGS ?=
OUTPUTS_FILE := cdk-outputs.json
need-profile = @test -n "$(PROFILE)" || { echo "Set PROFILE to the AWS profile of the account: make $@ PROFILE=<profile>" >&2; exit 2; }

.PHONY: setup synth test scan bench clean deploy-api deploy-client smoke destroy-client destroy-api

setup: $(VENV_READY) $(CLI_READY)

$(VENV_READY): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_READY): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(CLI_READY): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	$(CDK) synth --quiet --no-notices
	@echo "Templates written to cdk.out/: $$(cd cdk.out && ls *.template.json | tr '\n' ' ')"

# checkov on cdk.out, then pytest (templates, cdk-nag, cfn-lint, handlers, end to end).
test: scan
	$(VENV)/bin/python -m pytest

# checkov offline on the synthesized templates; skips are in the templates' metadata.
scan: synth $(CHECKOV_READY)
	BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=1 $(CHECKOV_VENV)/bin/checkov \
		--directory cdk.out --framework cloudformation --skip-download --compact --quiet

# Medians of the requestor's costs, cold starts, synth time and asset sizes (docs/benchmarks.md).
bench: setup
	$(VENV)/bin/python -m benchmarks.bench

# Phase one: ApiStack in the API account; its outputs (ApiId, ...) go to cdk-outputs.json,
# where phase two finds api_id.
deploy-api: setup
	$(need-profile)
	$(CDK) deploy ApiStack --profile $(PROFILE) --outputs-file $(OUTPUTS_FILE) --no-notices $(CDK_ARGS)

# Phase two: a client stack in a client account (api_id: -c api_id=..., else cdk-outputs.json).
deploy-client: setup
	$(need-profile)
	$(CDK) deploy $(STACK) --profile $(PROFILE) --no-notices $(CDK_ARGS)

# Invoke the deployed requestor unsigned and signed, and judge the answers.
smoke: synth
	$(need-profile)
	$(VENV)/bin/python -m tools.smoke --profile $(PROFILE) --stack $(STACK)

# Tear down in reverse order: the client stacks first, then the API.
destroy-client: setup
	$(need-profile)
	$(CDK) destroy $(STACK) --profile $(PROFILE) --no-notices $(CDK_ARGS)

destroy-api: setup
	$(need-profile)
	$(CDK) destroy ApiStack --profile $(PROFILE) --no-notices $(CDK_ARGS)

clean:
	rm -rf cdk.out .pytest_cache .bench
