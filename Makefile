# Quick start: `make synth` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
VENV_READY := $(VENV)/.requirements-installed
CHECKOV_VENV := .venv-checkov
CHECKOV_READY := $(CHECKOV_VENV)/.requirements-installed
CLI_READY := node_modules/.package-lock.json

# No network calls beyond the package registries: no telemetry, no notices.
export CDK_DISABLE_CLI_TELEMETRY := 1
# jsii's Node 20 end-of-life banner, for every process a target starts (app.py
# silences it itself for a plain `npx cdk` or `python app.py`).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

CDK := npx --no-install cdk
# Deploy-time settings: the AWS profile, the client stack (ClientStack, or
# ClientStack-<account> with several client accounts), the environment to bootstrap
# and extra CLI arguments (CDK_ARGS="-c key=value ...", used by every target below).
PROFILE ?=
STACK ?= ClientStack
ENVIRONMENT ?=
CDK_ARGS ?=
OUTPUTS_FILE := cdk-outputs.json
# Every synth starts from an empty cdk.out, so no template of an earlier configuration
# is left behind to be deployed or scanned.
SYNTH = rm -rf cdk.out && $(CDK) synth --quiet --no-notices $(CDK_ARGS)
# Before anything slow: PROFILE is given and names a profile that exists.
need-profile = @$(VENV)/bin/python -m tools.check_profile "$(PROFILE)" "make $@"

.PHONY: setup synth test bench clean bootstrap deploy-api deploy-authorizer deploy-client deploy-org smoke destroy-client destroy-authorizer destroy-api

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
	$(SYNTH)
	@echo "Templates written to cdk.out/: $$(cd cdk.out && ls *.template.json | tr '\n' ' ')"

# pytest: templates of every mode, cdk-nag, cfn-lint, checkov (from its own venv),
# handlers, end to end, the CLI. Never reads your cdk.json's configuration.
test: setup $(CHECKOV_READY)
	$(VENV)/bin/python -m pytest

# Medians of the requestor's costs, cold starts, synth time and asset sizes (docs/benchmarks.md).
bench: setup
	$(VENV)/bin/python -m benchmarks.bench

# Once per account and region, with the pinned CLI: ENVIRONMENT=aws://<account>/<region>.
bootstrap: setup
	$(need-profile)
	@test -n "$(ENVIRONMENT)" || { echo "Set ENVIRONMENT to the account and region to bootstrap: make $@ PROFILE=$(PROFILE) ENVIRONMENT=aws://<account>/<region>" >&2; exit 2; }
	$(CDK) bootstrap $(ENVIRONMENT) --profile $(PROFILE) --no-notices

# Phase one: ApiStack in the API account; its outputs (ApiId, ...) go to cdk-outputs.json,
# where phase two finds api_id.
deploy-api: setup
	$(need-profile)
	$(CDK) deploy ApiStack --profile $(PROFILE) --outputs-file $(OUTPUTS_FILE) --no-notices $(CDK_ARGS)

# Phase two, access_mode lambda-authorizer: the central authorizer in the security account
# (api_id and authorizer_id: -c ..., else cdk-outputs.json).
deploy-authorizer: setup
	$(need-profile)
	$(CDK) deploy AuthorizerStack --profile $(PROFILE) --no-notices $(CDK_ARGS)

# Phase two: a client stack in a client account (api_id: -c api_id=..., else cdk-outputs.json).
deploy-client: setup
	$(need-profile)
	$(CDK) deploy $(STACK) --profile $(PROFILE) --no-notices $(CDK_ARGS)

# Phase two, client_org_units: the guard (an SCP) and the StackSet of requestors, from the
# account that manages Organizations policies and StackSets (with different accounts,
# deploy OrgGuardStack and ClientStackSet each with its own: make deploy-org STACKS=...).
STACKS ?= OrgGuardStack ClientStackSet
deploy-org: setup
	$(need-profile)
	$(CDK) deploy $(STACKS) --profile $(PROFILE) --no-notices $(CDK_ARGS)

# Invoke the deployed requestor unsigned and signed, and judge the answers.
smoke: setup
	$(need-profile)
	$(SYNTH)
	$(VENV)/bin/python -m tools.smoke --profile $(PROFILE) --stack $(STACK)

# Tear down in reverse order: the client stacks first, then the API.
destroy-client: setup
	$(need-profile)
	$(CDK) destroy $(STACK) --profile $(PROFILE) --no-notices $(CDK_ARGS)

destroy-authorizer: setup
	$(need-profile)
	$(CDK) destroy AuthorizerStack --profile $(PROFILE) --no-notices $(CDK_ARGS)

destroy-api: setup
	$(need-profile)
	$(CDK) destroy ApiStack --profile $(PROFILE) --no-notices $(CDK_ARGS)

# Build output only; .venv, .venv-checkov, node_modules and cdk-outputs.json stay.
clean:
	rm -rf cdk.out .pytest_cache .bench
