"""ApiStack's template: every security property of the API account's side, for the
example service and another one (tests/conftest.py SERVICES): what they expect comes
from the declared routes and names."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Capture, Match, Template

from tests.conftest import SERVICES, SynthesizedApp, synthesize


@pytest.fixture(scope="module", params=sorted(SERVICES))
def synth(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context)


@pytest.fixture(scope="module")
def template(synth: SynthesizedApp) -> Template:
    return synth.api


def resource_policy(template: Template) -> dict:
    (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Policy"]


def the_api(template: Template) -> str:
    (logical_id,) = template.find_resources("AWS::ApiGateway::RestApi")
    return logical_id


def test_stack_is_pinned_to_the_api_account_and_region(synth: SynthesizedApp) -> None:
    assert synth.api_stack.account == "111122223333"
    assert synth.api_stack.region == "eu-west-1"


def test_every_method_requires_iam_authorization(template: Template) -> None:
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert methods, "the API has no methods"
    assert {name: m["Properties"]["AuthorizationType"] for name, m in methods.items()} == {
        name: "AWS_IAM" for name in methods
    }


def test_methods_are_exactly_the_routes(synth: SynthesizedApp, template: Template) -> None:
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert sorted(m["Properties"]["HttpMethod"] for m in methods.values()) == sorted(r.method for r in synth.routes)
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {part for route in synth.routes for part in route.path.strip("/").split("/") if part}


def test_api_is_regional_and_named_after_the_service(synth: SynthesizedApp, template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}, "Name": f"{synth.config.service_name}-api-prod"}
    )


def test_resource_policy_admits_only_the_requestor_role_of_each_client_account(
    synth: SynthesizedApp, template: Template
) -> None:
    allow = resource_policy(template)["Statement"][0]
    assert allow == {
        "Sid": "AllowTheRequestorRoles",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": synth.policy_resources,
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": synth.requestor_role_pattern},
            "StringEquals": {"aws:PrincipalAccount": list(synth.config.client_accounts)},
        },
    }


def test_resource_policy_denies_every_other_principal(synth: SynthesizedApp, template: Template) -> None:
    _, other_names, api_account = resource_policy(template)["Statement"]
    assert other_names == {
        "Sid": "DenyEveryoneElse",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": [synth.requestor_role_pattern]}},
    }
    # Same-account calls need no resource-policy Allow: every principal of the API's
    # account is refused, a role of the requestor's name included (its account is not listed).
    assert api_account == {
        "Sid": "DenyTheApiAccountsOtherPrincipals",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": synth.config.api_account}},
    }


def test_resource_policy_is_scoped_to_this_api_only(template: Template) -> None:
    resources = []
    for statement in resource_policy(template)["Statement"]:
        resource = statement["Resource"]
        resources += resource if isinstance(resource, list) else [resource]
    assert resources and all(r.startswith("execute-api:/") for r in resources), resources


def test_stage_has_tracing_metrics_and_throttling(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "prod",
            "TracingEnabled": True,
            "MethodSettings": [
                Match.object_like(
                    {"MetricsEnabled": True, "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100, "HttpMethod": "*"}
                )
            ],
        },
    )


def access_log_fields(template: Template) -> dict[str, str]:
    log_format = Capture()
    template.has_resource_properties("AWS::ApiGateway::Stage", {"AccessLogSetting": Match.object_like({"Format": log_format})})
    return json.loads(log_format.as_string())


def test_stage_access_logs_are_json_with_the_callers_identity_and_the_auth_outcome(template: Template) -> None:
    destination = Capture()
    template.has_resource_properties(
        "AWS::ApiGateway::Stage", {"AccessLogSetting": Match.object_like({"DestinationArn": destination})}
    )
    prefix, log_group = destination.as_object()["Fn::Join"][1]
    assert prefix == "arn:aws:logs:eu-west-1:111122223333:log-group:"
    assert log_group["Ref"].startswith("ApiAccessLogs")
    fields = access_log_fields(template)
    assert {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "callerAccount": "$context.identity.accountId",
        "callerPrincipalArn": "$context.identity.userArn",
        "sourceIp": "$context.identity.sourceIp",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLatencyMs": "$context.responseLatency",
        "errorType": "$context.error.responseType",
        "authenticateStatus": "$context.authenticate.status",
        "authorizeStatus": "$context.authorize.status",
    }.items() <= fields.items()


# What API Gateway derives itself: ids, times, the principal IAM verified (ARNs and
# session names allow no quote), the TCP source address, the matched route's method
# and resource template, numbers and enumerated error types.
API_GATEWAY_DERIVED = {
    "$context.requestId", "$context.extendedRequestId", "$context.requestTime", "$context.identity.accountId",
    "$context.identity.userArn", "$context.identity.caller", "$context.identity.principalOrgId",
    "$context.identity.sourceIp", "$context.httpMethod", "$context.resourcePath", "$context.status",
    "$context.responseLatency", "$context.integrationLatency", "$context.error.responseType",
    "$context.authenticate.status", "$context.authorize.status",
    # Set by the central authorizer from what STS vouched for (ARNs admit no quote).
    "$context.authorizer.principalId", "$context.authorizer.callerArn", "$context.authorizer.callerAccount",
}


def test_no_caller_controlled_value_can_forge_a_field_of_the_audit_line(template: Template) -> None:
    fields = access_log_fields(template)
    assert set(fields.values()) <= API_GATEWAY_DERIVED, set(fields.values()) - API_GATEWAY_DERIVED
    assert "userAgent" not in fields and "$context.identity.userAgent" not in fields.values()


def test_access_logs_are_kept_a_year(template: Template) -> None:
    (log_group,) = [
        resource
        for name, resource in template.find_resources("AWS::Logs::LogGroup").items()
        if name.startswith("ApiAccessLogs")
    ]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_execution_logs_record_errors_without_request_data(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {"MethodSettings": [Match.object_like({"LoggingLevel": "ERROR", "DataTraceEnabled": False})]},
    )


@pytest.mark.parametrize(
    "response_type",
    ["MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"],
)
def test_gateway_errors_answer_json_with_the_request_id(template: Template, response_type: str) -> None:
    body = Capture()
    template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": response_type, "ResponseTemplates": {"application/json": body}},
    )
    assert '"requestId": "$context.requestId"' in body.as_string()
    assert '"message": $context.error.messageString' in body.as_string()


def test_each_body_is_validated_by_api_gateway_against_its_routes_schema(synth: SynthesizedApp, template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )
    models = template.find_resources("AWS::ApiGateway::Model")
    with_schema = [route for route in synth.routes if route.body_schema is not None]
    with_models = [
        m["Properties"] for m in template.find_resources("AWS::ApiGateway::Method").values() if "RequestModels" in m["Properties"]
    ]
    # A route without a body schema has no body to validate: no model, none attached.
    assert (len(models), len(with_models)) == (len(with_schema), len(with_schema))
    for route in with_schema:
        (model_id,) = [m for m, model in models.items() if model["Properties"]["Schema"]["title"] == route.body_schema.title]
        assert models[model_id]["Properties"]["ContentType"] == "application/json"
        assert models[model_id]["Properties"]["Schema"]["required"] == route.body_schema.required
        (method,) = [m for m in with_models if m["RequestModels"]["application/json"] == {"Ref": model_id}]
        assert method["HttpMethod"] == route.method
        # API Gateway validates only the content types a model is named for: "$default" is every other one.
        assert method["RequestModels"] == {"application/json": {"Ref": model_id}, "$default": {"Ref": model_id}}
        assert set(method["RequestValidatorId"]) == {"Ref"}


def test_account_wide_cloudwatch_role_is_created_by_default(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Account", {"CloudWatchRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("CloudWatchRole"), "Arn"]}}
    )
    template.has_resource("AWS::IAM::Role", {"DeletionPolicy": "Retain", "Properties": Match.object_like({
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({"Principal": {"Service": "apigateway.amazonaws.com"}})]}),
    })})


@pytest.fixture(scope="module")
def tuned() -> SynthesizedApp:
    return synthesize(create_cloudwatch_role="false", throttle_rate="10", throttle_burst="20")


def test_an_account_with_a_cloudwatch_role_can_skip_creating_one(tuned: SynthesizedApp) -> None:
    tuned.api.resource_count_is("AWS::ApiGateway::Account", 0)
    assert not [r for r in tuned.api.find_resources("AWS::IAM::Role") if "CloudWatchRole" in r]


def test_throttling_comes_from_context(tuned: SynthesizedApp) -> None:
    tuned.api.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {"MethodSettings": [Match.object_like({"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20})]},
    )


def test_backend_function_runtime_architecture_logging_and_tracing(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "handler.handler",
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "TracingConfig": {"Mode": "Active"},
        },
    )


def test_backend_logs_are_kept_a_year_and_deleted_with_the_stack(template: Template) -> None:
    (log_group,) = [r for n, r in template.find_resources("AWS::Logs::LogGroup").items() if n.startswith("BackendLogs")]
    assert (log_group["Properties"]["RetentionInDays"], log_group["DeletionPolicy"]) == (365, "Delete")


def test_backend_role_has_no_managed_policies(template: Template) -> None:
    (role,) = [r for name, r in template.find_resources("AWS::IAM::Role").items() if name.startswith("BackendRole")]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_only_api_gateway_may_invoke_the_backend_and_only_for_its_routes(synth: SynthesizedApp, template: Template) -> None:
    route_suffixes = set()
    for permission in template.find_resources("AWS::Lambda::Permission").values():
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
        prefix, api, _, stage, route_suffix = permission["Properties"]["SourceArn"]["Fn::Join"][1]
        assert prefix == "arn:aws:execute-api:eu-west-1:111122223333:"
        assert api == {"Ref": the_api(template)} and stage["Ref"].startswith("ApiDeploymentStageprod")
        route_suffixes.add(route_suffix)
    assert route_suffixes == {f"/{route.arn_suffix}" for route in synth.routes}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ApiId", {"Ref": Match.string_like_regexp("^Api[0-9A-F]{8}$")}),
        ("ApiAccount", "111122223333"),
        ("ApiRegion", "eu-west-1"),
        ("Stage", {"Ref": Match.string_like_regexp("^ApiDeploymentStageprod")}),
        ("ApiUrl", {"Fn::Join": ["", Match.array_with(["https://", ".execute-api.eu-west-1."])]}),
        ("ApiType", "rest"),
        ("EndpointType", "regional"),
        ("AccessMode", "resource-policy"),
    ],
)
def test_outputs_say_what_was_deployed(template: Template, name: str, value: object) -> None:
    template.has_output(name, {"Value": value})


def test_no_other_outputs_but_those_the_consumers_read(template: Template) -> None:
    # The consumers' reads (Publish...) are tested in test_deploy_time_wiring.
    named = {name for name in template.find_outputs("*") if not name.startswith("Publish")}
    assert named == {"ApiId", "ApiUrl", "ApiAccount", "ApiRegion", "Stage", "ApiType", "EndpointType", "AccessMode", "AlarmTopicArn"}
