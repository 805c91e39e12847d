"""Who the resource policy admits: the default, explicit ARN patterns, an AWS
Organization, and API Gateway's limit on the policy's size; and, by IAM's own rules
(principalmapper), that the compact policy for listed accounts admits and refuses
exactly what one full role ARN per account did."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stacks.api.resource_policy import INVOKE, POLICY_SIZE_LIMIT, policy_size, resource_policy
from stacks.config import Admission, ConfigError
from stacks.routes import SERVICE
from tests.conftest import config_from, synthesize
from tests.iam import invoke_allowed

REQUESTOR = f"role/{config_from().names.requestor_role}"
# API Gateway's 8192 characters must hold at least this many listed accounts.
ACCOUNTS_TO_FIT = 400


def policy_for(**overrides: Any) -> dict[str, Any]:
    config = config_from(**overrides)
    return resource_policy(config.stage, SERVICE.routes, config.admission).to_json()


def accounts(count: int) -> list[str]:
    return [f"{400000000000 + n:012d}" for n in range(count)]


def test_allowed_principal_arns_admit_more_roles_from_their_accounts() -> None:
    allow_requestors, allow_listed, deny_others, _ = policy_for(
        allowed_principal_arns="arn:aws:iam::777788889999:role/orders-*"
    )["Statement"]
    assert allow_requestors["Condition"]["StringEquals"] == {"aws:PrincipalAccount": ["444455556666"]}
    assert allow_listed["Principal"] == {"AWS": "arn:aws:iam::777788889999:root"}
    assert allow_listed["Condition"] == {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::777788889999:role/orders-*"]}}
    assert deny_others["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}", "arn:aws:iam::777788889999:role/orders-*"]}
    }


def test_an_organization_admits_the_requestor_role_of_any_member_account() -> None:
    allow, deny_others, deny_outside = policy_for(org_id="o-a1b2c3d4e5", client_accounts=accounts(500))["Statement"]
    assert allow["Principal"] == {"AWS": "*"}
    assert allow["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}"]},
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
    }
    assert deny_others["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}"]}}
    assert deny_outside["Condition"] == {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_organization_paths_narrow_the_organization() -> None:
    paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"]
    allow, _, deny_outside = policy_for(org_id="o-a1b2c3d4e5", org_paths=",".join(paths))["Statement"]
    assert allow["Condition"]["ForAnyValue:StringLike"] == {"aws:PrincipalOrgPaths": paths}
    assert allow["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    assert (deny_outside["Sid"], deny_outside["Condition"]) == (
        "DenyOutsideTheOrgPaths",
        {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": paths}},
    )


def test_an_organization_can_admit_role_patterns_in_any_member_account() -> None:
    allow, *_ = policy_for(org_id="o-a1b2c3d4e5", allowed_principal_arns="arn:aws:iam::*:role/orders-*")["Statement"]
    assert allow["Condition"]["ArnLike"] == {
        "aws:PrincipalArn": [f"arn:aws:iam::*:{REQUESTOR}", "arn:aws:iam::*:role/orders-*"]
    }


def most_accounts_that_fit(**overrides: Any) -> int:
    with pytest.raises(ConfigError) as raised:
        policy_for(client_accounts=accounts(2000), **overrides)
    return int(re.search(r"expected at most (\d+) accounts", str(raised.value))[1])


def test_at_least_four_hundred_listed_accounts_fit_the_policy_limit() -> None:
    fit = most_accounts_that_fit()
    assert fit >= ACCOUNTS_TO_FIT
    config = config_from(client_accounts=accounts(fit))
    size = policy_size(resource_policy(config.stage, SERVICE.routes, config.admission))
    assert POLICY_SIZE_LIMIT - len('"400000000000",') < size <= POLICY_SIZE_LIMIT  # one more would not fit


def test_one_account_more_stops_synth_saying_how_many_fit_and_suggesting_org_id() -> None:
    fit = most_accounts_that_fit()
    with pytest.raises(ConfigError) as raised:
        policy_for(client_accounts=accounts(fit + 1))
    message = str(raised.value)
    assert raised.value.key == "client_accounts"
    assert f"expected at most {fit} accounts" in message
    assert "over API Gateway's limit of 8192" in message
    assert "-c org_id=o-" in message


def test_explicit_arns_count_against_the_limit_too() -> None:
    extra = ",".join(f"arn:aws:iam::777788889999:role/team-{n:03d}-*" for n in range(10))
    assert most_accounts_that_fit(allowed_principal_arns=extra) < most_accounts_that_fit()


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


# The policy as it was (one full role ARN per account, three times), the reference
# that the compact one must agree with.
def one_arn_per_account(stage: str, admission: Admission) -> dict[str, Any]:
    arns = list(admission.principal_arns)
    routes = [f"execute-api:/{stage}/{route.arn_suffix}" for route in SERVICE.routes]
    roots = [iam.ArnPrincipal(f"arn:aws:iam::{account}:root") for account in admission.accounts]
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(principals=roots, actions=[INVOKE], resources=routes, conditions={"ArnLike": {"aws:PrincipalArn": arns}}),
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": arns}},
            ),
        ]
    ).to_json()


API_ACCOUNT = "111122223333"
API_ARN = f"arn:aws:execute-api:eu-west-1:{API_ACCOUNT}:a1b2c3d4e5"
ACCOUNTS = [API_ACCOUNT, "444455556666", "777788889999", "222233334444"]
UNLISTED = "999900001111"
REQUESTOR_NAME = REQUESTOR.removeprefix("role/")
# Callers: the requestor role, roles whose names or paths differ from it a little, roles
# that the extra patterns below admit, users (named like the role too).
CALLER_NAMES = [
    f"role/{REQUESTOR_NAME}", f"role/{REQUESTOR_NAME}-evil", f"role/team/{REQUESTOR_NAME}", f"role/x{REQUESTOR_NAME}",
    "role/team-builder", "role/ops/deployer", "role/orders-api-admin", "user/alice", f"user/{REQUESTOR_NAME}",
]  # fmt: skip
EXTRA_PATTERNS = ["role/team-*", "role/ops/deployer", "role/orders-*", f"role/{REQUESTOR_NAME}"]
EVERY_ACTION = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
REQUESTS = [f"{API_ARN}/prod/{route.arn_suffix.replace('*', '42')}" for route in SERVICE.routes] + [
    f"{API_ARN}/prod/DELETE/orders/42",
    f"{API_ARN}/test/GET/",
]


def admission_of(listed: list[str], extra: list[tuple[str, str]]) -> Admission:
    return Admission(
        partition="aws",
        api_account=API_ACCOUNT,
        requestor_role_name=REQUESTOR_NAME,
        requestor_accounts=tuple(listed),
        extra_principal_arns=tuple(dict.fromkeys(f"arn:aws:iam::{account}:{pattern}" for account, pattern in extra)),
    )


def decisions(caller: str, request: str, admission: Admission) -> tuple[bool, bool]:
    """(compact, reference): whether each policy lets `caller`, allowed every action by
    its own identity policy (the widest case), invoke `request`."""
    compact = resource_policy("prod", SERVICE.routes, admission).to_json()
    reference = one_arn_per_account("prod", admission)
    return tuple(invoke_allowed(caller, EVERY_ACTION, request, policy, API_ARN) for policy in (compact, reference))


@pytest.mark.parametrize(
    ("caller", "admitted"),
    [
        (f"arn:aws:iam::444455556666:{REQUESTOR}", True),  # listed
        (f"arn:aws:iam::{UNLISTED}:{REQUESTOR}", False),  # not listed
        (f"arn:aws:iam::{API_ACCOUNT}:{REQUESTOR}", False),  # the API's account, not listed: one Allow would do
        (f"arn:aws:iam::{API_ACCOUNT}:role/orders-api-admin", False),
        (f"arn:aws:iam::444455556666:role/team/{REQUESTOR_NAME}", False),  # a path makes another ARN
        (f"arn:aws:iam::444455556666:{REQUESTOR}-evil", False),
        (f"arn:aws:iam::444455556666:user/{REQUESTOR_NAME}", False),
        ("arn:aws:iam::222233334444:role/team-builder", True),  # an extra pattern admits it
        (f"arn:aws:iam::222233334444:{REQUESTOR}", False),  # its account is named by the pattern only
    ],
)
def test_the_compact_policy_decides_each_kind_of_caller_as_before(caller: str, admitted: bool) -> None:
    admission = admission_of(["444455556666", "777788889999"], [("222233334444", "role/team-*")])
    assert decisions(caller, REQUESTS[0], admission) == (admitted, admitted)


@settings(max_examples=500, deadline=None)
@given(
    listed=st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=4, unique=True),
    extra=st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(EXTRA_PATTERNS)), max_size=3),
    data=st.data(),
)
def test_the_compact_policy_admits_and_refuses_exactly_what_one_arn_per_account_did(
    listed: list[str], extra: list[tuple[str, str]], data: st.DataObject
) -> None:
    # Callers are drawn where the two policies could differ: the accounts this admission
    # names (listed, or only by an extra pattern), the API's, and one it does not name.
    # The requestor role's name half the time: most differences would be about its accounts.
    account = data.draw(st.sampled_from([*listed, *(a for a, _ in extra), API_ACCOUNT, UNLISTED]), label="account")
    name = data.draw(st.just(f"role/{REQUESTOR_NAME}") | st.sampled_from(CALLER_NAMES), label="name")
    request = data.draw(st.sampled_from(REQUESTS), label="request")
    compact, reference = decisions(f"arn:aws:iam::{account}:{name}", request, admission_of(listed, extra))
    assert compact == reference


def test_four_hundred_listed_accounts_admit_each_of_them_and_no_other() -> None:
    listed = accounts(ACCOUNTS_TO_FIT)
    admission = admission_of(listed, [])
    for account in (listed[0], listed[199], listed[-1]):
        assert decisions(f"arn:aws:iam::{account}:{REQUESTOR}", REQUESTS[0], admission) == (True, True)
    assert decisions(f"arn:aws:iam::{400000000000 + ACCOUNTS_TO_FIT:012d}:{REQUESTOR}", REQUESTS[0], admission) == (False, False)


# The organization form against the listed one, for the same accounts: an organization
# whose OUs hold the client accounts and the API account (in a client OU, in one of its
# own, or outside the organization: None), and an account outside it. The listed form lists the accounts of the
# admitted OUs; callers carry their organization and path as IAM sets them.
ORG_ID = "o-a1b2c3d4e5"
OU_OF = {"444455556666": "ou-ab12-11111111", "777788889999": "ou-ab12-22222222", "222233334444": "ou-ab12-33333333"}
API_OWN_OU = "ou-ab12-44444444"
OUS = [*OU_OF.values(), API_OWN_OU]
OUTSIDE_THE_ORGANIZATION = UNLISTED


def org_paths(ous: list[str], rollout: bool) -> tuple[str, ...]:
    # The rollout derives `<org>/*/<ou>/*` (the OU wherever it nests); org_paths are written out.
    return tuple(f"{ORG_ID}/{'*' if rollout else 'r-ab12'}/{ou}/*" for ou in ous)


def organization_of(account: str, api_ou: str | None) -> dict[str, Any]:
    ou = {**OU_OF, API_ACCOUNT: api_ou}.get(account)
    return {} if ou is None else {"aws:PrincipalOrgID": ORG_ID, "aws:PrincipalOrgPaths": [f"{ORG_ID}/r-ab12/{ou}/"]}


def both_forms(
    caller: str, request: str, api_ou: str | None, admitted_ous: list[str] | None, patterns: list[str], rollout: bool = False
) -> tuple[bool, bool]:
    """(organization form, listed form) for `caller`, allowed every action by its own
    identity policy; `admitted_ous` None: the whole organization."""
    members = {**OU_OF, API_ACCOUNT: api_ou}
    listed = [account for account, ou in members.items() if ou is not None and (admitted_ous is None or ou in admitted_ous)]
    organization = Admission(
        partition="aws",
        api_account=API_ACCOUNT,
        requestor_role_name=REQUESTOR_NAME,
        requestor_accounts=("*",),
        extra_principal_arns=tuple(f"arn:aws:iam::*:{pattern}" for pattern in patterns),
        org_id=ORG_ID,
        org_paths=() if admitted_ous is None else org_paths(admitted_ous, rollout),
    )
    listing = admission_of(listed, [(account, pattern) for account in listed for pattern in patterns])
    context = organization_of(caller.split(":")[4], api_ou)
    return tuple(
        invoke_allowed(caller, EVERY_ACTION, request, resource_policy("prod", SERVICE.routes, admission).to_json(), API_ARN, context)
        for admission in (organization, listing)
    )


CLIENT_OUS = ["ou-ab12-11111111", "ou-ab12-22222222"]


@pytest.mark.parametrize(
    ("caller", "api_ou", "admitted"),
    [
        (f"arn:aws:iam::444455556666:{REQUESTOR}", API_OWN_OU, True),  # a member account of an admitted OU
        ("arn:aws:iam::444455556666:role/orders-api-admin", API_OWN_OU, False),  # another role of it
        (f"arn:aws:iam::{API_ACCOUNT}:{REQUESTOR}", API_OWN_OU, False),  # the API account is no client: one Allow would do
        (f"arn:aws:iam::{API_ACCOUNT}:{REQUESTOR}", CLIENT_OUS[0], True),  # the API account is itself a client
        (f"arn:aws:iam::{API_ACCOUNT}:role/orders-api-admin", CLIENT_OUS[0], False),
        (f"arn:aws:iam::222233334444:{REQUESTOR}", API_OWN_OU, False),  # in the organization, outside the paths
        (f"arn:aws:iam::{OUTSIDE_THE_ORGANIZATION}:{REQUESTOR}", API_OWN_OU, False),
    ],
)
@pytest.mark.parametrize("rollout", [False, True], ids=["org_paths", "client_org_units"])
def test_the_organization_form_decides_each_kind_of_caller_as_the_listed_form(
    caller: str, api_ou: str, admitted: bool, rollout: bool
) -> None:
    assert both_forms(caller, REQUESTS[0], api_ou, CLIENT_OUS, [], rollout) == (admitted, admitted)


def test_with_the_whole_organization_the_api_account_outside_it_is_no_client() -> None:
    requestor_there = f"arn:aws:iam::{API_ACCOUNT}:{REQUESTOR}"
    assert both_forms(requestor_there, REQUESTS[0], None, None, []) == (False, False)
    assert both_forms(requestor_there, REQUESTS[0], API_OWN_OU, None, []) == (True, True)


@settings(max_examples=300, deadline=None)
@given(
    api_ou=st.sampled_from([CLIENT_OUS[0], API_OWN_OU, None]),
    admitted_ous=st.none() | st.lists(st.sampled_from(OUS), min_size=1, unique=True),
    patterns=st.lists(st.sampled_from(EXTRA_PATTERNS), max_size=2, unique=True),
    rollout=st.booleans(),
    data=st.data(),
)
def test_the_organization_form_admits_and_refuses_exactly_what_the_listed_form_does(
    api_ou: str | None, admitted_ous: list[str] | None, patterns: list[str], rollout: bool, data: st.DataObject
) -> None:
    members = {**OU_OF, API_ACCOUNT: api_ou}
    # The listed form needs an account to list.
    assume(admitted_ous is None or any(ou in admitted_ous for ou in members.values() if ou is not None))
    account = data.draw(st.sampled_from([*members, OUTSIDE_THE_ORGANIZATION]), label="account")
    name = data.draw(st.just(f"role/{REQUESTOR_NAME}") | st.sampled_from(CALLER_NAMES), label="name")
    request = data.draw(st.sampled_from(REQUESTS), label="request")
    organization, listed = both_forms(f"arn:aws:iam::{account}:{name}", request, api_ou, admitted_ous, patterns, rollout)
    assert organization == listed
