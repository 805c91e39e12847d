#!/usr/bin/env python3
"""The CDK app: reads the context, validates it, and builds ApiStack and the client stacks."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys

# jsii prints an 11-line end-of-life banner on Node 20 for every run; the README says
# which Node to use, so every entry point (cdk synth, pytest, python app.py) is quiet.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import Stack

from stacks.api.api_stack import ApiStack
from stacks.authorizer.authorizer_stack import AuthorizerStack
from stacks.client.client_stack import ClientStack
from stacks.org.client_stackset import ClientStackSet
from stacks.org.guard_stack import OrgGuardStack
from stacks.config import LAMBDA_AUTHORIZER, AppConfig, ConfigError
from stacks.phases.pending_stack import PendingStack
from stacks.phases.phase_one_outputs import OUTPUTS_FILE_NAME, ApiIdChoice, choose_api_id
from stacks.shared.compliance import attach_security_checks

# Where `cdk deploy --outputs-file cdk-outputs.json` wrote it: the directory the CLI
# runs in, beside its cdk.json, which is the app's working directory.
OUTPUTS_FILE = pathlib.Path(OUTPUTS_FILE_NAME)


def client_stack_name(config: AppConfig, account: str) -> str:
    return "ClientStack" if len(config.client_accounts) == 1 else f"ClientStack-{account}"


def build_stacks(
    app: cdk.App, config: AppConfig, outputs_file: pathlib.Path = OUTPUTS_FILE
) -> tuple[ApiStack, list[ClientStack | PendingStack]]:
    """Add ApiStack and one client stack per client account, all checked by cdk-nag
    when the app is synthesized. Without a usable api_id each client stack is a
    PendingStack, which synthesizes with a warning and cannot be deployed."""
    attach_security_checks(app)
    api_stack = ApiStack(
        app,
        "ApiStack",
        config=config,
        env=cdk.Environment(account=config.api_account, region=config.api_region.name),
        description=f"Orders {config.api_type.upper()} API with IAM authorization, invoked cross-account",
    )
    api_id = choose_api_id(config, outputs_file)
    client_stacks: list[ClientStack | PendingStack] = []
    # With the organization rollout the StackSet is the client side: a ClientStack in an
    # OU account would run as CDK's deploy role, which the guard denies.
    for account in () if config.org_rollout else config.client_accounts:
        name = client_stack_name(config, account)
        env = cdk.Environment(account=account, region=config.client_region.name)
        if api_id.api_id is None:
            stack: ClientStack | PendingStack = PendingStack(app, name, reason=api_id.problem, env=env)
        else:
            stack = ClientStack(
                app,
                name,
                config=dataclasses.replace(config, api_id=api_id.api_id),
                env=env,
                description=f"SigV4-signing requestor for the orders API {api_id.api_id}",
            )
        if api_id.ignored:
            cdk.Annotations.of(stack).add_warning_v2("orders-api:outputs-file-ignored", api_id.ignored)
        client_stacks.append(stack)
    if config.access_mode == LAMBDA_AUTHORIZER:
        build_authorizer_stack(app, config, api_id)
    if config.org_rollout is not None:
        build_org_rollout(app, config, api_id)
    elif config.org_id is not None:
        cdk.Annotations.of(api_stack).add_warning_v2(
            "orders-api:org-admission-unguarded",
            "org_id admits the requestor role by its name in every account of the organization: anyone who may "
            "create IAM roles in any member account can create one of that name and call the API. Roll the "
            "client side out with client_org_units (a StackSet and a service control policy that lets only it "
            "create or change that role), or list client_accounts instead of org_id.",
        )
    return api_stack, client_stacks


def build_org_rollout(app: cdk.App, config: AppConfig, api_id: ApiIdChoice) -> None:
    """The StackSet of client stacks and the guard on the requestor role's name."""
    rollout = config.org_rollout
    env = cdk.Environment(account=rollout.stackset_account, region=config.client_region.name)
    guard = OrgGuardStack(
        app,
        "OrgGuardStack",
        config=config,
        env=cdk.Environment(account=rollout.policy_account, region=rollout.policy_region),
        description="Service control policy: only the StackSet rollout may create or change the requestor role",
    )
    if api_id.api_id is None:
        stack_set: Stack = PendingStack(app, "ClientStackSet", reason=api_id.problem, env=env)
    else:
        stack_set = ClientStackSet(
            app,
            "ClientStackSet",
            config=dataclasses.replace(config, api_id=api_id.api_id),
            context=app.node.get_all_context(),
            env=env,
            description="Orders API requestors in every account of the OUs (service-managed StackSet)",
        )
    # The guard first: no requestor role may exist in the OUs before it does.
    stack_set.add_stack_dependency(guard)


def build_authorizer_stack(app: cdk.App, config: AppConfig, api_id: ApiIdChoice) -> AuthorizerStack | PendingStack:
    """The central authorizer in the security account: phase two, like the clients."""
    env = cdk.Environment(account=config.authorizer_account, region=config.api_region.name)
    problem = api_id.problem
    if problem is None and api_id.authorizer_id is None:
        problem = (
            "authorizer_id is not known: deploy ApiStack first with `make deploy-api PROFILE=<api-account profile>` "
            "(its AuthorizerId output goes to cdk-outputs.json), or pass -c authorizer_id=<id>."
        )
    if problem is not None:
        return PendingStack(app, "AuthorizerStack", reason=problem, env=env)
    return AuthorizerStack(
        app,
        "AuthorizerStack",
        config=dataclasses.replace(config, api_id=api_id.api_id, authorizer_id=api_id.authorizer_id),
        env=env,
        description="Central Lambda authorizer of the orders API: callers admitted by their IAM identity",
    )


def load_config(app: cdk.App) -> AppConfig:
    context_keys = list(app.node.get_all_context().keys())
    return AppConfig.from_context(app.node.try_get_context, context_keys)


def new_app(**kwargs: object) -> cdk.App:
    """An App as this project synthesizes it. CDK's built-in CloudFormation validator
    (a WebAssembly linter) is off: it cost 1.8 s of every synth, even of an empty app
    (make bench), and cfn-lint checks every template of every mode in the test suite."""
    return cdk.App(builtin_cloud_formation_validation=False, **kwargs)


def main() -> int:
    app = new_app()
    try:
        build_stacks(app, load_config(app))
    except ConfigError as error:
        print(f"Invalid configuration: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
