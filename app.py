#!/usr/bin/env python3
"""The CDK app: reads the context, validates it, and builds ApiStack and the client stacks."""

from __future__ import annotations

import dataclasses
import pathlib
import sys

import aws_cdk as cdk

from stacks.api_stack import ApiStack
from stacks.client_stack import ClientStack
from stacks.compliance import attach_security_checks
from stacks.config import AppConfig, ConfigError
from stacks.phase_one_outputs import OUTPUTS_FILE_NAME, choose_api_id

OUTPUTS_FILE = pathlib.Path(__file__).resolve().parent / OUTPUTS_FILE_NAME


def client_stack_name(config: AppConfig, account: str) -> str:
    return "ClientStack" if len(config.client_accounts) == 1 else f"ClientStack-{account}"


def build_stacks(
    app: cdk.App, config: AppConfig, outputs_file: pathlib.Path = OUTPUTS_FILE
) -> tuple[ApiStack, list[ClientStack]]:
    """Add ApiStack and one client stack per client account, all checked by cdk-nag
    when the app is synthesized. Without a usable api_id a client stack carries an
    error that stops its deploy, and only its deploy: phase one still runs."""
    attach_security_checks(app)
    api_stack = ApiStack(
        app,
        "ApiStack",
        config=config,
        env=cdk.Environment(account=config.api_account, region=config.api_region.name),
        description="Orders REST API with IAM authorization, invoked cross-account",
    )
    api_id = choose_api_id(config, outputs_file)
    client_config = dataclasses.replace(config, api_id=api_id.api_id)
    client_stacks = [
        ClientStack(
            app,
            client_stack_name(config, account),
            config=client_config,
            problem=api_id.problem,
            env=cdk.Environment(account=account, region=config.client_region.name),
            description=f"SigV4-signing requestor for the orders API {api_id.api_id}",
        )
        for account in config.client_accounts
    ]
    return api_stack, client_stacks


def load_config(app: cdk.App) -> AppConfig:
    context_keys = list(app.node.get_all_context().keys())
    return AppConfig.from_context(app.node.try_get_context, context_keys)


def main() -> int:
    app = cdk.App()
    try:
        build_stacks(app, load_config(app))
    except ConfigError as error:
        print(f"Invalid configuration: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
