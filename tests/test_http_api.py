"""api_type http: every security property of the HTTP API variant, one test each, on
its templates, and the requestor calling it through the gateway double as an HTTP API."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template
from botocore.stub import Stubber

from lambda_src.requestor import handler as requestor
from stacks.api.access_logs import HTTP_ACCESS_LOG_FIELDS
from stacks.config import ConfigError
from tests.conftest import SERVICES, SynthesizedApp, config_from, synthesize
from tests.deploy_time import DEPLOYED_API_ID
from tests.gateway_double import HEALTH_REQUEST, HTTP_API_FORBIDDEN, HTTP_API_NOT_FOUND, GatewayDouble
from tests.invoker import CONTEXT, INVOKER, expect_assume_role, invoker_gateway

API = {"Ref": Match.string_like_regexp("^Api[0-9A-F]{8}$")}


@pytest.fixture(scope="module", params=sorted(SERVICES))
def synth(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context, api_type="http")


@pytest.fixture(scope="module")
def template(synth: SynthesizedApp) -> Template:
    return synth.api


def test_http_implies_assume_role_and_refuses_a_resource_policy() -> None:
    assert config_from(api_type="http").access_mode == "assume-role"
    with pytest.raises(ConfigError) as raised:
        config_from(api_type="http", access_mode="resource-policy")
    assert raised.value.key == "access_mode"
    assert "with api_type http: HTTP APIs have no resource policy" in str(raised.value)


def test_the_api_is_an_http_api_and_nothing_of_a_rest_api(synth: SynthesizedApp, template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP", "Name": synth.names.api})
    assert [t for t in template.to_json()["Resources"].values() if t["Type"].startswith("AWS::ApiGateway::")] == []


def test_every_route_requires_iam_and_the_routes_are_exactly_ours(synth: SynthesizedApp, template: Template) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route").values()
    assert sorted(r["Properties"]["RouteKey"] for r in routes) == sorted(f"{r.method} {r.path}" for r in synth.routes)
    assert {r["Properties"]["AuthorizationType"] for r in routes} == {"AWS_IAM"}


def test_one_named_stage_and_no_default_stage(template: Template) -> None:
    (stage,) = template.find_resources("AWS::ApiGatewayV2::Stage").values()
    assert (stage["Properties"]["StageName"], stage["Properties"]["AutoDeploy"]) == ("prod", True)


def test_the_stage_is_throttled_with_detailed_metrics(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": 50,
                "ThrottlingBurstLimit": 100,
                "DetailedMetricsEnabled": True,
            }
        },
    )


def test_access_logs_are_json_with_the_caller_and_kept_a_year(template: Template) -> None:
    log_format, destination = Capture(), Capture()
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"AccessLogSettings": {"DestinationArn": destination, "Format": log_format}}
    )
    assert destination.as_object()["Fn::GetAtt"][0].startswith("ApiAccessLogs")
    fields = json.loads(log_format.as_string())
    assert fields == HTTP_ACCESS_LOG_FIELDS
    assert {"callerAccount", "callerPrincipalArn", "caller", "errorType"} <= set(fields)
    (log_group,) = [r for n, r in template.find_resources("AWS::Logs::LogGroup").items() if n.startswith("ApiAccessLogs")]
    assert (log_group["Properties"]["RetentionInDays"], log_group["DeletionPolicy"]) == (365, "Retain")


def test_the_backend_may_be_invoked_by_this_api_only(synth: SynthesizedApp, template: Template) -> None:
    permissions = template.find_resources("AWS::Lambda::Permission").values()
    assert len(permissions) == len(synth.routes)
    for permission in permissions:
        properties = permission["Properties"]
        assert (properties["Principal"], properties["Action"]) == ("apigateway.amazonaws.com", "lambda:InvokeFunction")
        prefix, api, _ = properties["SourceArn"]["Fn::Join"][1]
        assert prefix == "arn:aws:execute-api:eu-west-1:111122223333:" and set(api) == {"Ref"}


def test_the_invoker_role_may_invoke_exactly_this_apis_stage_routes(synth: SynthesizedApp, template: Template) -> None:
    (policy,) = [p for n, p in template.find_resources("AWS::IAM::Policy").items() if n.startswith("InvokerRole")]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Sid"], statement["Action"]) == (synth.names.invoke_sid, "execute-api:Invoke")
    (api,) = template.find_resources("AWS::ApiGatewayV2::Api")
    resources = ["".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in r["Fn::Join"][1]) for r in statement["Resource"]]
    assert resources == synth.route_arns(f"<{api}>")


def test_the_invoker_role_is_trusted_by_the_admitted_requestor_roles_only(synth: SynthesizedApp, template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": synth.names.invoker_role,
            "AssumeRolePolicyDocument": Match.object_like(
                {
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
                    ]
                }
            ),
        },
    )


def test_the_client_role_may_only_assume_the_invoker_role(synth: SynthesizedApp) -> None:
    statements = [
        statement
        for policy in synth.deployed_client.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "xray:" not in str(statement["Action"]) and "logs:" not in str(statement["Action"])
    ]
    invoker_arn = f"arn:aws:iam::111122223333:role/{synth.names.invoker_role}"
    assert statements == [
        {"Sid": "AssumeTheInvokerRoleOnly", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": invoker_arn}
    ]
    synth.deployed_client.has_output("ApiType", {"Value": "http"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ApiId", API),
        ("ApiUrl", {"Fn::Join": ["", ["https://", API, ".execute-api.eu-west-1.", {"Ref": "AWS::URLSuffix"}, "/prod"]]}),
        ("ApiAccount", "111122223333"),
        ("ApiRegion", "eu-west-1"),
        ("Stage", "prod"),
        ("ApiType", "http"),
        ("InvokerRoleArn", {"Fn::GetAtt": [Match.string_like_regexp("^InvokerRole"), "Arn"]}),
    ],
)
def test_the_outputs_are_those_of_the_rest_api_plus_the_type(template: Template, name: str, value: Any) -> None:
    template.has_output(name, {"Value": value})


def test_the_requestor_url_has_the_named_stage(synth: SynthesizedApp) -> None:
    synth.deployed_client.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"API_URL": f"https://{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com/prod"})}},
    )


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayDouble]:
    with invoker_gateway(monkeypatch, "http") as double:
        yield double


def test_the_requestor_calls_the_http_api_as_the_invoker_session(gateway: GatewayDouble, sts: Stubber) -> None:
    expect_assume_role(sts, datetime.timedelta(hours=1))
    result = requestor.handler(HEALTH_REQUEST, CONTEXT)
    assert (result["ok"], result["statusCode"], result["body"]["principal"]) == (True, 200, INVOKER.principal_arn)


def test_unsigned_calls_are_forbidden_and_unknown_routes_not_found(gateway: GatewayDouble, sts: Stubber) -> None:
    expect_assume_role(sts, datetime.timedelta(hours=1))
    result = requestor.handler({**HEALTH_REQUEST, "compare_unsigned": True}, CONTEXT)
    assert (result["signed"]["statusCode"], result["unsigned"]["statusCode"]) == (200, 403)
    assert result["unsigned"]["body"] == {"message": HTTP_API_FORBIDDEN}
    missing = requestor.handler({"path": "/nowhere"}, CONTEXT)
    assert (missing["statusCode"], missing["body"]) == (404, {"message": HTTP_API_NOT_FOUND})


def test_a_caller_that_is_not_the_invoker_session_is_forbidden(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVOKER_ROLE_ARN")  # signs with the requestor role's own credentials
    result = requestor.handler(HEALTH_REQUEST, CONTEXT)
    assert (result["ok"], result["statusCode"], result["body"]) == (False, 403, {"message": HTTP_API_FORBIDDEN})
