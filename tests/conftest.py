"""Shared helpers: the app built as `cdk synth` builds it, on the suite's own configuration.

The suite never reads a user's configuration: it takes only the feature flags from
cdk.json (they decide what CDK synthesizes) and tests its own example configuration,
so real accounts or an api_id in cdk.json, or a cdk-outputs.json in the project root,
change nothing here.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from aws_cdk.assertions import Template
from botocore.stub import Stubber

import app as cdk_app
from lambda_src.requestor import handler as requestor
from stacks.api.api_stack import ApiStack
from stacks.client.client_stack import ClientStack
from stacks.config import AppConfig
from stacks.phases.pending_stack import PendingStack

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
# In-process builds never read a developer's real phase-one outputs.
NO_OUTPUTS_FILE = PROJECT_ROOT / "tests" / "no-such-cdk-outputs.json"
# The AWS documentation's example accounts, and the example api_id they may use.
TEST_CONFIGURATION: dict[str, Any] = {
    "api_account": "111122223333",
    "api_region": "eu-west-1",
    "client_accounts": ["444455556666"],
    "stage": "prod",
    "api_id": "a1b2c3d4e5",
}


def feature_flags() -> dict[str, Any]:
    """cdk.json's feature flags (the `@...` keys), which `cdk synth` applies and
    `python app.py` alone would not."""
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return {key: value for key, value in context.items() if key.startswith("@")}


def suite_context(**overrides: Any) -> dict[str, Any]:
    """The feature flags and the suite's configuration, changed by `overrides` (None removes a key)."""
    context = {**feature_flags(), **TEST_CONFIGURATION}
    for key, value in overrides.items():
        if value is None:
            context.pop(key, None)
        else:
            context[key] = value
    return context


def config_from(**overrides: Any) -> AppConfig:
    context = suite_context(**overrides)
    return AppConfig.from_context(context.get, list(context))


@dataclass(frozen=True)
class SynthesizedApp:
    config: AppConfig
    api_stack: ApiStack
    client_stacks: list[ClientStack | PendingStack]
    api: Template
    clients: dict[str, Template]

    @property
    def client(self) -> Template:
        (only,) = self.clients.values()
        return only


def synthesize(outputs_file: pathlib.Path = NO_OUTPUTS_FILE, **overrides: Any) -> SynthesizedApp:
    """Build the app on the suite's configuration changed by `overrides`."""
    app = cdk_app.new_app(context=suite_context(**overrides))
    config = cdk_app.load_config(app)
    api_stack, client_stacks = cdk_app.build_stacks(app, config, outputs_file)
    return SynthesizedApp(
        config=config,
        api_stack=api_stack,
        client_stacks=client_stacks,
        api=Template.from_stack(api_stack),
        clients={stack.stack_name: Template.from_stack(stack) for stack in client_stacks},
    )


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The requestor's STS client, stubbed: each test says what AssumeRole answers."""
    client = botocore.session.get_session().create_client(
        "sts", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    monkeypatch.setattr(requestor, "_sts_client", client)
    monkeypatch.setattr(requestor, "_assumed", {})
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
