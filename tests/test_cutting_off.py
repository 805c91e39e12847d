"""denied_principals: one caller cut off now, whatever admits it, in every mode. By
IAM's own rules (principalmapper): the REST resource policy and the invoker role's
trust refuse the denied role or account and still admit the others. The authorizer's
deny list is tested with its handler (tests/test_authorizer.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config import ConfigError
from tests.conftest import MODES, SynthesizedApp, config_from, synthesize
from tests.iam import invoke_allowed, local_check_authorization_full, role

LISTED = ["444455556666", "777788889999"]
API_ACCOUNT, API_REGION = "111122223333", "eu-west-1"
EVERY_ACTION = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def requestor(synth: SynthesizedApp, account: str) -> str:
    return synth.requestor_role_arn(account)


@pytest.fixture(scope="module")
def role_denied() -> SynthesizedApp:
    return synthesize(client_accounts=LISTED, denied_principals=f"arn:aws:iam::{LISTED[0]}:role/{config_from().names.requestor_role}")


@pytest.fixture(scope="module")
def account_denied() -> SynthesizedApp:
    return synthesize(client_accounts=LISTED, denied_principals=LISTED[1])


def rest_policy(synth: SynthesizedApp) -> dict[str, Any]:
    (api,) = synth.api.find_resources("AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Policy"]


def may_invoke(synth: SynthesizedApp, account: str) -> bool:
    api_arn = f"arn:aws:execute-api:{API_REGION}:{API_ACCOUNT}:a1b2c3d4e5"
    request = synth.request_arns("a1b2c3d4e5")[0]
    return invoke_allowed(requestor(synth, account), EVERY_ACTION, request, rest_policy(synth), api_arn)


def test_the_resource_policy_refuses_a_denied_role_and_admits_the_others(role_denied: SynthesizedApp) -> None:
    assert (may_invoke(role_denied, LISTED[0]), may_invoke(role_denied, LISTED[1])) == (False, True)


def test_the_resource_policy_refuses_a_denied_account_and_admits_the_others(account_denied: SynthesizedApp) -> None:
    assert (may_invoke(account_denied, LISTED[0]), may_invoke(account_denied, LISTED[1])) == (True, False)


def test_the_deny_comes_first_and_names_only_what_was_denied(role_denied: SynthesizedApp, account_denied: SynthesizedApp) -> None:
    assert rest_policy(role_denied)["Statement"][0] == {
        "Sid": "DenyTheDeniedRoles",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        # The role by account and name under any path: logs show assumed-role ARNs, without the path.
        "Condition": {
            "ArnLike": {
                "aws:PrincipalArn": [
                    requestor(role_denied, LISTED[0]),
                    requestor(role_denied, LISTED[0]).replace(":role/", ":role/*/"),
                ]
            }
        },
    }
    assert rest_policy(account_denied)["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": [LISTED[1]]}
    }
    assert not [s for s in rest_policy(synthesize(client_accounts=LISTED))["Statement"] if "Denied" in s["Sid"]]


def invoker_trust(synth: SynthesizedApp) -> tuple[str, dict[str, Any]]:
    (invoker,) = [
        r for r in synth.api.find_resources("AWS::IAM::Role").values() if r["Properties"].get("RoleName") == synth.names.invoker_role
    ]
    return f"arn:aws:iam::{API_ACCOUNT}:role/{synth.names.invoker_role}", invoker["Properties"]["AssumeRolePolicyDocument"]


def may_assume(synth: SynthesizedApp, account: str) -> bool:
    invoker_arn, trust = invoker_trust(synth)
    # principalmapper does not expand policy variables in condition values: as IAM would.
    trust = json.loads(json.dumps(trust).replace("${aws:PrincipalAccount}", account))
    caller = role(requestor(synth, account), EVERY_ACTION)
    context = {"sts:RoleSessionName": f"{account}-ClientStack-RequestorFunction"}
    return local_check_authorization_full(caller, "sts:AssumeRole", invoker_arn, context, trust, API_ACCOUNT)


@pytest.mark.parametrize("mode", ["assume-role", "http", "private-assume-role-endpoints"])
def test_the_invoker_role_refuses_new_sessions_to_a_denied_role_or_account(mode: str) -> None:
    base = {**MODES[mode], "client_accounts": LISTED}
    if "client_vpc_ids" in base:
        base["client_vpc_ids"] = "vpc-0a1b2c3d4e5f67890,vpc-0b1b2c3d4e5f67890"
        base["client_subnet_ids"] = json.dumps(
            {"vpc-0a1b2c3d4e5f67890": ["subnet-0a1b2c3d4e5f67890"], "vpc-0b1b2c3d4e5f67890": ["subnet-0b1b2c3d4e5f67890"]}
        )
    undenied = synthesize(**base)
    assert (may_assume(undenied, LISTED[0]), may_assume(undenied, LISTED[1])) == (True, True)
    by_role = synthesize(**base, denied_principals=requestor(undenied, LISTED[0]))
    assert (may_assume(by_role, LISTED[0]), may_assume(by_role, LISTED[1])) == (False, True)
    by_account = synthesize(**base, denied_principals=LISTED[1])
    assert (may_assume(by_account, LISTED[0]), may_assume(by_account, LISTED[1])) == (True, False)


def test_the_authorizer_reads_its_deny_list_from_a_parameter_it_alone_may_read() -> None:
    synth = synthesize(**MODES["lambda-authorizer"], denied_principals=f"{LISTED[0]},arn:aws:iam::444455556666:role/team-*")
    authorizer = synth.deployed("AuthorizerStack")
    ((logical_id, parameter),) = authorizer.find_resources("AWS::SSM::Parameter").items()
    assert parameter["Properties"]["Name"] == synth.names.denied_parameter
    assert json.loads(parameter["Properties"]["Value"]) == ["arn:aws:iam::444455556666:role/team-*", LISTED[0]]
    (function,) = authorizer.find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["Environment"]["Variables"]["DENIED_PARAMETER"] == {"Ref": logical_id}
    reads = [
        statement
        for policy in authorizer.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(action.startswith("ssm:") for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]))
    ]
    assert len(reads) == 1 and "ssm:PutParameter" not in json.dumps(reads)
    assert reads[0]["Resource"] == {"Fn::Join": ["", ["arn:aws:ssm:eu-west-1:999988887777:parameter", {"Ref": logical_id}]]}


@pytest.mark.parametrize(
    "value",
    ["4444-5555-6666", "arn:aws:iam::*:role/x", "arn:aws-cn:iam::444455556666:role/x", "arn:aws:iam::444455556666:user/x"],
)
def test_a_bad_denied_principal_names_the_key_and_the_forms(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(denied_principals=value)
    assert raised.value.key == "denied_principals"
    assert "a 12-digit account id (to cut off the whole account) or an IAM role ARN" in str(raised.value)


def test_a_role_denied_by_its_name_is_refused_under_any_path() -> None:
    synth = synthesize(client_accounts=LISTED, allowed_principal_arns=f"arn:aws:iam::{LISTED[0]}:role/ops/*",
                       denied_principals=f"arn:aws:iam::{LISTED[0]}:role/team-x")  # fmt: skip
    api_arn = f"arn:aws:execute-api:{API_REGION}:{API_ACCOUNT}:a1b2c3d4e5"
    request = synth.request_arns("a1b2c3d4e5")[0]
    policy = rest_policy(synth)
    refused = invoke_allowed(f"arn:aws:iam::{LISTED[0]}:role/ops/team-x", EVERY_ACTION, request, policy, api_arn)
    admitted = invoke_allowed(f"arn:aws:iam::{LISTED[0]}:role/ops/team-y", EVERY_ACTION, request, policy, api_arn)
    assert (refused, admitted) == (False, True)


@pytest.mark.parametrize("mode", ["assume-role", "http"])
def test_the_invoker_role_refuses_at_once_the_sessions_already_issued_to_a_denied_account(mode: str) -> None:
    # A new session is refused by the trust; one issued before the deploy lasts its hour
    # unless the role's own policy refuses it: IAM shows its name, which starts with the
    # caller's account, in aws:userid.
    synth = synthesize(**MODES[mode], client_accounts=LISTED, denied_principals=LISTED[1])
    (policy,) = [p for name, p in synth.deployed("ApiStack").find_resources("AWS::IAM::Policy").items() if name.startswith("InvokerRole")]
    identity_policy = policy["Properties"]["PolicyDocument"]
    invoker = f"arn:aws:iam::{API_ACCOUNT}:role/{synth.names.invoker_role}"
    api_arn = f"arn:aws:execute-api:{API_REGION}:{API_ACCOUNT}:a1b2c3d4e5"

    def session_of(account: str) -> bool:
        context = {"aws:userid": f"AROAEXAMPLEINVOKER:{account}-ClientStack-RequestorFunction"}
        return all(invoke_allowed(invoker, identity_policy, request, None, api_arn, context) for request in synth.request_arns("a1b2c3d4e5"))

    assert (session_of(LISTED[0]), session_of(LISTED[1])) == (True, False)
