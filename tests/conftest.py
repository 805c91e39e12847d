"""Shared helpers: the app built as `cdk synth` builds it, on the suite's own configuration.

The suite never reads a user's configuration: it takes only the feature flags from
cdk.json (they decide what CDK synthesizes) and tests its own example configuration,
so real accounts or an api_id in cdk.json change nothing here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
from dataclasses import dataclass
from functools import cached_property
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk.assertions import Template
from botocore.stub import Stubber

import app as cdk_app
from app import BuiltStacks
from lambda_src.requestor import credentials
from stacks.api.api_stack import ApiStack
from stacks.client.client_stack import ClientStack
from stacks.config import AppConfig
from stacks.names import Names
from stacks.org import member_template
from stacks.routes import SERVICE, Backend, Route, RouteError, Service
from tests.deploy_time import Deployment

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
# The AWS documentation's example accounts. No api_id: the consumers of ApiStack read
# its ids when they deploy, as in a real configuration.
TEST_CONFIGURATION: dict[str, Any] = {
    "api_account": "111122223333",
    "api_region": "eu-west-1",
    "client_accounts": ["444455556666"],
    "stage": "prod",
}
# The one client account's stack, named as app.py names every client stack.
CLIENT_STACK = cdk_app.client_stack_name(TEST_CONFIGURATION["client_accounts"][0])

# make's options for a test that runs the project's targets: the suite runs inside the
# set-up project, so make must not set it up again under it (reinstalling the very
# packages and CLI the suite is using).
SET_UP = ("-o", ".venv/.requirements-installed", "-o", "node_modules/.package-lock.json", "-o", ".wheelhouse/.ready")

# Each mode's changes to the suite's configuration, a context key each (the HTTP API
# implies the invoker role; the private API is shown in both access modes).
PRIVATE = {
    "endpoint_type": "private",
    "client_vpc_ids": "vpc-0a1b2c3d4e5f67890",
    "client_subnet_ids": "subnet-0a1b2c3d4e5f67890,subnet-0b1b2c3d4e5f67890",
}

MODES = {
    "resource-policy": {},
    "assume-role": {"access_mode": "assume-role"},
    "http": {"api_type": "http"},
    "private": PRIVATE,
    "private-assume-role-endpoints": {**PRIVATE, "access_mode": "assume-role", "create_vpc_endpoint": True},
    "lambda-authorizer": {"access_mode": "lambda-authorizer", "authorizer_account": "999988887777"},
    # The StackSet finds the client accounts in the OUs: none is listed.
    "org-rollout": {
        "client_accounts": None,
        "org_id": "o-a1b2c3d4e5",
        "client_org_units": "ou-ab12-cdefgh34",
        "stackset_account": "111122223333",
        "policy_account": "222233334444",
    },
}

# A custom domain for the API (docs/modes/custom-domains.md): a private API's, shared with
# the client accounts, and a regional REST and HTTP API's. Gated (tests/gates.py), not
# modes of their own: the tests of every mode do not run on them.
DOMAIN = {
    "custom_domain_name": "orders.internal.example.com",
    "custom_domain_certificate_arn": "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
}
DOMAIN_HOSTED_ZONE = "Z0123456789ABCDEFGHIJ"
DOMAIN_MODES = {
    "private-domain": {**PRIVATE, **DOMAIN, "create_vpc_endpoint": True},
    "regional-domain": {**DOMAIN, "custom_domain_hosted_zone_id": DOMAIN_HOSTED_ZONE},
    "http-domain": {**MODES["http"], **DOMAIN},
}


# Another team's service, for the tests that prove every security property follows
# the declared routes and names: a path parameter, a PUT with a body, no POST.
STOCK_LEVEL = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    title="StockLevel",
    type=apigateway.JsonSchemaType.OBJECT,
    required=["count"],
    properties={"count": apigateway.JsonSchema(type=apigateway.JsonSchemaType.INTEGER, minimum=0)},
)
INVENTORY = Service(
    routes=(
        Route("GET", "/health"),
        Route("GET", "/inventory/{sku}"),
        Route("PUT", "/inventory/{sku}", body_schema=STOCK_LEVEL),
    ),
    health=Route("GET", "/health"),
    backend=Backend(source="api"),
)
# Each service the security tests run on: its context and its declaration.
SERVICES = {"orders": ({}, SERVICE), "inventory": ({"service_name": "inventory"}, INVENTORY)}


def pytest_sessionstart(session: pytest.Session) -> None:
    # A mistake in stacks/routes.py would fail most tests, each with the same RouteError:
    # it is said once, as app.py says it, before any test runs.
    try:
        SERVICE.check(backend_code=True)
    except RouteError as error:
        pytest.exit(f"Invalid configuration: {error}", returncode=pytest.ExitCode.USAGE_ERROR)


def environment_without(names: set[str], **changes: str) -> dict[str, str]:
    """This process's environment less `names` (settings of an outer make or shell), with
    `changes`: for the commands a test runs."""
    return {**{key: value for key, value in os.environ.items() if key not in names}, **changes}


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


def load_config(app: cdk.App, service: Service | None) -> AppConfig:
    config = cdk_app.load_config(app)
    return config if service is None else dataclasses.replace(config, service=service)


@dataclass(frozen=True)
class SynthesizedApp:
    """An app's stacks, their templates as synthesized, and `deployment`: the same
    templates as CloudFormation would deploy them, references to ApiStack resolved."""

    config: AppConfig
    stacks: BuiltStacks
    deployment: Deployment

    @property
    def out_dir(self) -> pathlib.Path:
        """The assembly's directory: templates, assets and the validation report."""
        return pathlib.Path(self.deployment.assembly.directory)

    @property
    def api_stack(self) -> ApiStack:
        return self.stacks.api

    @property
    def client_stacks(self) -> list[ClientStack]:
        return self.stacks.clients

    @cached_property
    def api(self) -> Template:
        return Template.from_stack(self.stacks.api)

    @cached_property
    def clients(self) -> dict[str, Template]:
        return {stack.stack_name: Template.from_stack(stack) for stack in self.stacks.clients}

    @property
    def client(self) -> Template:
        (only,) = self.clients.values()
        return only

    def deployed(self, stack_name: str) -> Template:
        return Template.from_json(self.deployment.template(stack_name))

    @property
    def names(self) -> Names:
        return self.config.names

    @property
    def routes(self) -> tuple[Route, ...]:
        return self.config.service.routes

    def requestor_role_arn(self, account: str) -> str:
        return f"arn:{self.config.api_region.partition}:iam::{account}:role/{self.names.requestor_role}"

    @property
    def requestor_role_pattern(self) -> str:
        """The requestor role's ARN in any account, as the resource policy names it."""
        return self.requestor_role_arn("*")

    def route_arns(self, api_id: str) -> list[str]:
        """Every route of the stage, as execute-api ARNs of the API `api_id`."""
        region = self.config.api_region
        api = f"arn:{region.partition}:execute-api:{region.name}:{self.config.api_account}:{api_id}"
        return [f"{api}/{self.config.stage}/{route.arn_suffix}" for route in self.routes]

    def request_arns(self, api_id: str) -> list[str]:
        """An execute-api ARN of a request to each route: path parameters given a value."""
        return [arn.replace("*", "123") for arn in self.route_arns(api_id)]

    @property
    def policy_resources(self) -> list[str]:
        """Every route of the stage, as a resource policy names it (`execute-api:/`: this API)."""
        return [f"execute-api:/{self.config.stage}/{route.arn_suffix}" for route in self.routes]

    @property
    def deployed_client(self) -> Template:
        (only,) = self.stacks.clients
        return self.deployed(only.stack_name)


# CDK's context key for the stacks whose assets are bundled: none. Bundling copies the
# backend's packages into the assembly at every synth; only the tests that read a
# bundle (synthesize_bundled) pay for it, and the templates are otherwise the same.
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}
# Every app the session has synthesized, by its configuration: built once, read by
# every test that asks for that configuration, changed by none.
_SYNTHESIZED: dict[tuple[int, bool, str], tuple[Service | None, SynthesizedApp]] = {}


def synthesize(service: Service | None = None, *, gated: bool = False, **overrides: Any) -> SynthesizedApp:
    """The app on the suite's configuration changed by `overrides` (and another
    `service` than stacks/routes.py declares), synthesized once per session into an
    assembly directory of its own (`out_dir`), assets not bundled.

    `gated`: judged by the app's validation plugins (cdk-nag, Control Tower's controls)
    as `cdk synth` judges it. The gated configurations are each mode and pipeline
    (tests/gates.py); the other configurations of the suite, which tests read for other
    properties, are synthesized without the plugins, which cost about half of a synth."""
    key = (id(service), gated, json.dumps(overrides, sort_keys=True))
    if key not in _SYNTHESIZED:
        _SYNTHESIZED[key] = (service, _synthesized(service, {**NO_BUNDLING, **overrides}, gated=gated))
    return _SYNTHESIZED[key][1]


def synthesize_bundled(outdir: pathlib.Path, service: Service | None = None, **overrides: Any) -> SynthesizedApp:
    """A new app of its own in `outdir`, its assets bundled and judged by the plugins:
    for the tests that read a bundle."""
    return _synthesized(service, overrides, outdir, gated=True)


def _synthesized(
    service: Service | None, overrides: dict[str, Any], outdir: pathlib.Path | None = None, *, gated: bool
) -> SynthesizedApp:
    app = cdk_app.new_app(context=suite_context(**overrides), **({"outdir": str(outdir)} if outdir else {}))
    config = load_config(app, service)
    with contextlib.nullcontext() if gated else without_the_validation_plugins():
        stacks = cdk_app.build_stacks(app, config)
    return SynthesizedApp(config=config, stacks=stacks, deployment=Deployment(app.synth()))


@contextlib.contextmanager
def without_the_validation_plugins() -> Iterator[None]:
    """Apps built meanwhile (the app and a StackSet's member app) get no validation plugin."""
    with pytest.MonkeyPatch.context() as patch:
        for module in (cdk_app, member_template):
            patch.setattr(module, "attach_security_checks", lambda app: None)
        yield


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The requestor's STS client, stubbed: each test says what AssumeRole answers."""
    client = botocore.session.get_session().create_client(
        "sts", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    monkeypatch.setattr(credentials, "_sts_client", client)
    monkeypatch.setattr(credentials, "_assumed", {})
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules whose tests read what processes of their own compute (their
    BACKGROUND runs, tests/background.py; checkov and cfn-lint, tests/gates.py) run
    last, so that the processes, started with the session, use the second core while
    the other tests synthesize."""
    waiting = {item.module for item in items if hasattr(item.module, "BACKGROUND") or "gate_scans" in item.fixturenames}
    items.sort(key=lambda item: item.module in waiting)


@pytest.fixture(scope="session", autouse=True)
def processes_started_with_the_session(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    for module in {item.module for item in items}:
        for run in getattr(module, "BACKGROUND", {}).values():
            run.start()
    if any("gate_scans" in item.fixturenames for item in items):
        request.getfixturevalue("gate_scans")


@pytest.fixture(scope="session")
def gate_scans() -> Any:
    """cfn-lint and checkov on every gated configuration, once a session (tests/gates.py)."""
    from tests.gates import scans

    return scans()
