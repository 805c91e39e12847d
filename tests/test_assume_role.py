"""access_mode assume-role: ApiStack's invoker role, ClientStack's permission to
assume exactly it, and the requestor assuming it with a stubbed STS."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from botocore.stub import Stubber

import app as cdk_app
from lambda_src.requestor import credentials
from lambda_src.requestor import handler as requestor
from stacks.api.api_stack import ApiStack
from stacks.config import ConfigError
from tests.callers import REQUESTOR, lambda_context
from tests.conftest import MODES, NO_BUNDLING, SERVICES, SynthesizedApp, config_from, suite_context, synthesize
from tests.gateway_double import HEALTH_REQUEST, GatewayDouble
from tests.iam import local_check_authorization_full
from tests.iam import role as role_node
from tests.invoker import CONTEXT, INVOKER, INVOKER_ARN, expect_assume_role, invoker_gateway

@pytest.fixture(scope="module", params=sorted(SERVICES))
def synth(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context, access_mode="assume-role")


def test_the_api_has_no_resource_policy(synth: SynthesizedApp) -> None:
    (api,) = synth.api.find_resources("AWS::ApiGateway::RestApi").values()
    assert "Policy" not in api["Properties"]


def test_invoker_role_is_trusted_only_by_the_requestor_roles(synth: SynthesizedApp) -> None:
    synth.api.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": synth.names.invoker_role,
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Condition": {
                            "ArnLike": {"aws:PrincipalArn": synth.requestor_role_pattern},
                            "StringEquals": {"aws:PrincipalAccount": ["444455556666"]},
                            "StringLike": {"sts:RoleSessionName": "${aws:PrincipalAccount}-*"},
                        },
                    }
                ],
            },
        },
    )


def test_invoker_role_may_invoke_only_this_apis_stage_routes(synth: SynthesizedApp) -> None:
    (policy,) = [
        p for name, p in synth.api.find_resources("AWS::IAM::Policy").items() if name.startswith("InvokerRole")
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Sid"], statement["Action"]) == (synth.names.invoke_sid, "execute-api:Invoke")
    (api,) = synth.api.find_resources("AWS::ApiGateway::RestApi")
    arns = statement["Resource"]
    assert [
        "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in arn["Fn::Join"][1]) for arn in arns
    ] == synth.route_arns(f"<{api}>")


def test_invoker_role_arn_is_an_output(synth: SynthesizedApp) -> None:
    synth.api.has_output("InvokerRoleArn", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("^InvokerRole"), "Arn"]}})


def test_requestor_may_assume_exactly_the_invoker_role_and_invoke_nothing(synth: SynthesizedApp) -> None:
    statements = [
        statement
        for policy in synth.deployed_client.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    invoker_arn = f"arn:aws:iam::111122223333:role/{synth.names.invoker_role}"
    assert [s for s in statements if "sts:" in str(s["Action"]) or "execute-api" in str(s["Action"])] == [
        {"Sid": "AssumeTheInvokerRoleOnly", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": invoker_arn}
    ]
    synth.deployed_client.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"INVOKER_ROLE_ARN": invoker_arn, "API_REGION": "eu-west-1"})}},
    )


def test_an_organization_is_trusted_by_org_id_in_assume_role_mode_too() -> None:
    organization = synthesize(access_mode="assume-role", org_id="o-a1b2c3d4e5")
    organization.api.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": organization.names.invoker_role,
            "AssumeRolePolicyDocument": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "*"},
                                    "Condition": Match.object_like({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
                                }
                            )
                        ]
                    )
                }
            ),
        },
    )


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayDouble]:
    with invoker_gateway(monkeypatch, "rest") as double:
        yield double


def test_the_requestor_signs_as_the_assumed_invoker_role(gateway: GatewayDouble, sts: Stubber) -> None:
    expect_assume_role(sts, datetime.timedelta(hours=1))
    result = requestor.handler(HEALTH_REQUEST, CONTEXT)
    assert (result["statusCode"], result["body"]["principal"]) == (200, INVOKER.principal_arn)
    assert gateway.received[0]["headers"]["x-amz-security-token"] == INVOKER.session_token


def test_assumed_credentials_are_reused_while_fresh(gateway: GatewayDouble, sts: Stubber) -> None:
    expect_assume_role(sts, datetime.timedelta(hours=1))
    assert [requestor.handler(HEALTH_REQUEST, CONTEXT)["statusCode"] for _ in range(3)] == [200, 200, 200]


def test_credentials_close_to_expiry_are_refreshed(gateway: GatewayDouble, sts: Stubber) -> None:
    expect_assume_role(sts, datetime.timedelta(minutes=4))
    expect_assume_role(sts, datetime.timedelta(hours=1))
    assert [requestor.handler(HEALTH_REQUEST, CONTEXT)["statusCode"] for _ in range(2)] == [200, 200]


def test_a_failed_assume_role_is_a_clear_error_result(gateway: GatewayDouble, sts: Stubber) -> None:
    sts.add_client_error(
        "assume_role",
        service_error_code="AccessDenied",
        service_message=f"User: {REQUESTOR.principal_arn} is not authorized to perform: sts:AssumeRole",
    )
    result = requestor.handler({}, CONTEXT)
    assert result["ok"] is False
    assert result["error"].startswith(f"could not assume INVOKER_ROLE_ARN {INVOKER_ARN}: An error occurred (AccessDenied)")
    assert gateway.received == []


def test_without_a_lambda_context_assume_role_mode_is_a_clear_error(gateway: GatewayDouble) -> None:
    result = requestor.handler({}, None)
    assert result == {"ok": False, "error": result["error"]}
    assert result["error"].startswith("assume-role mode needs the Lambda context's invoked_function_arn")


def test_the_session_name_starts_with_the_callers_account_and_fits_sts() -> None:
    name = credentials.invoker_session_name(lambda_context(REQUESTOR), "ClientStack-Requestor/Function" + "x" * 80)
    assert name.startswith("444455556666-ClientStack-Requestor-Function")
    assert len(name) == 64


def string_like_with_variables(pattern: str, value: str, request: dict[str, str]) -> bool:
    """IAM's StringLike: policy variables replaced by the request's values, then * and ? as wildcards."""
    expanded = re.sub(r"\$\{([^}]+)\}", lambda variable: re.escape(request[variable[1]]), pattern)
    return re.fullmatch(expanded.replace(r"\*", "*").replace("*", ".*").replace("?", "."), value) is not None


@pytest.mark.parametrize(
    ("caller_account", "session_name", "admitted"),
    [
        ("444455556666", "444455556666-ClientStack-Requestor", True),
        ("777788889999", "777788889999-ClientStack-Requestor", True),
        ("777788889999", "444455556666-ClientStack-Requestor", False),  # posing as another client
        ("777788889999", "ClientStack-Requestor", False),
        ("777788889999", "444455556666", False),
    ],
)
def test_a_client_cannot_name_its_session_after_another_account(
    caller_account: str, session_name: str, admitted: bool
) -> None:
    trust = synthesize(access_mode="assume-role", client_accounts="444455556666,777788889999").api
    (role,) = [r for r in trust.find_resources("AWS::IAM::Role").values() if r["Properties"].get("RoleName", "").startswith("orders-api-invoker")]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    pattern = statement["Condition"]["StringLike"]["sts:RoleSessionName"]
    request = {"aws:PrincipalAccount": caller_account}
    assert string_like_with_variables(pattern, session_name, request) is admitted


def test_the_backend_knows_the_invoker_role_by_name(synth: SynthesizedApp) -> None:
    synth.api.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": {"INVOKER_ROLE_NAME": synth.names.invoker_role}}},
    )


def test_sts_is_called_through_its_vpc_endpoint_when_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = "https://vpce-0a1b2c3d4e5f67890-abcd1234.sts.eu-west-1.vpce.amazonaws.com"
    monkeypatch.setattr(credentials, "_sts_client", None)
    client = credentials._sts({"AWS_REGION": "eu-west-1", "STS_ENDPOINT_URL": endpoint})
    assert (client.meta.endpoint_url, client.meta.region_name) == (endpoint, "eu-west-1")
    monkeypatch.setattr(credentials, "_sts_client", None)
    with pytest.raises(credentials.Unavailable, match="STS_ENDPOINT_URL is 'sts.example'"):
        credentials._sts({"AWS_REGION": "eu-west-1", "STS_ENDPOINT_URL": "sts.example"})



# Who may assume the invoker role, by IAM's rules (principalmapper), with the accounts
# listed once (aws:PrincipalAccount) and an extra pattern in an account of its own.
TRUSTING = {"access_mode": "assume-role", "client_accounts": "444455556666,777788889999",
            "allowed_principal_arns": "arn:aws:iam::222233334444:role/team-*"}  # fmt: skip
EVERY_ACTION = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def trusting() -> SynthesizedApp:
    return synthesize(**TRUSTING)


@pytest.mark.parametrize(
    ("caller", "trusted"),
    [
        ("arn:aws:iam::444455556666:role/<requestor>", True),
        ("arn:aws:iam::777788889999:role/<requestor>", True),
        ("arn:aws:iam::999900001111:role/<requestor>", False),  # not listed
        ("arn:aws:iam::111122223333:role/<requestor>", False),  # the API's own account, not listed
        ("arn:aws:iam::222233334444:role/team-builder", True),  # the extra pattern
        ("arn:aws:iam::222233334444:role/<requestor>", False),  # its account is named by the pattern only
        ("arn:aws:iam::444455556666:role/team/<requestor>", False),  # a path makes another ARN
        ("arn:aws:iam::444455556666:role/<requestor>-evil", False),
        ("arn:aws:iam::444455556666:role/team-builder", False),
    ],
)
def test_exactly_the_admitted_roles_may_assume_the_invoker_role(trusting: SynthesizedApp, caller: str, trusted: bool) -> None:
    caller = caller.replace("<requestor>", trusting.names.requestor_role)
    account = caller.split(":")[4]
    (role,) = [
        r for r in trusting.api.find_resources("AWS::IAM::Role").values() if r["Properties"].get("RoleName") == trusting.names.invoker_role
    ]
    # principalmapper does not expand policy variables in condition values: as IAM would.
    trust = json.loads(json.dumps(role["Properties"]["AssumeRolePolicyDocument"]).replace("${aws:PrincipalAccount}", account))
    invoker = f"arn:aws:iam::111122223333:role/{trusting.names.invoker_role}"
    context = {"sts:RoleSessionName": f"{account}-requestor"}
    assert local_check_authorization_full(role_node(caller, EVERY_ACTION), "sts:AssumeRole", invoker, context, trust, "111122223333") is trusted


def api_stack_alone(**overrides: Any) -> Template:
    """ApiStack of a configuration synthesized by itself: its consumers are not built."""
    context = suite_context(**NO_BUNDLING, **overrides)
    app = cdk_app.new_app(context=context)
    config = cdk_app.load_config(app)
    environment = cdk.Environment(account=config.api_account, region=config.api_region.name)
    return Template.from_stack(ApiStack(app, "ApiStack", config=config, env=environment))


def test_a_hundred_accounts_fit_the_trust_policy_and_too_many_stop_synth_saying_why() -> None:
    hundred = [f"{400000000000 + n:012d}" for n in range(100)]
    invoker = config_from(access_mode="assume-role").names.invoker_role
    (trust,) = [
        role["Properties"]["AssumeRolePolicyDocument"]
        for role in api_stack_alone(access_mode="assume-role", client_accounts=hundred).find_resources("AWS::IAM::Role").values()
        if role["Properties"].get("RoleName") == invoker
    ]
    assert all(account in json.dumps(trust) for account in hundred)
    assert len(json.dumps(trust, separators=(",", ":"))) <= 2048
    with pytest.raises(ConfigError) as raised:
        api_stack_alone(access_mode="assume-role", client_accounts=[f"{400000000000 + n:012d}" for n in range(150)])
    assert raised.value.key == "client_accounts"
    assert "the invoker role's trust policy would be" in str(raised.value)
    assert "over IAM's default limit of 2048" in str(raised.value) and "org_id" in str(raised.value)


# Who may assume the invoker role when an organization's paths are admitted, by IAM's
# rules: as in the resource policy, the API account's own principals and everyone
# outside the paths are refused explicitly, whatever their identity policies say.
ORG_PATHS = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
IN_THE_PATHS = {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]}
OUTSIDE_THE_PATHS = {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-99999999/"]}


@pytest.fixture(scope="module", params=["assume-role", "http"])
def org_trusting(request: pytest.FixtureRequest) -> SynthesizedApp:
    return synthesize(**MODES[request.param], org_id="o-a1b2c3d4e5", org_paths=ORG_PATHS)


def invoker_trust_of(synth: SynthesizedApp) -> dict[str, Any]:
    (role,) = [
        r for r in synth.api.find_resources("AWS::IAM::Role").values() if r["Properties"].get("RoleName") == synth.names.invoker_role
    ]
    return role["Properties"]["AssumeRolePolicyDocument"]


def test_in_an_organization_the_invoker_role_denies_everyone_its_allow_does_not_admit(org_trusting: SynthesizedApp) -> None:
    denials = {s["Sid"]: s for s in invoker_trust_of(org_trusting)["Statement"] if s["Effect"] == "Deny"}
    assume = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]  # as CDK sorts them
    assert denials == {
        "DenyEveryoneElse": {
            "Sid": "DenyEveryoneElse",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": assume,
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [org_trusting.requestor_role_pattern]}},
        },
        "DenyOutsideTheOrgPaths": {
            "Sid": "DenyOutsideTheOrgPaths",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": assume,
            "Condition": {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": [ORG_PATHS]}},
        },
    }


@pytest.mark.parametrize(
    ("caller", "organization", "trusted"),
    [
        ("arn:aws:iam::444455556666:role/<requestor>", IN_THE_PATHS, True),
        ("arn:aws:iam::444455556666:role/team-builder", IN_THE_PATHS, False),
        ("arn:aws:iam::111122223333:role/<requestor>", OUTSIDE_THE_PATHS, False),  # the API account, no client
        ("arn:aws:iam::111122223333:role/<requestor>", IN_THE_PATHS, True),  # the API account is itself a client
        ("arn:aws:iam::777788889999:role/<requestor>", OUTSIDE_THE_PATHS, False),
        ("arn:aws:iam::999900001111:role/<requestor>", {}, False),  # outside the organization
    ],
)
def test_in_an_organization_exactly_the_requestor_roles_in_its_paths_may_assume_the_invoker_role(
    org_trusting: SynthesizedApp, caller: str, organization: dict[str, Any], trusted: bool
) -> None:
    caller = caller.replace("<requestor>", org_trusting.names.requestor_role)
    account = caller.split(":")[4]
    trust = json.loads(json.dumps(invoker_trust_of(org_trusting)).replace("${aws:PrincipalAccount}", account))
    invoker = f"arn:aws:iam::111122223333:role/{org_trusting.names.invoker_role}"
    context = {"sts:RoleSessionName": f"{account}-requestor", **organization}
    decision = local_check_authorization_full(role_node(caller, EVERY_ACTION), "sts:AssumeRole", invoker, context, trust, "111122223333")
    assert decision is trusted
