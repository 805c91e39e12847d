"""pipeline_account: PipelineStack on CDK Pipelines, in the pipeline account. Its source,
the synth and the self-mutation, the deploy stages in order and the account of each
deploy action, the approval, the cross-account check and its exact permission, the
artifacts' key, the four gates; and the stage stacks, the very stacks `cdk deploy` gets."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

import app as cdk_app
from stacks.pipeline import check
from stacks.pipeline.pipeline_stack import BUILD_IMAGE, CDK_ASSETS_VERSION, pinned_cli_version
from tests.gates import Scans
from tests.pipeline_assembly import (
    CONFIGURATION,
    PipelineAssembly,
    deploy_role_of,
    deploy_target,
    synthesize_direct,
    synthesize_pipeline,
)
from tests.test_compliance import GUARD_PLUGIN, NAG_PLUGIN, plugin_reports
from tools.verdict import check_event, kind



@pytest.fixture(scope="module")
def delivery() -> PipelineAssembly:
    return synthesize_pipeline(**CONFIGURATION)


def test_the_source_is_the_configured_branch_through_the_connection(delivery: PipelineAssembly) -> None:
    (source,) = delivery.actions("Source")
    settings = delivery.config.pipeline
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": settings.connection_arn,
        "FullRepositoryId": settings.repository,
        "BranchName": settings.branch,
    }


def test_the_synth_is_the_projects_own_make_synth_on_its_pinned_runtimes(delivery: PipelineAssembly) -> None:
    (synth,) = delivery.actions("Build")
    spec = delivery.build_spec(synth)
    # Only the synth's packages, from their hashed lock: no test tools in the build.
    assert spec["phases"]["build"]["commands"] == ["make synth SETUP=synth"]
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    runtimes = spec["phases"]["install"]["runtime-versions"]
    assert tuple(int(part) for part in runtimes["python"].split(".")) >= (3, 11)
    project = delivery.template["Resources"][synth["Configuration"]["ProjectName"]["Ref"]]
    assert project["Properties"]["Environment"]["Image"] == BUILD_IMAGE.image_id


def test_the_pipeline_updates_itself_with_the_pinned_cli_before_it_deploys(delivery: PipelineAssembly) -> None:
    assert delivery.stage_names.index("UpdatePipeline") == delivery.stage_names.index("Build") + 1
    (mutate,) = delivery.actions("UpdatePipeline")
    spec = delivery.build_spec(mutate)
    assert f"npm install -g aws-cdk@{pinned_cli_version()}" in spec["phases"]["install"]["commands"]
    assert any("deploy PipelineStack" in command for command in spec["phases"]["build"]["commands"])
    assert delivery.pipeline["RestartExecutionOnUpdate"] is True


def test_the_assets_are_published_with_the_pinned_cdk_assets(delivery: PipelineAssembly) -> None:
    (publish,) = delivery.actions("Assets")
    project = delivery.template["Resources"][publish["Configuration"]["ProjectName"]["Ref"]]
    spec = json.loads((delivery.out_dir / project["Properties"]["Source"]["BuildSpec"]).read_text())
    assert spec["phases"]["install"]["commands"] == [f"npm install -g cdk-assets@{CDK_ASSETS_VERSION}"]


def test_no_role_of_the_pipeline_may_start_builds_of_any_project(delivery: PipelineAssembly) -> None:
    """Else code in one build (cdk-assets from npm) could start another project, the
    self-mutation's with its deploy rights, with a buildspec of its own."""
    starts = [
        statement
        for policy in delivery.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(action.startswith("codebuild:") and "Build" in action for action in _listed(statement["Action"]))
    ]
    assert starts and all(statement["Resource"] != "*" for statement in starts)


def test_only_codebuild_of_the_pipeline_account_may_take_the_build_roles(delivery: PipelineAssembly) -> None:
    trusts = [
        statement
        for role in delivery.resources("AWS::IAM::Role").values()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    ]
    # The synth, the self-mutation, the assets and the check.
    assert len(trusts) == 4
    assert all(t["Condition"] == {"StringEquals": {"aws:SourceAccount": delivery.config.pipeline.account}} for t in trusts)


def test_the_api_account_deploys_first_then_the_client_accounts_as_one_wave(delivery: PipelineAssembly) -> None:
    config = delivery.config
    assert delivery.stage_names == ["Source", "Build", "UpdatePipeline", "Assets", "Api", "Clients"]
    expected = {
        "Api": {"ApiStack": (config.api_account, config.api_region.name)},
        "Clients": {
            cdk_app.client_stack_name(account): (account, config.client_region.name) for account in config.client_accounts
        },
    }
    for stage, stacks in expected.items():
        deploys = [a for a in delivery.actions(stage) if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert {(a["Configuration"]["StackName"], deploy_target(a)) for a in deploys} == set(stacks.items())


def test_the_client_accounts_deploy_in_parallel(delivery: PipelineAssembly) -> None:
    deploys = [a for a in delivery.actions("Clients") if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    by_step = {}
    for action in deploys:
        by_step.setdefault(action["Name"].rsplit(".", 1)[1], set()).add(action["RunOrder"])
    # Every account's change set at once, then every account's execution at once.
    assert {step: len(orders) for step, orders in by_step.items()} == {"Prepare": 1, "Deploy": 1}


def test_a_person_approves_before_any_account_changes(delivery: PipelineAssembly) -> None:
    (approval,) = delivery.actions_of("Manual")
    # The first stage that deploys is the API's: the approval comes before its first action.
    assert approval in delivery.actions("Api")
    deploys = [a for a in delivery.actions("Api") if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert approval["RunOrder"] < min(a["RunOrder"] for a in deploys)
    deploying = [name for name in delivery.stage_names if any(
        a["ActionTypeId"]["Provider"] == "CloudFormation" for a in delivery.actions(name)
    )]
    assert deploying[0] == "Api"


def check_action(delivery: PipelineAssembly) -> dict[str, Any]:
    (action,) = [a for a in delivery.actions("Clients") if a["Name"] == "CheckCrossAccountIam"]
    return action


def test_the_check_runs_after_every_client_account_is_deployed(delivery: PipelineAssembly) -> None:
    others = [a["RunOrder"] for a in delivery.actions("Clients") if a["Name"] != "CheckCrossAccountIam"]
    assert check_action(delivery)["RunOrder"] > max(others)


def test_the_check_invokes_the_first_client_accounts_requestor_and_judges_its_answer(delivery: PipelineAssembly) -> None:
    config = delivery.config
    invoke, judge = delivery.build_spec(check_action(delivery))["phases"]["build"]["commands"]
    words = shlex.split(invoke)
    assert words[:3] == ["aws", "lambda", "invoke"]
    assert words[words.index("--function-name") + 1] == check.requestor_arn(config, config.client_accounts[0])
    assert words[words.index("--region") + 1] == config.client_region.name
    health = config.service.health
    assert json.loads(words[words.index("--payload") + 1]) == check_event(health.method, health.path)
    assert shlex.split(judge) == [
        "python3", "-m", "tools.verdict", words[-1], kind(config.access_mode, config.endpoint_type, config.api_type)
    ]


def test_the_checks_role_may_invoke_exactly_the_checked_requestor(delivery: PipelineAssembly) -> None:
    config = delivery.config
    role = delivery.project_role(check_action(delivery))
    assert delivery.template["Resources"][role]["Properties"]["RoleName"] == config.names.pipeline_check_role
    lambda_statements = [s for s in delivery.statements_of(role) if any(a.startswith("lambda:") for a in _listed(s["Action"]))]
    assert lambda_statements == [
        {
            "Sid": "InvokeTheCheckedRequestorOnly",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": check.requestor_arn(config, config.client_accounts[0]),
        }
    ]
    # Nothing else reaches another account: no role to assume, no IAM.
    actions = {a for s in delivery.statements_of(role) for a in _listed(s["Action"])}
    assert not {a for a in actions if a.split(":")[0] in ("sts", "iam")}


def test_only_codebuild_of_the_pipeline_account_may_take_the_checks_role(delivery: PipelineAssembly) -> None:
    role = delivery.project_role(check_action(delivery))
    (trust,) = delivery.template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": delivery.config.pipeline.account}}


def test_the_checked_requestor_alone_admits_the_checks_role(delivery: PipelineAssembly) -> None:
    config = delivery.config
    admitted = {
        stack: [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]
        for stack, template in delivery.stage_stacks.items()
        if stack.startswith("ClientStack-")
    }
    checked, other = (cdk_app.client_stack_name(account) for account in config.client_accounts)
    ((permission,),) = [admitted[checked]]
    assert permission["Principal"] == check.check_role_arn(config)
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["FunctionName"] == {"Fn::GetAtt": [_requestor(delivery.stage_stacks[checked]), "Arn"]}
    assert admitted[other] == []


def _requestor(template: dict[str, Any]) -> str:
    (function,) = [key for key, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
    return function


def artifact_key(delivery: PipelineAssembly) -> tuple[str, dict[str, Any]]:
    key_id = delivery.pipeline["ArtifactStore"]["EncryptionKey"]["Id"]["Fn::GetAtt"][0]
    return key_id, delivery.template["Resources"][key_id]["Properties"]


def test_artifacts_are_encrypted_with_a_rotating_key_of_the_pipeline(delivery: PipelineAssembly) -> None:
    store = delivery.pipeline["ArtifactStore"]
    key_id, key = artifact_key(delivery)
    assert store["EncryptionKey"]["Type"] == "KMS"
    assert key["EnableKeyRotation"] is True
    bucket = delivery.template["Resources"][store["Location"]["Ref"]]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEAlgorithm": "aws:kms",
    }


def test_only_the_target_accounts_deploy_roles_may_decrypt_the_artifacts(delivery: PipelineAssembly) -> None:
    _, key = artifact_key(delivery)
    (readers,) = [
        statement["Principal"]["AWS"]
        for statement in key["KeyPolicy"]["Statement"]
        if statement["Effect"] == "Allow" and "kms:Decrypt" in _listed(statement["Action"])
        and statement["Principal"]["AWS"] != f"arn:aws:iam::{delivery.config.pipeline.account}:root"
    ]
    config = delivery.config
    targets = {(config.api_account, config.api_region.name)}
    targets |= {(account, config.client_region.name) for account in config.client_accounts}
    assert {deploy_role_of(reader) for reader in _listed(readers)} == targets


def test_the_stage_stacks_are_the_stacks_cdk_deploy_gets(delivery: PipelineAssembly) -> None:
    """The same resources (by type and properties) and outputs; the checked requestor's
    permission for the check is the one addition. Logical ids that CDK derives from the
    construct path (API Gateway's permissions to invoke the backend) differ."""
    direct = synthesize_direct(**{key: value for key, value in CONFIGURATION.items() if not key.startswith("pipeline_")})
    assert sorted(direct) == sorted(delivery.stage_stacks)
    checked = cdk_app.client_stack_name(delivery.config.client_accounts[0])
    for name, template in delivery.stage_stacks.items():
        added = _resources(template) - _resources(direct[name])
        assert added == ({_check_permission(template)} if name == checked else set()), name
        assert _resources(direct[name]) <= _resources(template), name
        assert template.get("Outputs") == direct[name].get("Outputs"), name


def _resources(template: dict[str, Any]) -> set[str]:
    return {json.dumps([r["Type"], r.get("Properties")], sort_keys=True) for r in template["Resources"].values()}


def _check_permission(template: dict[str, Any]) -> str:
    (permission,) = [
        r for key, r in template["Resources"].items() if key.startswith(f"{_requestor(template)[:-8]}InvokedByThePipelinesCheck")
    ]
    return json.dumps([permission["Type"], permission["Properties"]], sort_keys=True)


def test_cdk_nag_and_the_control_tower_controls_pass_on_the_pipeline_and_its_stages(delivery: PipelineAssembly) -> None:
    reports = plugin_reports(delivery.out_dir)
    assert {name: (r["conclusion"], r["violations"]) for name, r in reports.items()} == {
        NAG_PLUGIN: ("success", []),
        GUARD_PLUGIN: ("success", []),
    }
    for report in reports.values():
        for finding in report.get("suppressedViolations", []):
            assert finding["acknowledgedAt"].count("/") >= 2, finding["acknowledgedAt"]
            assert len(finding["reason"]) > 40, finding


def in_the_pipeline(name: str) -> bool:
    return name.split("/")[0] == "pipeline"


def test_cfn_lint_with_no_check_ignored_finds_nothing_in_the_pipeline_or_its_stages(gate_scans: Scans) -> None:
    assert len([name for name in gate_scans.templates.by_name if in_the_pipeline(name)]) > 1
    assert {name: found for name, found in gate_scans.cfn_lint.items() if in_the_pipeline(name)} == {}


def test_checkov_finds_nothing_and_skips_only_what_cdk_pipelines_needs(delivery: PipelineAssembly, gate_scans: Scans) -> None:
    assert gate_scans.checkov_failures(in_the_pipeline) == []
    pipeline_skips = {
        (resource["Type"], skip["id"])
        for resource in delivery.template["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    # The artifact bucket's access logs.
    assert pipeline_skips == {("AWS::S3::Bucket", "CKV_AWS_18")}


def test_the_stage_stacks_record_their_acknowledgments_for_auditors(delivery: PipelineAssembly) -> None:
    """CDK applies the app's aspects to a stage's stacks only through the stage."""
    api = delivery.stage_stacks["ApiStack"]
    recorded = {
        rule["id"]
        for resource in api["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    direct = synthesize_direct()["ApiStack"]
    assert recorded and recorded == {
        rule["id"]
        for resource in direct["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
