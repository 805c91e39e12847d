"""The messages a newcomer met in a trial of the project, each as it now reads: a key
to remove says so, values are shown as they were written, a mode's rule is named,
missing keys come all at once, unknown keys are reported, and the make targets say
which setting builds a stack they were asked for."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import app as cdk_app
from stacks.config import ACCESS_MODES, ConfigError
from tests.background import Run
from tests.conftest import MODES, PROJECT_ROOT, SET_UP, config_from, environment_without, suite_context, synthesize
from tests.pipeline_assembly import PIPELINE as PIPELINE_KEYS
from tools import pick_stacks
from tools.pick_stacks import NotInThisConfiguration

SECOND_ACCOUNT = "777788889999"


def message_for(**overrides: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    return str(raised.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"org_paths": "o-a1b2c3d4e5/r-ab12/*"}, "org_paths"),
        ({"authorizer_account": "999988887777"}, "authorizer_account"),
        ({"client_vpc_ids": "vpc-0a1b2c3d4e5f67890"}, "client_vpc_ids"),
        ({"stackset_account": "111122223333"}, "stackset_account"),
    ],
)
def test_a_key_that_must_go_says_remove_it(overrides: dict[str, Any], key: str) -> None:
    message = message_for(**overrides)
    assert f"Remove it from cdk.json (or the -c {key}=... argument)." in message
    assert "=<value>" not in message


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"client_accounts": ["4444", "5555"]}, "is '4444'"),
        ({"stage": ["blue", "green"]}, "is 'blue', 'green'"),
        ({"client_accounts": {"team": "444455556666"}}, 'is {"team": "444455556666"}'),
        ({"throttle_rate": True}, "is true"),
        ({"client_region": ("eu-west-1",)}, "is 'eu-west-1'"),
    ],
)
def test_values_are_shown_as_written_not_as_python_reprs(overrides: dict[str, Any], shown: str) -> None:
    found = message_for(**overrides).split(": expected")[0]
    assert found.endswith(shown)
    assert not any(python_only in found for python_only in ("('", "['", "{'", "True"))


def test_an_authorizer_with_an_http_api_names_the_rest_only_rule() -> None:
    message = message_for(api_type="http", access_mode="lambda-authorizer")
    assert "the central authorizer is built for REST APIs only" in message
    assert "Use api_type rest for access_mode lambda-authorizer" in message


def test_a_private_api_reports_all_its_missing_keys_at_once() -> None:
    message = message_for(endpoint_type="private")
    assert message.startswith("endpoint_type private needs context keys that are not set: 'client_vpc_ids'")
    assert "'client_subnet_ids'" in message


def test_a_key_of_neither_the_app_nor_cdk_is_reported() -> None:
    assert message_for(service="inventory") == (
        "context key 'service' is not a key of this app or of CDK: remove it from cdk.json (or the -c argument); "
        "the app's keys are in docs/configuration.md."
    )


def test_the_keys_cdk_and_its_cli_write_are_not_reported() -> None:
    cdk_own = {
        "@aws-cdk/aws-lambda:recognizeLayerVersion": True,
        "aws:cdk:enable-path-metadata": True,
        "availability-zones:account=111122223333:region=eu-west-1": ["eu-west-1a"],
        "cli-telemetry": False,
        "notices": False,
        "acknowledged-issue-numbers": [34892],
    }
    assert config_from(**cdk_own).api_account == "111122223333"


def test_the_access_mode_outputs_list_every_mode() -> None:
    synth = synthesize()
    for template in (synth.deployed("ApiStack"), synth.deployed(cdk_app.client_stack_name("444455556666"))):
        description = template.find_outputs("AccessMode")["AccessMode"]["Description"]
        assert all(mode in description for mode in ACCESS_MODES)
        assert all(key in description for key in ("api_type", "endpoint_type", "client_org_units"))


def test_adding_a_client_account_renames_no_client_stack() -> None:
    one = {stack.stack_name for stack in synthesize().client_stacks}
    two = {stack.stack_name for stack in synthesize(client_accounts=["444455556666", SECOND_ACCOUNT]).client_stacks}
    assert one < two


# The make targets' choice of stacks, from what synth wrote to cdk.out.
ONE_CLIENT = ["ApiStack", "ClientStack-444455556666"]
TWO_CLIENTS = [*ONE_CLIENT, f"ClientStack-{SECOND_ACCOUNT}"]
ORG_ROLLOUT = ["OrgGuardStack", "ApiStack", "ClientStackSet"]
# With pipeline_account, the app's own stacks: the pipeline (its stages' stacks are nested).
PIPELINE = ["PipelineStack"]


@pytest.mark.parametrize(
    ("kind", "asked", "stacks", "picked"),
    [
        ("client", "", ONE_CLIENT, ["ClientStack-444455556666"]),
        ("client", f"ClientStack-{SECOND_ACCOUNT}", TWO_CLIENTS, [f"ClientStack-{SECOND_ACCOUNT}"]),
        ("authorizer", "", [*ONE_CLIENT, "AuthorizerStack"], ["AuthorizerStack"]),
        ("org", "", ORG_ROLLOUT, ["OrgGuardStack", "ClientStackSet"]),
        ("org", "ClientStackSet", ORG_ROLLOUT, ["ClientStackSet"]),
        ("smoke", "ClientStackSet", ORG_ROLLOUT, ["ClientStackSet"]),
        ("api", "", ONE_CLIENT, ["ApiStack"]),
        ("pipeline", "", PIPELINE, ["PipelineStack"]),
    ],
)
def test_a_target_acts_on_the_stacks_this_configuration_builds(
    kind: str, asked: str, stacks: list[str], picked: list[str]
) -> None:
    assert pick_stacks.pick(kind, asked, stacks) == picked


@pytest.mark.parametrize(
    ("kind", "asked", "stacks", "explanation"),
    [
        ("client", "", TWO_CLIENTS, "name one with STACK=ClientStack-<account> (ClientStack-444455556666, ClientStack-7777"),
        ("client", "ClientStack", ONE_CLIENT, "one client stack per account of client_accounts, its client stacks are ClientStack-4444"),
        ("client", "", ORG_ROLLOUT, "with client_org_units the StackSet is the client side"),
        ("authorizer", "", ONE_CLIENT, "builds no AuthorizerStack: access_mode=lambda-authorizer (with authorizer_account) builds it"),
        ("org", "", ONE_CLIENT, "builds no OrgGuardStack: client_org_units (with org_id and stackset_account) builds it"),
        ("smoke", "ClientStackSet", ONE_CLIENT, "builds no ClientStackSet: client_org_units (with org_id and stackset_account)"),
        ("pipeline", "", ONE_CLIENT, "builds no PipelineStack: pipeline_account (with pipeline_connection_arn and pipeline_repository)"),
        *[(kind, "", PIPELINE, "with pipeline_account set, the pipeline deploys") for kind in ("api", "client", "authorizer", "org", "smoke")],
    ],
)
def test_a_stack_this_configuration_does_not_build_names_the_setting_that_builds_it(
    kind: str, asked: str, stacks: list[str], explanation: str
) -> None:
    with pytest.raises(NotInThisConfiguration) as raised:
        pick_stacks.pick(kind, asked, stacks)
    assert explanation in str(raised.value)


# What a project needs to run its make targets, linked from this one; cdk.json is the test's.
PROJECT_FILES = (
    "Makefile", "app.py", "stacks", "lambda_src", "tools", "node_modules", ".venv", ".wheelhouse",
    "package.json", "package-lock.json", "requirements.lock", "requirements-dev.lock",
)  # fmt: skip
OUTER_SETTINGS = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PROFILE", "STACK", "STACKS", "CDK_ARGS", "AWS_PROFILE", "CI"}


def make(*arguments: str, **context: Any) -> Run:
    """`make <arguments>` in a project of its own whose cdk.json holds the suite's
    configuration changed by `context`, with one AWS profile, `client`."""

    def prepare(project: pathlib.Path) -> dict[str, str]:
        for name in PROJECT_FILES:
            (project / name).symlink_to(PROJECT_ROOT / name)
        (project / "cdk.json").write_text(json.dumps({"app": "sh tools/cdk-app", "context": suite_context(**context)}))
        (project / "aws-config").write_text("[profile client]\nregion = eu-west-1\n")
        return environment_without(OUTER_SETTINGS, HOME=str(project), AWS_CONFIG_FILE=str(project / "aws-config"))

    return Run(["make", "--no-print-directory", *SET_UP, *arguments], prepare)


# Started when the session starts (tests/background.py).
BACKGROUND = {
    "synth": make("synth"),
    "synth with a bad value": make("synth", stage="pr od"),
    "deploy-client with two accounts": make("deploy-client", "PROFILE=client", client_accounts=["444455556666", SECOND_ACCOUNT]),
    "deploy-authorizer in assume-role mode": make("deploy-authorizer", "PROFILE=client", **MODES["assume-role"]),
    "deploy-pipeline with CDK_ARGS": make("deploy-pipeline", "PROFILE=client", "CDK_ARGS=-c pipeline_approval=true", **PIPELINE_KEYS),
    "deploy-api with a pipeline": make("deploy-api", "PROFILE=client", **PIPELINE_KEYS),
}


def test_make_synth_prints_no_stack_id_hint_and_no_npm_notice() -> None:
    result = BACKGROUND["synth"].result
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Templates written to cdk.out/: ApiStack.template.json ClientStack-444455556666.template.json" in output
    assert "Supply a stack id (" not in output  # the hint, not the recipe that filters it out
    assert "npm" not in output.lower()


def test_make_synth_still_fails_and_explains_a_bad_value() -> None:
    result = BACKGROUND["synth with a bad value"].result
    assert result.returncode == 2
    assert "Invalid configuration: context key 'stage' is 'pr od'" in result.stderr


def test_make_deploy_client_with_several_accounts_asks_which_one() -> None:
    result = BACKGROUND["deploy-client with two accounts"].result
    assert result.returncode == 2
    assert "Nothing to do: this configuration has 2 client stacks, one per client account: name one with STACK=" in (
        result.stderr
    )


def test_make_deploy_authorizer_without_the_authorizer_mode_names_the_setting() -> None:
    result = BACKGROUND["deploy-authorizer in assume-role mode"].result
    assert result.returncode == 2
    assert "builds no AuthorizerStack: access_mode=lambda-authorizer (with authorizer_account) builds it" in result.stderr


def test_make_deploy_pipeline_refuses_cdk_args_the_next_push_would_undo() -> None:
    run = BACKGROUND["deploy-pipeline with CDK_ARGS"]
    assert run.result.returncode == 2
    assert "the pipeline synthesizes from the cdk.json of its repository" in run.result.stderr
    assert not (run.directory / "cdk.out").exists()


def test_make_deploy_api_with_a_pipeline_says_the_pipeline_deploys_it() -> None:
    result = BACKGROUND["deploy-api with a pipeline"].result
    assert result.returncode == 2
    assert "Nothing to do: with pipeline_account set, the pipeline deploys this configuration's stacks" in result.stderr
