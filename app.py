#!/usr/bin/env python3
"""The CDK app: reads the context, validates it, and builds ApiStack and the client stacks."""

from __future__ import annotations

import sys

import aws_cdk as cdk

from stacks.api_stack import ApiStack
from stacks.client_stack import ClientStack
from stacks.compliance import attach_security_checks
from stacks.config import AppConfig, ConfigError


def client_stack_name(config: AppConfig, account: str) -> str:
    return "ClientStack" if len(config.client_accounts) == 1 else f"ClientStack-{account}"


def build_stacks(app: cdk.App, config: AppConfig) -> tuple[ApiStack, list[ClientStack]]:
    """Add ApiStack and, once api_id is known, one client stack per client account,
    all checked by cdk-nag when the app is synthesized."""
    attach_security_checks(app)
    api_stack = ApiStack(
        app,
        "ApiStack",
        config=config,
        env=cdk.Environment(account=config.api_account, region=config.api_region.name),
        description="Orders REST API with IAM authorization, invoked cross-account",
    )
    if config.api_id is None:
        return api_stack, []
    client_stacks = [
        ClientStack(
            app,
            client_stack_name(config, account),
            config=config,
            env=cdk.Environment(account=account, region=config.client_region.name),
            description=f"SigV4-signing requestor for the orders API {config.api_id}",
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
        config = load_config(app)
        build_stacks(app, config)
    except ConfigError as error:
        print(f"Invalid configuration: {error}", file=sys.stderr)
        return 1
    if config.api_id is None:
        print(
            "Note: api_id is not set, so only ApiStack is defined. Deploy ApiStack, "
            "then pass its ApiId output with -c api_id=<id> to define ClientStack.",
            file=sys.stderr,
        )
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
