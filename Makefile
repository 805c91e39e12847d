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

.PHONY: setup synth test scan clean

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

clean:
	rm -rf cdk.out .pytest_cache
