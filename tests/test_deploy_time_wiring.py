"""ApiStack's consumers (the client stacks, AuthorizerStack, ClientStackSet) read its
ids when they deploy: CloudFormation's Fn::GetStackOutput through the reader role that
ApiStack publishes, in every mode; `-c api_id` gives a literal id and no read at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.routes import SERVICE
from tests.conftest import CLIENT_STACK, MODES, SynthesizedApp, synthesize
from tests.deploy_time import DEPLOYED_API_ID, DEPLOYED_AUTHORIZER_ID, cloudformation_execution_role

# Each mode's consumers of ApiStack's ids.
CONSUMERS = {mode: [CLIENT_STACK] for mode in MODES}
CONSUMERS["lambda-authorizer"] = [CLIENT_STACK, "AuthorizerStack"]
CONSUMERS["org-rollout"] = ["ClientStackSet"]
API_ACCOUNT, API_REGION = "111122223333", "eu-west-1"
GIVEN_API_ID, GIVEN_AUTHORIZER_ID = "k3x9q2m7pa", "xyz789"


@pytest.fixture(scope="module")
def read_when_deployed() -> dict[str, SynthesizedApp]:
    return {mode: synthesize(**overrides) for mode, overrides in MODES.items()}


@pytest.fixture(scope="module")
def given_in_the_context() -> dict[str, SynthesizedApp]:
    ids = {"api_id": GIVEN_API_ID}
    return {
        mode: synthesize(**overrides, **ids, **({"authorizer_id": GIVEN_AUTHORIZER_ID} if mode == "lambda-authorizer" else {}))
        for mode, overrides in MODES.items()
    }


def stack_output_reads(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):
        if set(value) == {"Fn::GetStackOutput"}:
            return [value["Fn::GetStackOutput"]]
        return [read for item in value.values() for read in stack_output_reads(item)]
    if isinstance(value, list):
        return [read for item in value for read in stack_output_reads(item)]
    return []


def reader_role(synth: SynthesizedApp) -> tuple[str, dict[str, Any]]:
    (role,) = [
        (logical_id, resource)
        for logical_id, resource in synth.deployment.stacks["ApiStack"].template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and logical_id.startswith("PublishGetStackOutputRole")
    ]
    return role


@pytest.mark.parametrize("mode", MODES)
def test_each_consumer_reads_apistacks_outputs_through_its_reader_role(
    read_when_deployed: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = read_when_deployed[mode]
    for consumer in CONSUMERS[mode]:
        stack = synth.deployment.stacks[consumer]
        reads = stack_output_reads(stack.template)
        assert reads, f"{consumer} reads nothing from ApiStack"
        # In the API's own account CloudFormation reads as the consumer's execution role.
        role_arn = (
            f"arn:aws:iam::{API_ACCOUNT}:role/{reader_role(synth)[1]['Properties']['RoleName']}"
            if stack.account != API_ACCOUNT
            else None
        )
        assert {(r["StackName"], r["Region"], r.get("RoleArn")) for r in reads} == {("ApiStack", API_REGION, role_arn)}


@pytest.mark.parametrize("mode", MODES)
def test_each_consumer_deploys_after_apistack(read_when_deployed: dict[str, SynthesizedApp], mode: str) -> None:
    synth = read_when_deployed[mode]
    for consumer in CONSUMERS[mode]:
        assert synth.api_stack in synth.api_stack.node.scope.node.find_child(consumer).dependencies


@pytest.mark.parametrize("mode", MODES)
def test_once_resolved_no_consumer_reads_anything_more(read_when_deployed: dict[str, SynthesizedApp], mode: str) -> None:
    synth = read_when_deployed[mode]
    for consumer in CONSUMERS[mode]:
        deployed = synth.deployment.template(consumer)
        assert stack_output_reads(deployed) == [] and DEPLOYED_API_ID in json.dumps(deployed)


def test_resolved_the_client_role_may_invoke_exactly_this_apis_stage_routes(
    read_when_deployed: dict[str, SynthesizedApp],
) -> None:
    synth = read_when_deployed["resource-policy"]
    statements = [
        statement
        for policy in synth.deployed_client.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "execute-api:Invoke"
    ]
    (invoke,) = statements
    api = f"arn:aws:execute-api:{API_REGION}:{API_ACCOUNT}:{DEPLOYED_API_ID}"
    assert invoke["Resource"] == [f"{api}/{synth.config.stage}/{route.arn_suffix}" for route in SERVICE.routes]


def test_resolved_the_authorizer_may_be_invoked_for_exactly_this_apis_authorizer(
    read_when_deployed: dict[str, SynthesizedApp],
) -> None:
    (permission,) = read_when_deployed["lambda-authorizer"].deployed("AuthorizerStack").find_resources(
        "AWS::Lambda::Permission"
    ).values()
    assert permission["Properties"]["SourceArn"] == (
        f"arn:aws:execute-api:{API_REGION}:{API_ACCOUNT}:{DEPLOYED_API_ID}/authorizers/{DEPLOYED_AUTHORIZER_ID}"
    )


@pytest.mark.parametrize(
    ("overrides", "consumers"),
    [
        (
            {**MODES["lambda-authorizer"], "client_accounts": "444455556666,777788889999"},
            ["ClientStack-444455556666", "ClientStack-777788889999", "AuthorizerStack"],
        ),
        ({**MODES["org-rollout"], "stackset_account": "555566667777"}, ["ClientStackSet"]),
    ],
)
def test_the_reader_role_is_trusted_by_the_consumers_cloudformation_execution_roles_only(
    overrides: dict[str, str], consumers: list[str]
) -> None:
    synth = synthesize(**overrides)
    (_, role) = reader_role(synth)
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    principals = statement["Principal"]["AWS"]
    trusted = {
        principal["Fn::Sub"].replace("${AWS::Partition}", "aws")
        for principal in (principals if isinstance(principals, list) else [principals])
    }
    assert (statement["Effect"], statement["Action"]) == ("Allow", ["sts:AssumeRole"])
    assert "Condition" not in statement
    assert trusted == {cloudformation_execution_role(synth.deployment.stacks[name]) for name in consumers}


def test_the_reader_role_may_only_describe_apistack(read_when_deployed: dict[str, SynthesizedApp]) -> None:
    synth = read_when_deployed["resource-policy"]
    role_id, role = reader_role(synth)
    assert set(role["Properties"]) == {"AssumeRolePolicyDocument", "RoleName"}  # no managed or inline policy
    resources = synth.deployment.stacks["ApiStack"].template["Resources"]
    policies = [p for p in resources.values() if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]]
    (policy,) = policies
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "cloudformation:DescribeStacks",
            "Resource": f"arn:aws:cloudformation:{API_REGION}:{API_ACCOUNT}:stack/ApiStack/*",
        }
    ]


@pytest.mark.parametrize("mode", MODES)
def test_the_outputs_published_for_the_consumers_are_the_apis_ids_only(
    read_when_deployed: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = read_when_deployed[mode]
    resources = synth.deployment.stacks["ApiStack"].template["Resources"]
    published = {
        name: resources[output["Value"]["Ref"]]["Type"]
        for name, output in synth.deployment.stacks["ApiStack"].template["Outputs"].items()
        if name.startswith("Publish")
    }
    expected = {"AWS::ApiGatewayV2::Api" if mode == "http" else "AWS::ApiGateway::RestApi"}
    if mode == "lambda-authorizer":
        expected.add("AWS::ApiGateway::Authorizer")
    assert sorted(published.values()) == sorted(expected)


@pytest.mark.parametrize("mode", MODES)
def test_ids_given_in_the_context_are_used_as_they_are_and_nothing_is_read(
    given_in_the_context: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = given_in_the_context[mode]
    for consumer in CONSUMERS[mode]:
        template = synth.deployment.stacks[consumer].template
        assert stack_output_reads(template) == []
        assert GIVEN_API_ID in json.dumps(template)
        assert synth.api_stack not in synth.api_stack.node.scope.node.find_child(consumer).dependencies
    api_template = synth.deployment.stacks["ApiStack"].template
    assert [name for name in api_template["Outputs"] if name.startswith("Publish")] == []
    assert not [r for r in api_template["Resources"] if r.startswith("Publish")]


def test_an_authorizer_id_given_in_the_context_names_the_permissions_source() -> None:
    synth = synthesize(**MODES["lambda-authorizer"], api_id=GIVEN_API_ID, authorizer_id=GIVEN_AUTHORIZER_ID)
    (permission,) = synth.deployed("AuthorizerStack").find_resources("AWS::Lambda::Permission").values()
    assert permission["Properties"]["SourceArn"].endswith(f":{GIVEN_API_ID}/authorizers/{GIVEN_AUTHORIZER_ID}")
