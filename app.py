#!/usr/bin/env python3
"""The CDK app: reads the context, validates it, and builds ApiStack and the stacks
that consume its ids (the client stacks, the central authorizer, the StackSet)."""

from __future__ import annotations

import dataclasses
import os
import sys

# jsii prints an 11-line end-of-life banner on Node 20 for every run; the README says
# which Node to use, so every entry point (cdk synth, pytest, python app.py) is quiet.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import Stack
from constructs import Construct

from stacks.api.api_stack import ApiStack
from stacks.authorizer.authorizer_stack import AuthorizerStack
from stacks.client.client_stack import ClientStack
from stacks.config import LAMBDA_AUTHORIZER, AppConfig, ConfigError
from stacks.domain.private_domain import PrivateDomain
from stacks.operations.api_operations import ApiOperations
from stacks.operations.function_operations import AuthorizerOperations, RequestorOperations
from stacks.org.client_stackset import ClientStackSet
from stacks.org.guard_stack import OrgGuardStack
from stacks.pipeline.check import admit_the_check, checked_account
from stacks.pipeline.pipeline_stack import PipelineStack
from stacks.pipeline.stages import DeliveryStages
from stacks.shared.bundling import NotSetUp
from stacks.shared.compliance import attach_security_checks


@dataclasses.dataclass(frozen=True)
class BuiltStacks:
    """Every stack of a configuration; those this configuration does not build are None."""

    api: ApiStack
    clients: list[ClientStack]
    authorizer: AuthorizerStack | None = None
    guard: OrgGuardStack | None = None
    stack_set: ClientStackSet | None = None


def client_stack_name(account: str) -> str:
    # The same name however many accounts are listed: adding one renames nothing.
    return f"ClientStack-{account}"


class AppScopes:
    """Where build_stacks puts each stack: in the app itself, deployed with `cdk deploy`.
    A pipeline puts them in its stages instead (stacks/pipeline/stages.py)."""

    def __init__(self, app: cdk.App) -> None:
        self.app = app

    def api(self) -> Construct:
        return self.app

    def authorizer(self, account: str) -> Construct:
        return self.app

    def client(self, account: str) -> Construct:
        return self.app

    def stack_set(self, account: str) -> Construct:
        return self.app


def build_stacks(app: cdk.App, config: AppConfig, scopes: AppScopes | DeliveryStages | None = None) -> BuiltStacks:
    """ApiStack and its consumers, all checked by cdk-nag when the app is synthesized.

    The consumers get ApiStack's ids from the context when `-c api_id` is given (an API
    of another copy of the app, or of another tool). Otherwise they get references to
    ApiStack's resources, which CDK turns into CloudFormation's `Fn::GetStackOutput`
    (cdk.json makes cross-stack references weak): each consumer reads the ids from
    ApiStack when it deploys, and is ordered after it.

    Each stack's name is its id wherever `scopes` puts it, so a pipeline deploys the
    very stacks `cdk deploy` does."""
    attach_security_checks(app)
    scopes = scopes or AppScopes(app)
    api_stack = ApiStack(
        scopes.api(),
        "ApiStack",
        stack_name="ApiStack",
        config=config,
        env=cdk.Environment(account=config.api_account, region=config.api_region.name),
        description=f"{config.names.title} {config.api_type.upper()} API with IAM authorization, invoked cross-account",
    )
    wired = _wired_to(api_stack, config)

    def consumer(stack: Stack) -> Stack:
        if config.api_id is None:
            # A weak reference records no dependency: `cdk deploy --all` needs one.
            _after(stack, api_stack, "reads ApiStack's outputs when it deploys")
        return stack

    # With the organization rollout the StackSet is the client side: a ClientStack in an
    # OU account would run as CDK's deploy role, which the guard denies.
    clients = [
        consumer(
            ClientStack(
                scopes.client(account),
                client_stack_name(account),
                stack_name=client_stack_name(account),
                config=wired,
                env=cdk.Environment(account=account, region=config.client_region.name),
                description=f"SigV4-signing requestor for the {config.names.title} API in another account",
            )
        )
        for account in (() if config.org_rollout else config.client_accounts)
    ]
    built = BuiltStacks(api=api_stack, clients=clients)
    if config.access_mode == LAMBDA_AUTHORIZER:
        built = dataclasses.replace(built, authorizer=consumer(_authorizer_stack(scopes, wired)))
    if config.org_rollout is not None:
        guard, stack_set = _org_rollout(app, scopes, wired)
        # The guard first: the API admits the OUs' accounts by the requestor role's name.
        _after(api_stack, guard, "admits the OUs only once the guard protects the role's name")
        built = dataclasses.replace(built, guard=guard, stack_set=consumer(stack_set))
    elif config.org_id is not None:
        cdk.Annotations.of(api_stack).add_warning_v2(
            "cross-account-api:org-admission-unguarded",
            "org_id admits the requestor role by its name in every account of the organization: anyone who may "
            "create IAM roles in any member account can create one of that name and call the API. Roll the "
            "client side out with client_org_units (a StackSet and a service control policy that lets only it "
            "create or change that role), or list client_accounts instead of org_id.",
        )
    _operate(built, config)
    return built


def _after(stack: Stack, earlier: Stack, reason: str) -> None:
    """`stack` deploys after `earlier`. In a pipeline, stacks of different stages are
    ordered by the stages (CDK refuses a dependency across them)."""
    if cdk.Stage.of(stack).node.path == cdk.Stage.of(earlier).node.path:
        stack.add_stack_dependency(earlier, reason)


def _operate(built: BuiltStacks, config: AppConfig) -> None:
    """Each account's alarms, to a topic of its own; who calls; the API's dashboard."""
    api = built.api
    ApiOperations(api, "Operations", config=config, api_id=api.api.api_id, access_logs=api.api.access_logs, backend=api.backend)
    if built.authorizer is not None:
        AuthorizerOperations(built.authorizer, "Operations", config=config, authorizer=built.authorizer.authorizer)
    for client in built.clients:
        RequestorOperations(client, "Operations", config=config, requestor=client.requestor)


def _wired_to(api_stack: ApiStack, config: AppConfig) -> AppConfig:
    """The configuration for ApiStack's consumers, with the API's ids: as given in the
    context, else references to ApiStack's API (and authorizer, and private domain)."""
    if config.api_id is not None:
        return config
    authorizer = api_stack.authorizer
    domain = api_stack.domain
    return dataclasses.replace(
        config,
        api_id=api_stack.api.api_id,
        authorizer_id=authorizer.authorizer_id if authorizer is not None else None,
        # A private domain: the client stacks associate their endpoints with it.
        custom_domain=(
            dataclasses.replace(config.custom_domain, arn=domain.arn, invoke_arn=domain.invoke_arn)
            if isinstance(domain, PrivateDomain)
            else config.custom_domain
        ),
    )


def _org_rollout(app: cdk.App, scopes: AppScopes | DeliveryStages, config: AppConfig) -> tuple[OrgGuardStack, ClientStackSet]:
    """The StackSet of client stacks and the guard on the requestor role's name."""
    rollout = config.org_rollout
    # With the API: a pipeline deploys the guard in its first stage.
    guard = OrgGuardStack(
        scopes.api(),
        "OrgGuardStack",
        stack_name="OrgGuardStack",
        config=config,
        env=cdk.Environment(account=rollout.policy_account, region=rollout.policy_region),
        description="Service control policy: only the StackSet rollout may create or change the requestor role",
    )
    stack_set = ClientStackSet(
        scopes.stack_set(rollout.stackset_account),
        "ClientStackSet",
        stack_name="ClientStackSet",
        config=config,
        context=app.node.get_all_context(),
        env=cdk.Environment(account=rollout.stackset_account, region=config.client_region.name),
        description=f"{config.names.title} API requestors in every account of the OUs (service-managed StackSet)",
    )
    # The guard first: no requestor role may exist in the OUs before it does.
    _after(stack_set, guard, "no requestor role may exist in the OUs before the guard")
    return guard, stack_set


def _authorizer_stack(scopes: AppScopes | DeliveryStages, config: AppConfig) -> AuthorizerStack:
    """The central authorizer in the security account."""
    return AuthorizerStack(
        scopes.authorizer(config.authorizer_account),
        "AuthorizerStack",
        stack_name="AuthorizerStack",
        config=config,
        env=cdk.Environment(account=config.authorizer_account, region=config.api_region.name),
        description=f"Central Lambda authorizer of the {config.names.title} API: callers admitted by their IAM identity",
    )


def build_pipeline(app: cdk.App, config: AppConfig) -> PipelineStack:
    """PipelineStack, whose stages hold the stacks build_stacks makes (pipeline_account set)."""
    stages = DeliveryStages(app, config)
    built = build_stacks(app, config, stages)
    checked = checked_account(config)
    for client in built.clients:
        if client.account == checked:
            admit_the_check(client, config)
    settings = config.pipeline
    return PipelineStack(
        app,
        "PipelineStack",
        config=config,
        stages=stages,
        env=cdk.Environment(account=settings.account, region=settings.region.name),
        description=f"Delivers the {config.names.title} API's stacks to every account from {settings.repository}",
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
        config = load_config(app)
        if config.pipeline is None:
            build_stacks(app, config)
        else:
            build_pipeline(app, config)
    except ConfigError as error:
        print(f"Invalid configuration: {error}", file=sys.stderr)
        return 1
    except NotSetUp as error:
        print(f"The project is not set up: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
