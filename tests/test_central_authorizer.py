"""access_mode lambda-authorizer: ApiStack, AuthorizerStack and ClientStack templates,
one test per property, and the rules of the mode's settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from stacks.config import ConfigError
from tests.conftest import SERVICES, SynthesizedApp, config_from, synthesize
from tests.deploy_time import DEPLOYED_API_ID, DEPLOYED_AUTHORIZER_ID

AUTHORIZER = {"access_mode": "lambda-authorizer", "authorizer_account": "999988887777"}


@pytest.fixture(scope="module", params=sorted(SERVICES))
def stacks(request: pytest.FixtureRequest) -> tuple[SynthesizedApp, Template]:
    """The three stacks, ApiStack's consumers as CloudFormation would deploy them."""
    context, service = SERVICES[request.param]
    synth = synthesize(service=service, **context, **AUTHORIZER)
    return synth, synth.deployed("AuthorizerStack")


def test_every_method_uses_the_central_authorizer(stacks: tuple[SynthesizedApp, Template]) -> None:
    api = stacks[0].api
    methods = api.find_resources("AWS::ApiGateway::Method").values()
    assert {m["Properties"]["AuthorizationType"] for m in methods} == {"CUSTOM"}
    assert {json.dumps(m["Properties"]["AuthorizerId"]) for m in methods} == {json.dumps({"Ref": next(iter(api.find_resources("AWS::ApiGateway::Authorizer")))})}


def test_the_authorizer_names_the_function_in_the_security_account_and_caches(stacks: tuple[SynthesizedApp, Template]) -> None:
    stacks[0].api.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "TOKEN",
            "AuthorizerUri": (
                "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
                f"arn:aws:lambda:eu-west-1:999988887777:function:{stacks[0].names.authorizer_function}/invocations"
            ),
            "IdentitySource": "method.request.header.Authorization",
            "IdentityValidationExpression": "^iam-identity-v1\\.[A-Za-z0-9_-]+$",
            "AuthorizerResultTtlInSeconds": 300,
        },
    )


def test_the_api_has_no_resource_policy_and_no_permission_of_its_own(stacks: tuple[SynthesizedApp, Template]) -> None:
    (api,) = stacks[0].api.find_resources("AWS::ApiGateway::RestApi").values()
    assert "Policy" not in api["Properties"]
    permissions = stacks[0].api.find_resources("AWS::Lambda::Permission").values()
    assert all("999988887777" not in json.dumps(p["Properties"]["FunctionName"]) for p in permissions)


def test_the_authorizer_id_is_an_output(stacks: tuple[SynthesizedApp, Template]) -> None:
    stacks[0].api.has_output("AuthorizerId", {"Value": {"Ref": Match.string_like_regexp("^CentralAuthorizer")}})


def test_api_gateway_may_invoke_the_authorizer_for_exactly_this_apis_authorizer(stacks: tuple[SynthesizedApp, Template]) -> None:
    (permission,) = stacks[1].find_resources("AWS::Lambda::Permission").values()
    assert {k: v for k, v in permission["Properties"].items() if k != "FunctionName"} == {
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceAccount": "111122223333",
        "SourceArn": f"arn:aws:execute-api:eu-west-1:111122223333:{DEPLOYED_API_ID}/authorizers/{DEPLOYED_AUTHORIZER_ID}",
    }


def test_the_authorizer_function_has_the_contract_name_and_the_admitted_roles(stacks: tuple[SynthesizedApp, Template]) -> None:
    stacks[1].has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": stacks[0].names.authorizer_function,
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Environment": {
                "Variables": {
                    "API_ID": DEPLOYED_API_ID,
                    "API_ACCOUNT": "111122223333",
                    "API_REGION": "eu-west-1",
                    "STAGE": "prod",
                    "PARTITION": "aws",
                    "PARTITION_DOMAIN": "amazonaws.com",
                    "ADMITTED_PRINCIPALS": json.dumps([stacks[0].requestor_role_arn("444455556666")]),
                }
            },
        },
    )


def test_the_requestor_mints_tokens_and_may_invoke_nothing(stacks: tuple[SynthesizedApp, Template]) -> None:
    client = stacks[0].deployed_client
    client.has_resource_properties(
        "AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({"TOKEN_API_ID": DEPLOYED_API_ID})}}
    )
    actions = [
        statement["Action"]
        for policy in client.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not [a for a in actions if "execute-api" in str(a) or "sts:" in str(a)]


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({**AUTHORIZER, "authorizer_account": None}, "authorizer_account", "is not set"),
        ({**AUTHORIZER, "org_id": "o-a1b2c3d4e5"}, "org_id", "GetCallerIdentity does not prove a caller's organization"),
        ({**AUTHORIZER, "authorizer_region": "us-east-1"}, "authorizer_region", "an authorizer in another region"),
        ({**AUTHORIZER, "api_id": "k3x9q2m7pa", "authorizer_id": "ABC"}, "authorizer_id", "6 lowercase letters and digits"),
        ({**AUTHORIZER, "api_id": "k3x9q2m7pa"}, "authorizer_id", "a value with api_id in access_mode lambda-authorizer"),
        ({**AUTHORIZER, "authorizer_id": "xyz789"}, "api_id", "a value with authorizer_id in access_mode lambda-authorizer"),
        ({**AUTHORIZER, "api_type": "http"}, "access_mode", "with api_type http"),
        (
            {**AUTHORIZER, "endpoint_type": "private", "client_vpc_ids": "vpc-0a1b2c3d4e5f67890", "client_subnet_ids": "subnet-0a1b2c3d4e5f67890"},
            "endpoint_type",
            "regional with access_mode lambda-authorizer",
        ),
        ({"authorizer_account": "999988887777"}, "authorizer_account", "no value unless access_mode is lambda-authorizer"),
        (
            {**AUTHORIZER, "client_accounts": "444455556666,999988887777"},
            "authorizer_account",
            "an account that is not one of client_accounts: the authorizer's administrators decide who gets in",
        ),
        (
            {**AUTHORIZER, "allowed_principal_arns": "arn:aws:iam::444455556666:role/team/orders-*"},
            "allowed_principal_arns",
            "the authorizer admits roles by name only",
        ),
    ],
)
def test_bad_authorizer_settings_name_the_key(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    assert raised.value.key == key
    assert expected in str(raised.value)
