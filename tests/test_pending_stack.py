"""Before phase one: a real configuration synthesizes (CI can check it), each client
stack says why it cannot be deployed yet, and CloudFormation would refuse to deploy it."""

from __future__ import annotations

import json
import pathlib

import pytest
from aws_cdk.assertions import Annotations, Match

import app as cdk_app
from stacks.phases.pending_stack import NOT_READY, READY, PendingStack
from tests.conftest import SynthesizedApp, suite_context, synthesize

OWN_ACCOUNTS = {"api_account": "123456789012", "client_accounts": "210987654321"}
EXAMPLE_ID_PROBLEM = "api_id is cdk.json's example id a1b2c3d4e5, but the accounts are not the example accounts"


@pytest.fixture(scope="module")
def pending() -> SynthesizedApp:
    return synthesize(**OWN_ACCOUNTS)


def test_a_client_stack_without_a_real_api_id_is_pending(pending: SynthesizedApp) -> None:
    (stack,) = pending.client_stacks
    assert isinstance(stack, PendingStack)
    assert stack.reason.startswith(EXAMPLE_ID_PROBLEM)
    assert "make deploy-api PROFILE=" in stack.reason and "-c api_id=" in stack.reason


def test_synth_warns_which_stack_is_pending_and_why(pending: SynthesizedApp) -> None:
    (stack,) = pending.client_stacks
    Annotations.from_stack(stack).has_warning(
        "/ClientStack", Match.string_like_regexp(f"^ClientStack cannot be deployed yet: {EXAMPLE_ID_PROBLEM}")
    )


def test_cloudformation_refuses_to_deploy_it_with_the_same_message(pending: SynthesizedApp) -> None:
    (stack,) = pending.client_stacks
    template = pending.client.to_json()
    assert template["Parameters"]["Readiness"]["Default"] == NOT_READY
    assert template["Rules"]["RefuseToDeploy"] == {
        "Assertions": [
            {"Assert": {"Fn::Contains": [[READY], {"Ref": "Readiness"}]}, "AssertDescription": stack.reason}
        ]
    }


def test_a_pending_stack_creates_nothing(pending: SynthesizedApp) -> None:
    resources = pending.client.to_json()["Resources"]
    assert [resource["Type"] for resource in resources.values()] == ["AWS::CloudFormation::WaitConditionHandle"]


def test_phase_one_is_complete_while_phase_two_is_pending(pending: SynthesizedApp) -> None:
    pending.api.resource_count_is("AWS::ApiGateway::RestApi", 1)
    pending.api.has_output("ApiId", {})


def test_the_whole_app_synthesizes_with_a_pending_stack(tmp_path: pathlib.Path) -> None:
    app = cdk_app.new_app(context=suite_context(**OWN_ACCOUNTS), outdir=str(tmp_path))
    cdk_app.build_stacks(app, cdk_app.load_config(app), tmp_path / "cdk-outputs.json")
    app.synth()
    assert sorted(path.name for path in tmp_path.glob("*.template.json")) == [
        "ApiStack.template.json",
        "ClientStack.template.json",
    ]


def test_an_outputs_file_of_another_configuration_is_ignored_with_a_warning(tmp_path: pathlib.Path) -> None:
    outputs_file = tmp_path / "cdk-outputs.json"
    outputs_file.write_text(
        json.dumps({"ApiStack": {"ApiId": "k3x9q2m7pa", "ApiAccount": "999999999999", "ApiRegion": "eu-west-1", "Stage": "prod"}})
    )
    synth = synthesize(outputs_file)
    (stack,) = synth.client_stacks
    assert synth.client_stacks[0].requestor is not None, "the example configuration still gets its example api_id"
    Annotations.from_stack(stack).has_warning(
        "/ClientStack", Match.string_like_regexp(f"^{outputs_file} was ignored: it describes the API")
    )
