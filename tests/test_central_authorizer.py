"""access_mode lambda-authorizer: ApiStack, AuthorizerStack and ClientStack templates,
one test per property, and the rules of the mode's settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

import app as cdk_app
from stacks.config import ConfigError
from stacks.phases.pending_stack import PendingStack
from tests.conftest import NO_OUTPUTS_FILE, SynthesizedApp, config_from, suite_context, synthesize

AUTHORIZER = {"access_mode": "lambda-authorizer", "authorizer_account": "999988887777", "authorizer_id": "abc123"}
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:999988887777:function:orders-api-authz-prod-eu-west-1"


@pytest.fixture(scope="module")
def stacks() -> tuple[SynthesizedApp, Template]:
    app = cdk_app.new_app(context=suite_context(**AUTHORIZER))
    config = cdk_app.load_config(app)
    api_stack, client_stacks = cdk_app.build_stacks(app, config, NO_OUTPUTS_FILE)
    synth = SynthesizedApp(config, api_stack, client_stacks, Template.from_stack(api_stack), {s.stack_name: Template.from_stack(s) for s in client_stacks})
    return synth, Template.from_stack(app.node.find_child("AuthorizerStack"))


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
            "AuthorizerUri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations",
            "IdentitySource": "method.request.header.Authorization",
            "IdentityValidationExpression": "^orders-api-v1\\.[A-Za-z0-9_-]+$",
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
        "SourceArn": "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/authorizers/abc123",
    }


def test_the_authorizer_function_has_the_contract_name_and_the_admitted_roles(stacks: tuple[SynthesizedApp, Template]) -> None:
    stacks[1].has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "orders-api-authz-prod-eu-west-1",
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Environment": {
                "Variables": {
                    "API_ID": "a1b2c3d4e5",
                    "API_ACCOUNT": "111122223333",
                    "API_REGION": "eu-west-1",
                    "STAGE": "prod",
                    "PARTITION": "aws",
                    "PARTITION_DOMAIN": "amazonaws.com",
                    "ADMITTED_PRINCIPALS": json.dumps(["arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1"]),
                }
            },
        },
    )


def test_the_requestor_mints_tokens_and_may_invoke_nothing(stacks: tuple[SynthesizedApp, Template]) -> None:
    client = stacks[0].client
    client.has_resource_properties(
        "AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({"TOKEN_API_ID": "a1b2c3d4e5"})}}
    )
    actions = [
        statement["Action"]
        for policy in client.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not [a for a in actions if "execute-api" in str(a) or "sts:" in str(a)]


def test_without_the_authorizer_id_the_authorizer_stack_is_pending() -> None:
    app = cdk_app.new_app(context=suite_context(**{**AUTHORIZER, "authorizer_id": None}))
    cdk_app.build_stacks(app, cdk_app.load_config(app), NO_OUTPUTS_FILE)
    stack = app.node.find_child("AuthorizerStack")
    assert isinstance(stack, PendingStack)
    assert stack.reason.startswith("authorizer_id is not known: deploy ApiStack first")
    assert (stack.account, stack.region) == ("999988887777", "eu-west-1")


def test_the_authorizer_id_comes_with_the_api_id_from_phase_one(tmp_path: Any) -> None:
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(json.dumps({"ApiStack": {
        "ApiId": "k3x9q2m7pa", "AuthorizerId": "xyz789", "ApiAccount": "123456789012", "ApiRegion": "eu-west-1",
        "Stage": "prod", "ApiType": "rest", "EndpointType": "regional", "AccessMode": "lambda-authorizer"}}))
    app = cdk_app.new_app(context=suite_context(**{**AUTHORIZER, "authorizer_id": None, "api_id": None, "api_account": "123456789012"}))
    cdk_app.build_stacks(app, cdk_app.load_config(app), outputs)
    Template.from_stack(app.node.find_child("AuthorizerStack")).has_resource_properties(
        "AWS::Lambda::Permission", {"SourceArn": "arn:aws:execute-api:eu-west-1:123456789012:k3x9q2m7pa/authorizers/xyz789"}
    )


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({**AUTHORIZER, "authorizer_account": None}, "authorizer_account", "is not set"),
        ({**AUTHORIZER, "org_id": "o-a1b2c3d4e5"}, "org_id", "GetCallerIdentity does not prove a caller's organization"),
        ({**AUTHORIZER, "authorizer_region": "us-east-1"}, "authorizer_region", "an authorizer in another region"),
        ({**AUTHORIZER, "authorizer_id": "ABC"}, "authorizer_id", "6 lowercase letters and digits"),
        ({**AUTHORIZER, "api_type": "http"}, "access_mode", "with api_type http"),
        (
            {**AUTHORIZER, "endpoint_type": "private", "client_vpc_ids": "vpc-0a1b2c3d4e5f67890", "client_subnet_ids": "subnet-0a1b2c3d4e5f67890"},
            "endpoint_type",
            "regional with access_mode lambda-authorizer",
        ),
        ({"authorizer_account": "999988887777"}, "authorizer_account", "no value unless access_mode is lambda-authorizer"),
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
