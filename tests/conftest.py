"""Shared helpers: the app built as `cdk synth` builds it, and the Lambda handlers."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

import app as cdk_app
from stacks.api_stack import ApiStack
from stacks.client_stack import ClientStack
from stacks.config import AppConfig

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
# In-process builds never read a developer's real phase-one outputs.
NO_OUTPUTS_FILE = PROJECT_ROOT / "tests" / "no-such-cdk-outputs.json"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags and the example configuration), which
    `python app.py` alone would not read."""
    return json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class SynthesizedApp:
    config: AppConfig
    api_stack: ApiStack
    client_stacks: list[ClientStack]
    api: Template
    clients: dict[str, Template]

    @property
    def client(self) -> Template:
        (only,) = self.clients.values()
        return only


def synthesize(outputs_file: pathlib.Path = NO_OUTPUTS_FILE, **overrides: Any) -> SynthesizedApp:
    """Build the app with cdk.json's context, changed by `overrides` (None removes a key)."""
    context = cdk_json_context()
    for key, value in overrides.items():
        if value is None:
            context.pop(key, None)
        else:
            context[key] = value
    app = cdk.App(context=context)
    config = cdk_app.load_config(app)
    api_stack, client_stacks = cdk_app.build_stacks(app, config, outputs_file)
    return SynthesizedApp(
        config=config,
        api_stack=api_stack,
        client_stacks=client_stacks,
        api=Template.from_stack(api_stack),
        clients={stack.stack_name: Template.from_stack(stack) for stack in client_stacks},
    )
