"""The pipeline's context keys: defaults, values as `-c` gives them, and each bad value
named with what was wrong and how to fix it, including the configurations whose
accounts a pipeline cannot reach."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError
from tests.conftest import MODES, config_from
from tests.pipeline_assembly import PIPELINE

CONNECTION_ID = "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def test_without_pipeline_account_there_is_no_pipeline() -> None:
    assert config_from().pipeline is None


def test_the_pipeline_runs_in_the_apis_region_on_main_without_approval_by_default() -> None:
    config = config_from(**PIPELINE)
    settings = config.pipeline
    assert (settings.account, settings.region, settings.branch, settings.approval) == (
        PIPELINE["pipeline_account"],
        config.api_region,
        "main",
        False,
    )
    assert (settings.connection_arn, settings.repository) == (PIPELINE["pipeline_connection_arn"], PIPELINE["pipeline_repository"])


def test_values_given_with_dash_c_parse() -> None:
    settings = config_from(
        **{
            **PIPELINE,
            "pipeline_region": "eu-central-1",
            "pipeline_connection_arn": f"arn:aws:codestar-connections:eu-central-1:999988887777:connection/{CONNECTION_ID}",
            "pipeline_branch": "release/2026.12",
            "pipeline_approval": "true",
        }
    ).pipeline
    assert (settings.region.name, settings.branch, settings.approval) == ("eu-central-1", "release/2026.12", True)


def test_a_connection_made_in_another_region_serves_the_pipeline() -> None:
    """Connections are global: one made in us-east-1 serves a pipeline in eu-west-1."""
    assert config_from(**{**PIPELINE, "pipeline_connection_arn": other_connection(region="us-east-1")}).pipeline is not None


def other_connection(region: str = "eu-west-1", account: str = "999988887777", partition: str = "aws") -> str:
    return f"arn:{partition}:codeconnections:{region}:{account}:connection/{CONNECTION_ID}"


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"pipeline_account": "99998888777"}, "pipeline_account", "12-digit AWS account id"),
        ({"pipeline_region": "eu-west"}, "pipeline_region", "AWS region name"),
        ({"pipeline_region": "cn-north-1"}, "pipeline_region", "cannot reach accounts of another partition"),
        ({"pipeline_connection_arn": "my-github-connection"}, "pipeline_connection_arn", "Developer Tools > Connections"),
        (
            {"pipeline_connection_arn": other_connection(account="111122223333")},
            "pipeline_connection_arn",
            "a connection of pipeline_account 999988887777 in partition aws",
        ),
        (
            {"pipeline_connection_arn": other_connection(partition="aws-cn", region="cn-north-1")},
            "pipeline_connection_arn",
            "uses connections of its own account only",
        ),
        ({"pipeline_repository": "https://github.com/my-org/orders-api"}, "pipeline_repository", "no URL, no .git"),
        ({"pipeline_repository": "my-org/orders-api.git"}, "pipeline_repository", "no URL, no .git"),
        ({"pipeline_repository": "orders-api"}, "pipeline_repository", "owner/name"),
        ({"pipeline_branch": "release..1"}, "pipeline_branch", "no '..'"),
        ({"pipeline_branch": "-main"}, "pipeline_branch", "no leading '-'"),
        ({"pipeline_branch": "feature/"}, "pipeline_branch", "no trailing '/'"),
        ({"pipeline_branch": "main.lock"}, "pipeline_branch", "'.lock'"),
        ({"pipeline_branch": "my branch"}, "pipeline_branch", "a git branch name"),
        ({"pipeline_approval": "yes please"}, "pipeline_approval", "true or false"),
    ],
)
def test_each_bad_value_names_the_key_the_value_and_the_fix(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**{**PIPELINE, **overrides})
    assert raised.value.key == key
    assert f"context key '{key}'" in str(raised.value)
    assert expected in str(raised.value)


def test_with_only_pipeline_account_every_missing_pipeline_key_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(pipeline_account=PIPELINE["pipeline_account"])
    assert str(raised.value) == (
        "pipeline_account needs context keys that are not set: 'pipeline_connection_arn' (the ARN of a CodeConnections "
        "connection to the repository's host, such as arn:aws:codeconnections:eu-west-1:999988887777:connection/<uuid>; "
        "create it in the console under Developer Tools > Connections and finish its handshake); 'pipeline_repository' "
        "(the repository as owner/name, such as \"my-org/orders-api\": no URL, no .git). Set them in cdk.json or pass "
        "-c key=<value>."
    )


@pytest.mark.parametrize("key", ["pipeline_connection_arn", "pipeline_repository"])
def test_one_missing_pipeline_key_is_named_alone(key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**{**PIPELINE, key: None})
    assert raised.value.key == key
    assert str(raised.value).startswith(f"pipeline_account needs context keys that are not set: '{key}' (")
    assert str(raised.value).count("' (") == 1


@pytest.mark.parametrize(
    "key",
    ["pipeline_region", "pipeline_connection_arn", "pipeline_repository", "pipeline_branch", "pipeline_approval", "pipeline_acts_as_org_admin"],
)
def test_a_pipeline_key_without_pipeline_account_says_it_turns_the_pipeline_on(key: str) -> None:
    value = {
        **PIPELINE,
        "pipeline_region": "eu-west-1",
        "pipeline_branch": "main",
        "pipeline_approval": True,
        "pipeline_acts_as_org_admin": True,
    }[key]
    with pytest.raises(ConfigError) as raised:
        config_from(**{key: value})
    assert raised.value.key == key
    assert "no value unless pipeline_account is set (it turns the pipeline on)" in str(raised.value)


def refusal(**overrides: Any) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        config_from(**{**PIPELINE, **overrides})
    return raised.value


def test_a_client_account_cannot_run_the_pipeline() -> None:
    """Its administrators would deploy into the API account, which trusts the pipeline's."""
    error = refusal(client_accounts=["444455556666", PIPELINE["pipeline_account"]])
    assert error.key == "pipeline_account"
    assert "an account that is not one of client_accounts" in str(error)
    assert "a client account's administrators could deploy into the API account" in str(error)


def test_the_security_account_cannot_run_the_pipeline() -> None:
    """The authorizer's administrators decide who gets in; they must not also deploy the API."""
    error = refusal(**{**MODES["lambda-authorizer"], "authorizer_account": PIPELINE["pipeline_account"]})
    assert error.key == "pipeline_account"
    assert "an account other than authorizer_account" in str(error)
    assert "Use a tooling account of its own" in str(error)


@pytest.mark.parametrize("value", [None, False, "false"])
def test_the_org_rollout_needs_the_key_that_says_the_pipeline_acts_as_organization_admin(value: Any) -> None:
    error = refusal(**MODES["org-rollout"], pipeline_acts_as_org_admin=value)
    rollout = MODES["org-rollout"]
    assert error.key == "pipeline_acts_as_org_admin"
    assert f"OrgGuardStack (an SCP) into policy_account {rollout['policy_account']}" in str(error)
    assert f"ClientStackSet into stackset_account {rollout['stackset_account']}" in str(error)
    assert "as an organization administrator can" in str(error)
    assert "Fix it in cdk.json or pass -c pipeline_acts_as_org_admin=<value>" in str(error)


def test_the_org_rollout_with_the_key_builds_the_pipeline() -> None:
    assert config_from(**{**PIPELINE, **MODES["org-rollout"], "pipeline_acts_as_org_admin": "true"}).pipeline is not None


def test_the_org_admin_key_without_the_org_rollout_is_refused() -> None:
    error = refusal(pipeline_acts_as_org_admin=True)
    assert error.key == "pipeline_acts_as_org_admin"
    assert "no value unless client_org_units is set" in str(error)
