"""ClientStack's template: the requestor, and a role that may invoke this API only."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Capture, Match, Template

from tests.conftest import CLIENT_STACK, SERVICES, SynthesizedApp, synthesize
from tests.deploy_time import DEPLOYED_API_ID


@pytest.fixture(scope="module", params=sorted(SERVICES))
def synth(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context)


@pytest.fixture(scope="module")
def template(synth: SynthesizedApp) -> Template:
    return synth.deployed_client


def policy_statements(template: Template) -> list[dict]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_stack_is_pinned_to_the_client_account_and_region(synth: SynthesizedApp) -> None:
    (stack,) = synth.client_stacks
    assert (stack.stack_name, stack.account, stack.region) == (CLIENT_STACK, "444455556666", "eu-west-1")


def test_role_may_invoke_exactly_this_apis_stage_routes(synth: SynthesizedApp, template: Template) -> None:
    invoke = [s for s in policy_statements(template) if "execute-api" in str(s["Action"])]
    assert invoke == [
        {
            "Sid": synth.names.invoke_sid,
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": synth.route_arns(DEPLOYED_API_ID),
        }
    ]


def test_role_has_no_wildcard_action_and_no_wildcard_resource_but_xray(template: Template) -> None:
    for statement in policy_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        if statement["Resource"] == "*":
            # X-Ray accepts no narrower resource.
            assert set(actions) == {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}


def test_role_has_no_managed_policies_and_is_assumed_by_lambda_only(template: Template) -> None:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_role_name_is_the_one_the_api_resource_policy_admits(synth: SynthesizedApp) -> None:
    admitted = Capture()
    synth.api.has_resource_properties(
        "AWS::ApiGateway::RestApi",
        {
            "Policy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Sid": "AllowTheRequestorRoles", "Condition": Match.object_like({"ArnLike": {"aws:PrincipalArn": admitted}})}
                        )
                    ]
                )
            }
        },
    )
    role_name = Capture()
    synth.client.has_resource_properties("AWS::IAM::Role", {"RoleName": role_name})
    assert admitted.as_string() == f"arn:aws:iam::*:role/{role_name.as_string()}"


def test_requestor_is_configured_with_the_api_url_and_region(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "API_URL": f"https://{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com/prod",
                    "API_REGION": "eu-west-1",
                }
            },
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "TracingConfig": {"Mode": "Active"},
        },
    )


def test_requestor_logs_are_kept_a_year_and_only_the_function_writes_them(template: Template) -> None:
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    (logs,) = [s for s in policy_statements(template) if "logs:PutLogEvents" in s["Action"]]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    log_group, attribute = logs["Resource"]["Fn::GetAtt"]
    assert log_group.startswith("RequestorLogs") and attribute == "Arn"


def test_outputs_name_the_function_and_role(template: Template) -> None:
    template.has_output("RequestorFunctionName", {"Value": {"Ref": Match.string_like_regexp("^RequestorFunction")}})
    template.has_output("RequestorRoleArn", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("^RequestorRole"), "Arn"]}})
    template.has_output("ApiType", {"Value": "rest"})
    template.has_output("EndpointType", {"Value": "regional"})
    template.has_output("AccessMode", {"Value": "resource-policy"})
    outputs = {"RequestorFunctionName", "RequestorRoleArn", "ApiType", "EndpointType", "AccessMode", "AlarmTopicArn"}
    assert set(template.find_outputs("*")) == outputs


@pytest.fixture(scope="module")
def variant() -> SynthesizedApp:
    """Two client accounts (one of them not an example account, so with a real-looking
    api_id) in another region than the API, in the China partition."""
    return synthesize(
        api_id="k3x9q2m7pa",
        api_region="cn-north-1",
        client_region="cn-northwest-1",
        client_accounts="444455556666,777788889999",
    )


def test_one_client_stack_per_client_account(variant: SynthesizedApp) -> None:
    stacks = {stack.stack_name: stack.account for stack in variant.client_stacks}
    assert stacks == {"ClientStack-444455556666": "444455556666", "ClientStack-777788889999": "777788889999"}
    assert {stack.region for stack in variant.client_stacks} == {"cn-northwest-1"}


def test_client_in_another_region_signs_for_the_apis_region_and_partition(variant: SynthesizedApp) -> None:
    template = variant.clients["ClientStack-777788889999"]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "API_URL": "https://k3x9q2m7pa.execute-api.cn-north-1.amazonaws.com.cn/prod",
                    "API_REGION": "cn-north-1",
                }
            }
        },
    )
    invoke = [s for s in policy_statements(template) if s.get("Sid") == variant.names.invoke_sid]
    assert invoke[0]["Resource"] == variant.route_arns("k3x9q2m7pa")
    assert invoke[0]["Resource"][0].startswith("arn:aws-cn:execute-api:cn-north-1:111122223333:k3x9q2m7pa/prod/")
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": variant.names.requestor_role})
    assert variant.names.requestor_role.endswith("-prod-cn-northwest-1")


def test_api_admits_the_requestor_role_of_every_client_account(variant: SynthesizedApp) -> None:
    variant.api.has_resource_properties(
        "AWS::ApiGateway::RestApi",
        {
            "Policy": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "*"},
                                    "Condition": {
                                        "ArnLike": {"aws:PrincipalArn": variant.requestor_role_pattern},
                                        "StringEquals": {"aws:PrincipalAccount": ["444455556666", "777788889999"]},
                                    },
                                }
                            )
                        ]
                    )
                }
            )
        },
    )
