"""The pipeline of the other configurations: the central authorizer's stage between the
API and the clients; the organization rollout, whose guard and StackSet deploy with the
API and which the pipeline cannot check; a pipeline in another region than the stacks,
with CDK Pipelines' support stack there. The four gates at zero on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import cx_api

from tests.gates import Scans
from tests.pipeline_assembly import OTHER_REGION, VARIANTS, PipelineAssembly, deploy_target, synthesize_pipeline
from tests.test_compliance import plugin_reports

FIRST_STAGES = ["Source", "Build", "UpdatePipeline", "Assets"]


@pytest.fixture(scope="module")
def assemblies() -> dict[str, PipelineAssembly]:
    return {name: synthesize_pipeline(**context) for name, context in VARIANTS.items()}


def deployed_stacks(delivery: PipelineAssembly, stage: str) -> dict[str, tuple[str, str]]:
    return {
        action["Configuration"]["StackName"]: deploy_target(action)
        for action in delivery.actions(stage)
        if action["ActionTypeId"]["Provider"] == "CloudFormation"
    }


def test_the_central_authorizer_deploys_between_the_api_and_the_clients(assemblies: dict[str, PipelineAssembly]) -> None:
    delivery = assemblies["lambda-authorizer"]
    config = delivery.config
    (client,) = config.client_accounts
    assert delivery.stage_names == [*FIRST_STAGES, "Api", "Authorizer", f"Client-{client}"]
    assert deployed_stacks(delivery, "Authorizer") == {"AuthorizerStack": (config.authorizer_account, config.api_region.name)}
    # No approval asked for; the check after the client, judging a 401 from the authorizer.
    assert delivery.actions_of("Manual") == []
    (check,) = [a for a in delivery.actions(f"Client-{client}") if a["Name"] == "CheckCrossAccountIam"]
    assert delivery.build_spec(check)["phases"]["build"]["commands"][-1].endswith(" authorizer")


def test_the_org_rollouts_guard_and_stackset_deploy_with_the_api_after_the_approval(assemblies: dict[str, PipelineAssembly]) -> None:
    delivery = assemblies["org-rollout"]
    config = delivery.config
    rollout = config.org_rollout
    # The StackSet is in the API account: it reads ApiStack's ids there, in the same stage.
    assert delivery.stage_names == [*FIRST_STAGES, "Api"]
    assert deployed_stacks(delivery, "Api") == {
        "OrgGuardStack": (rollout.policy_account, rollout.policy_region),
        "ApiStack": (config.api_account, config.api_region.name),
        "ClientStackSet": (rollout.stackset_account, config.client_region.name),
    }
    order = {a["Name"]: a["RunOrder"] for a in delivery.actions("Api")}
    assert order["ApproveTheRelease"] < order["OrgGuardStack.Deploy"] < order["ApiStack.Prepare"]
    assert order["ApiStack.Deploy"] < order["ClientStackSet.Prepare"]


def test_the_org_rollout_has_no_check_and_says_how_to_check_it(assemblies: dict[str, PipelineAssembly]) -> None:
    delivery = assemblies["org-rollout"]
    assert not [a for a in delivery.actions_of("CodeBuild") if a["Name"] == "CheckCrossAccountIam"]
    messages = [
        str(entry.entry.data)
        for entry in delivery.assembly.get_stack_by_name("PipelineStack").messages
        if entry.level == cx_api.SynthesisMessageLevel.INFO
    ]
    assert any("No cross-account check" in message and "make smoke" in message for message in messages)


def test_a_pipeline_in_another_region_has_its_artifacts_replicated_to_the_stacks_region(assemblies: dict[str, PipelineAssembly]) -> None:
    delivery = assemblies["another-region"]
    stores = {store["Region"]: store for store in delivery.pipeline["ArtifactStores"]}
    assert sorted(stores) == sorted({OTHER_REGION, delivery.config.api_region.name})
    support = [s for s in delivery.assembly.stacks if s.stack_name.startswith("PipelineStack-support-")]
    assert [(s.environment.account, s.environment.region) for s in support] == [
        (delivery.config.pipeline.account, delivery.config.api_region.name)
    ]


@pytest.mark.parametrize("name", VARIANTS)
def test_cdk_nag_and_the_control_tower_controls_pass(assemblies: dict[str, PipelineAssembly], name: str) -> None:
    reports = plugin_reports(assemblies[name].out_dir)
    assert [(r["conclusion"], r["violations"]) for r in reports.values()] == [("success", [])] * 2


def of_the_variant(name: str) -> Callable[[str], bool]:
    return lambda template: template.split("/")[0] == f"pipeline-{name}"


@pytest.mark.parametrize("name", VARIANTS)
def test_cfn_lint_finds_nothing(gate_scans: Scans, name: str) -> None:
    assert [template for template in gate_scans.templates.by_name if of_the_variant(name)(template)]
    assert {template: found for template, found in gate_scans.cfn_lint.items() if of_the_variant(name)(template)} == {}


@pytest.mark.parametrize("name", VARIANTS)
def test_checkov_finds_nothing(gate_scans: Scans, name: str) -> None:
    assert gate_scans.checkov_failures(of_the_variant(name)) == []
