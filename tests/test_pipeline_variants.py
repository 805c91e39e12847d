"""The pipeline of the other configurations: the central authorizer's stage between the
API and the clients; the organization rollout, whose guard and StackSet deploy with the
API and which the pipeline cannot check; a pipeline in another region than the stacks,
with CDK Pipelines' support stack there. The four gates at zero on each."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from aws_cdk import cx_api

from tests.conftest import MODES
from tests.pipeline_assembly import PipelineAssembly, checkov_report, deploy_target, lint_findings, synthesize_pipeline
from tests.test_compliance import plugin_reports

OTHER_REGION = "eu-central-1"
VARIANTS: dict[str, dict[str, Any]] = {
    "lambda-authorizer": {**MODES["lambda-authorizer"], "authorizer_account": "777788889999"},
    "org-rollout": {**MODES["org-rollout"], "pipeline_approval": True, "pipeline_acts_as_org_admin": True},
    "another-region": {
        "pipeline_region": OTHER_REGION,
        "pipeline_connection_arn": f"arn:aws:codeconnections:{OTHER_REGION}:999988887777:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    },
}
FIRST_STAGES = ["Source", "Build", "UpdatePipeline", "Assets"]


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PipelineAssembly]:
    return {name: synthesize_pipeline(tmp_path_factory.mktemp(name), **context) for name, context in VARIANTS.items()}


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
    assert order["ApproveTheClientAccounts"] < order["OrgGuardStack.Deploy"] < order["ApiStack.Prepare"]
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


@pytest.mark.parametrize("name", VARIANTS)
def test_cfn_lint_finds_nothing(assemblies: dict[str, PipelineAssembly], name: str) -> None:
    assert lint_findings(assemblies[name].out_dir) == {}


@pytest.mark.parametrize("name", VARIANTS)
def test_checkov_finds_nothing(assemblies: dict[str, PipelineAssembly], name: str, tmp_path: pathlib.Path) -> None:
    report = checkov_report(assemblies[name].out_dir, tmp_path / "templates")
    assert report["summary"]["failed"] == 0, [c["check_id"] for c in report["results"]["failed_checks"]]
