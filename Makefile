# Quick start: `make synth` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
# pipefail: a command whose output is filtered still fails the target when it fails.
SHELL := bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
CHECKOV_VENV := .venv-checkov
CHECKOV_READY := $(CHECKOV_VENV)/.requirements-installed
CLI_READY := node_modules/.package-lock.json
# The functions' pinned packages, as wheels for Lambda's platform (tools/wheelhouse.py).
WHEELHOUSE_READY := .wheelhouse/.ready

# No network calls beyond the package registries: no telemetry, no notices.
export CDK_DISABLE_CLI_TELEMETRY := 1
# jsii's Node 20 end-of-life banner, for every process a target starts (app.py
# silences it itself for a plain `npx cdk` or `python app.py`).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1
# No "new version of npm" notice from npx.
export NPM_CONFIG_UPDATE_NOTIFIER := false
# Material for MkDocs' banner about its successor, on every build.
export NO_MKDOCS_2_WARNING := 1

CDK := npx --no-install cdk
# Deploy-time settings: the AWS profile; STACK, one client stack (ClientStack-<account>;
# needed only with several client accounts); STACKS, the org rollout's stacks; the
# environment to bootstrap, the account it trusts to deploy into it and that account's
# execution policies; extra CLI arguments (CDK_ARGS="-c key=value ...", used by every
# target below).
PROFILE ?=
STACK ?=
STACKS ?=
ENVIRONMENT ?=
TRUST ?=
EXECUTION_POLICIES ?=
CDK_ARGS ?=
# FORCE=true: deploy even a stack whose template did not change, so that it reads
# ApiStack's ids again (after ApiStack was replaced and its API has a new id).
FORCE ?=
# Cut one caller off now (make revoke): a role ARN or an account id.
PRINCIPAL ?=
# SETUP=synth: only the packages `make synth` needs (requirements.lock), as the
# pipeline's build installs them; by default every target's and the tests' packages.
SETUP ?= dev
# What the user sets is data, never code: each value is kept as typed (make does not
# expand a `$` in it) and reaches recipes only as an environment variable, which they
# quote ("$$PROFILE"). CDK_ARGS is a list of arguments: split on blanks, not globbed,
# never evaluated (no quoting inside it).
USER_SETTINGS := PYTHON PROFILE STACK STACKS ENVIRONMENT TRUST EXECUTION_POLICIES CDK_ARGS FORCE PRINCIPAL SETUP
$(foreach setting,$(USER_SETTINGS),$(eval override $(setting) := $$(value $(setting))))
export $(USER_SETTINGS)

# Python packages are installed from the locks only (pip --require-hashes, wheels only):
# every package, transitive ones included, is the very file the lock names, and no
# package's build code runs. The locks are generated from requirements*.txt (their header
# says how; tests/test_locks.py keeps them in step).
DEV_READY := $(VENV)/.requirements-installed
SYNTH_READY := $(VENV)/.synth-requirements-installed
ifeq ($(SETUP),dev)
VENV_READY := $(DEV_READY)
else ifeq ($(SETUP),synth)
VENV_READY := $(SYNTH_READY)
ifneq ($(filter-out setup synth clean,$(MAKECMDGOALS)),)
$(error SETUP=synth installs only what make synth needs; make $(filter-out setup synth clean,$(MAKECMDGOALS)) needs every package: leave SETUP out)
endif
else
$(error SETUP is '$(SETUP)': expected dev (the default: every package) or synth (only what make synth needs, as the pipeline's build installs it))
endif
PIP_INSTALL = python -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: -r
# Every synth starts from an empty cdk.out, so no template of an earlier configuration
# is left behind to be deployed or scanned.
# The CLI's "Supply a stack id" hint is left out (nothing here shows one template);
# errors and warnings are kept.
SYNTH = set -f && cdk_args=($$CDK_ARGS) && set +f && rm -rf cdk.out \
	&& $(CDK) synth --quiet --no-notices "$${cdk_args[@]}" 2>&1 >/dev/null \
	| { grep -v -e '^Supply a stack id' || true; } >&2
# Deploys and destroys act on what SYNTH wrote: the stacks a check has just found there.
DEPLOY = $(CDK) deploy --app cdk.out --profile "$$PROFILE" --no-notices $(if $(filter true,$(FORCE)),--force)
DESTROY = $(CDK) destroy --app cdk.out --profile "$$PROFILE" --no-notices --exclusively
# The stacks of a kind (api, client, authorizer, org, smoke, pipeline) that a target acts
# on (among those STACK or STACKS names, when given), or why none.
pick = $$($(VENV)/bin/python -m tools.pick_stacks $(1) $(if $(2),"$$$(2)",""))
# Before anything slow: PROFILE is given and names a profile that exists.
need-profile = @$(VENV)/bin/python -m tools.check_profile "$$PROFILE" "make $@"

.PHONY: setup synth test docs bench clean bootstrap deploy deploy-api deploy-authorizer deploy-client deploy-org deploy-pipeline smoke revoke destroy-client destroy-authorizer destroy-api

setup: $(VENV_READY) $(CLI_READY) $(WHEELHOUSE_READY)

$(DEV_READY): requirements-dev.lock
$(SYNTH_READY): requirements.lock
$(DEV_READY) $(SYNTH_READY):
	@"$$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make PYTHON=python3.11 ...")'
	"$$PYTHON" -m venv $(VENV)
	$(VENV)/bin/$(PIP_INSTALL) $<
	touch $@

$(CHECKOV_READY): requirements-checkov.lock
	"$$PYTHON" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/$(PIP_INSTALL) $<
	touch $@

$(WHEELHOUSE_READY): $(VENV_READY) $(wildcard lambda_src/*/requirements.txt)
	$(VENV)/bin/python -m tools.wheelhouse
	mkdir -p $(@D) && touch $@

$(CLI_READY): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	$(SYNTH)
	@echo "Templates written to cdk.out/: $$(cd cdk.out && ls *.template.json | tr '\n' ' ')"

# pytest: templates of every mode, cdk-nag, cfn-lint, checkov (from its own venv),
# handlers, end to end, the CLI. Never reads your cdk.json's configuration.
# ARGS: pytest's arguments, quoted as in a shell (make test ARGS="-k 'admission or config'").
# pytest takes them from PYTEST_ADDOPTS and splits them itself, so no shell ever runs
# what they hold; unexported, neither does make (it would expand a $(shell ...) in them).
ARGS ?=
unexport ARGS
test: export PYTEST_ADDOPTS := $(strip $(value PYTEST_ADDOPTS) $(value ARGS))
test: setup $(CHECKOV_READY)
	$(VENV)/bin/python -m pytest

# Medians of the requestor's costs, cold starts, synth time and asset sizes (docs/benchmarks.md).
# The documentation site, into site/: the generated pages written again (the configuration
# reference from stacks/context_keys.py, the home page from README.md), then every page
# built with every link and anchor checked.
docs: setup
	$(VENV)/bin/python -m tools.generated_docs
	@# Not --quiet: it hides the warnings, and --strict then fails on none of them.
	$(VENV)/bin/mkdocs build --strict 2>&1 | { grep -v -e '^INFO' || true; }

bench: setup
	$(VENV)/bin/python -m benchmarks.bench

# Once per account and region, with the pinned CLI: ENVIRONMENT=aws://<account>/<region>.
# TRUST=<account> lets that account deploy here (make deploy from one profile), with
# EXECUTION_POLICIES (comma-separated managed policy ARNs) as the deploy's permissions.
bootstrap: setup
	$(need-profile)
	@test -n "$$ENVIRONMENT" || { echo "Set ENVIRONMENT to the account and region to bootstrap: make $@ PROFILE=$$PROFILE ENVIRONMENT=aws://<account>/<region>" >&2; exit 2; }
	@test -z "$$TRUST" -o -n "$$EXECUTION_POLICIES" || { echo "Set EXECUTION_POLICIES with TRUST: the managed policies CloudFormation deploys with when account $$TRUST deploys here, such as EXECUTION_POLICIES=arn:aws:iam::aws:policy/AdministratorAccess (see docs/deploying.md)" >&2; exit 2; }
	$(CDK) bootstrap "$$ENVIRONMENT" --profile "$$PROFILE" --no-notices \
	  $(if $(TRUST),--trust "$$TRUST" --cloudformation-execution-policies "$$EXECUTION_POLICIES")

# Every stack of the configuration, in dependency order (ApiStack before the stacks
# that read its ids), from one profile whose account every other account's bootstrap trusts.
deploy: setup
	$(need-profile)
	$(SYNTH)
	$(DEPLOY) --all

# One account's stacks with that account's profile (--exclusively: not the stacks they
# depend on, which are another account's). ApiStack first: the others read its ids.
deploy-api: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,api) && $(DEPLOY) $$stacks --exclusively

# access_mode lambda-authorizer: the central authorizer in the security account.
deploy-authorizer: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,authorizer) && $(DEPLOY) $$stacks --exclusively

# A client stack in its client account.
deploy-client: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,client,STACK) && $(DEPLOY) $$stacks --exclusively

# client_org_units: the guard (an SCP) and the StackSet of requestors, from the
# account that manages Organizations policies and StackSets (with different accounts,
# each with its own profile: make deploy-org STACKS=OrgGuardStack, then STACKS=ClientStackSet).
deploy-org: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,org,STACKS) && $(DEPLOY) $$stacks --exclusively

# pipeline_account: the pipeline, once, from the pipeline account (with the support stacks
# CDK Pipelines adds for each other region). It then synthesizes from the repository's
# cdk.json at each push: CDK_ARGS would deploy a pipeline that the next push undoes.
deploy-pipeline: setup
	$(need-profile)
	@test -z "$$CDK_ARGS" || { echo "CDK_ARGS is not used by make deploy-pipeline: the pipeline synthesizes from the cdk.json of its repository, so commit the settings there and push" >&2; exit 2; }
	$(SYNTH)
	stacks=$(call pick,pipeline) && $(DEPLOY) $$stacks

# Invoke the deployed requestor on the health route, unsigned and signed, and judge the answers.
smoke: setup
	$(need-profile)
	$(SYNTH)
	stack=$(call pick,smoke,STACK) && $(VENV)/bin/python -m tools.smoke --profile "$$PROFILE" --stack "$$stack"

# Cut one caller off now (PRINCIPAL: a role ARN or an account id). lambda-authorizer
# mode: the deny list in the security account (PROFILE), no deploy; otherwise the steps.
revoke: setup
	$(need-profile)
	$(SYNTH)
	$(VENV)/bin/python -m tools.revoke --profile "$$PROFILE" --principal "$$PRINCIPAL"

# Tear down in reverse order: the client stacks first, then the API.
destroy-client: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,client,STACK) && $(DESTROY) $$stacks

destroy-authorizer: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,authorizer) && $(DESTROY) $$stacks

destroy-api: setup
	$(need-profile)
	$(SYNTH)
	stacks=$(call pick,api) && $(DESTROY) $$stacks

# Build output only; .venv, .venv-checkov, node_modules and .wheelhouse stay.
clean:
	rm -rf cdk.out .pytest_cache .bench site
