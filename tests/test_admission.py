"""Who the resource policy admits: the default, explicit ARN patterns, an AWS
Organization, and API Gateway's limit on the policy's size."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.api.resource_policy import POLICY_SIZE_LIMIT, policy_size, resource_policy
from stacks.config import ConfigError
from stacks.routes import SERVICE
from tests.conftest import config_from, synthesize

REQUESTOR = f"role/{config_from().names.requestor_role}"
# The most client accounts the default admission fits in API Gateway's 8192 characters.
MOST_ACCOUNTS_THAT_FIT = 43


def policy_for(**overrides: Any) -> dict[str, Any]:
    config = config_from(**overrides)
    return resource_policy(config.stage, SERVICE.routes, config.admission).to_json()


def accounts(count: int) -> list[str]:
    return [f"{400000000000 + n:012d}" for n in range(count)]


def test_allowed_principal_arns_admit_more_roles_from_their_accounts() -> None:
    allow, deny = policy_for(allowed_principal_arns="arn:aws:iam::777788889999:role/orders-*")["Statement"]
    admitted = [f"arn:aws:iam::444455556666:{REQUESTOR}", "arn:aws:iam::777788889999:role/orders-*"]
    assert allow["Principal"] == {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:root"]}
    assert allow["Condition"] == {"ArnLike": {"aws:PrincipalArn": admitted}}
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": admitted}}


def test_an_organization_admits_the_requestor_role_of_any_member_account() -> None:
    allow, deny = policy_for(org_id="o-a1b2c3d4e5", client_accounts=accounts(500))["Statement"]
    assert allow["Principal"] == {"AWS": "*"}
    assert allow["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}"]},
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
    }
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}"]}}


def test_organization_paths_narrow_the_organization() -> None:
    allow, _ = policy_for(
        org_id="o-a1b2c3d4e5",
        org_paths="o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*,o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*",
    )["Statement"]
    assert allow["Condition"]["ForAnyValue:StringLike"] == {
        "aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"]
    }
    assert allow["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}


def test_an_organization_can_admit_role_patterns_in_any_member_account() -> None:
    allow, _ = policy_for(org_id="o-a1b2c3d4e5", allowed_principal_arns="arn:aws:iam::*:role/orders-*")["Statement"]
    assert allow["Condition"]["ArnLike"] == {
        "aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}", "arn:aws:iam::*:role/orders-*"]
    }


def test_the_largest_client_account_list_fits_the_policy_limit() -> None:
    config = config_from(client_accounts=accounts(MOST_ACCOUNTS_THAT_FIT))
    size = policy_size(resource_policy(config.stage, SERVICE.routes, config.admission))
    assert POLICY_SIZE_LIMIT - 200 < size <= POLICY_SIZE_LIMIT


def test_one_account_more_stops_synth_saying_how_many_fit_and_suggesting_org_id() -> None:
    with pytest.raises(ConfigError) as raised:
        policy_for(client_accounts=accounts(MOST_ACCOUNTS_THAT_FIT + 1))
    message = str(raised.value)
    assert raised.value.key == "client_accounts"
    assert f"expected at most {MOST_ACCOUNTS_THAT_FIT} accounts" in message
    assert "over API Gateway's limit of 8192" in message
    assert "-c org_id=o-" in message


def test_explicit_arns_count_against_the_limit_too() -> None:
    extra = ",".join(f"arn:aws:iam::777788889999:role/team-{n:03d}-*" for n in range(10))
    with pytest.raises(ConfigError, match="expected at most 38 accounts"):
        policy_for(client_accounts=accounts(40), allowed_principal_arns=extra)


def test_in_an_organization_the_limit_names_the_arn_patterns() -> None:
    extra = ",".join(f"arn:aws:iam::*:role/team-{n:03d}-{'x' * 40}" for n in range(200))
    with pytest.raises(ConfigError) as raised:
        policy_for(org_id="o-a1b2c3d4e5", allowed_principal_arns=extra)
    assert raised.value.key == "allowed_principal_arns"


def test_the_app_applies_the_organization_to_the_api_stack() -> None:
    synth = synthesize(org_id="o-a1b2c3d4e5")
    (api,) = synth.api.find_resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Policy"]["Statement"][0]["Condition"]["StringEquals"] == {
        "aws:PrincipalOrgID": "o-a1b2c3d4e5"
    }
