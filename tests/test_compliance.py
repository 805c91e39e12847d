"""The security gates on the templates of every mode: cdk-nag (the app's
validation plugin), cfn-lint with no check ignored, and checkov with exactly the
reviewed skips recorded in the templates."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from typing import Any

import re

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import cx_api
from cfnlint.api import ManualArgs, lint

import app as cdk_app
from stacks.routes import SERVICE
from tests.conftest import CLIENT_STACK, MODES, PROJECT_ROOT, suite_context
from tests.deploy_time import DEPLOYED_API_ID, Deployment

# Each mode's stacks, where they are not ApiStack and the client stack.
STACKS = {
    "lambda-authorizer": ["ApiStack", CLIENT_STACK, "AuthorizerStack"],
    "org-rollout": ["ApiStack", "ClientStackSet", "ClientStackSet.member", "OrgGuardStack"],
}
# Each is a deliberate design choice; the reason is in the code that acknowledges it.
ACKNOWLEDGED_FOR_THE_REST_API = {
    "AwsSolutions-COG4",
    "AwsSolutions-APIG3",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
}
# The roles that may invoke routes with a path parameter, whose ARNs have a '*' for it:
# the requestor role (the API's id read from ApiStack), the invoker role (the API by its logical id).
REQUESTOR_PATH_PARAMETERS = "requestor"
INVOKER_PATH_PARAMETERS = "invoker"
PATH_PARAMETER_ROLES = {
    "resource-policy": {REQUESTOR_PATH_PARAMETERS},
    "assume-role": {INVOKER_PATH_PARAMETERS},
    "http": {INVOKER_PATH_PARAMETERS},
    "private": {REQUESTOR_PATH_PARAMETERS},
    "private-assume-role-endpoints": {INVOKER_PATH_PARAMETERS},
    # No role may invoke the API by IAM: the authorizer admits callers.
    "lambda-authorizer": set(),
    # No ClientStack: the requestor is in the StackSet's member template, which cdk-nag
    # checks in an app of its own (test_org_rollout).
    "org-rollout": set(),
}
# An HTTP API has no methods for COG4, no WAF association for APIG3 and needs no
# account-wide CloudWatch role.
ACKNOWLEDGED_FOR_EVERY_API = {"http": {"AwsSolutions-IAM5[Resource::*]"}}


def path_parameter_findings(prefix: str) -> set[str]:
    return {
        f"AwsSolutions-IAM5[Resource::{prefix}/prod/{route.arn_suffix}]" for route in SERVICE.routes if "*" in route.arn_suffix
    }


def acknowledged(mode: str, api_logical_id: str) -> set[str]:
    """The reviewed findings of a mode, derived from the routes; the API's id as deployed."""
    findings = set(ACKNOWLEDGED_FOR_EVERY_API.get(mode, ACKNOWLEDGED_FOR_THE_REST_API))
    api_arn = "arn:aws:execute-api:eu-west-1:111122223333:"
    if REQUESTOR_PATH_PARAMETERS in PATH_PARAMETER_ROLES[mode]:
        findings |= path_parameter_findings(api_arn + DEPLOYED_API_ID)
    if INVOKER_PATH_PARAMETERS in PATH_PARAMETER_ROLES[mode]:
        findings |= path_parameter_findings(f"{api_arn}<{api_logical_id}>")
    return findings


STACK_OUTPUT_READ = re.compile(r'\{"Fn::GetStackOutput":\{[^{}]*\}\}')


def as_deployed(finding: str, deployment: Deployment, consumer: str) -> str:
    """A finding's name with each Fn::GetStackOutput in it replaced by what a deploy reads."""
    stack = deployment.stacks[consumer]
    return STACK_OUTPUT_READ.sub(
        lambda read: deployment.get_stack_output(stack, **json.loads(read.group())["Fn::GetStackOutput"]), finding
    )


CHECKOV_SKIPPED = {
    "AWS::Logs::LogGroup": {"CKV_AWS_158"},
    "AWS::Lambda::Function": {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_173"},
    "AWS::ApiGateway::Stage": {"CKV_AWS_120"},
    # A requestor in a VPC: its network-interface policy.
    "AWS::IAM::Policy": {"CKV_AWS_111"},
    # The invoker role: trusted by Principal '*' narrowed by conditions.
    "AWS::IAM::Role": {"CKV_AWS_60"},
}
CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"


# Every statement a deny list adds (resource policy, invoker trust and sessions, the
# authorizer's parameter) is scanned too.
DENIED = {"denied_principals": "777788889999,arn:aws:iam::444455556666:role/team-*"}


def synthesize_to(out_dir: pathlib.Path, mode: str, break_it: bool = False) -> None:
    app = cdk_app.new_app(context=suite_context(**MODES[mode], **DENIED), outdir=str(out_dir))
    stacks = cdk_app.build_stacks(app, cdk_app.load_config(app))
    if break_it:
        stacks.api.backend_function.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    app.synth()
    # A StackSet's member template is a string in its template: out beside it, so that
    # cfn-lint and checkov check it too.
    for path in list(out_dir.glob("*.template.json")):
        for resource in json.loads(path.read_text())["Resources"].values():
            if resource["Type"] == "AWS::CloudFormation::StackSet":
                path.with_suffix("").with_suffix(".member.template.json").write_text(resource["Properties"]["TemplateBody"])


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    root = tmp_path_factory.mktemp("assemblies")
    out_dirs = {mode: root / mode for mode in MODES}
    for mode, out_dir in out_dirs.items():
        synthesize_to(out_dir, mode)
    return out_dirs


@pytest.fixture(scope="module")
def templates(assemblies: dict[str, pathlib.Path]) -> dict[str, dict[str, Any]]:
    return {
        f"{mode}/{path.name}": json.loads(path.read_text())
        for mode, out_dir in assemblies.items()
        for path in sorted(out_dir.glob("*.template.json"))
    }


@pytest.fixture(scope="module")
def deployments(assemblies: dict[str, pathlib.Path]) -> dict[str, Deployment]:
    return {mode: Deployment(cx_api.CloudAssembly(str(out_dir))) for mode, out_dir in assemblies.items()}


def reviewed(mode: str, deployment: Deployment) -> set[str]:
    apis = [
        logical_id
        for logical_id, resource in deployment.stacks["ApiStack"].template["Resources"].items()
        if resource["Type"] in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
    ]
    (api_logical_id,) = apis
    return acknowledged(mode, api_logical_id)


def nag_report(assembly: pathlib.Path) -> dict[str, Any]:
    (report,) = json.loads((assembly / "validation-report.json").read_text())["pluginReports"]
    return report


@pytest.mark.parametrize("mode", MODES)
def test_cdk_nag_passes_with_no_unacknowledged_finding(assemblies: dict[str, pathlib.Path], mode: str) -> None:
    report = nag_report(assemblies[mode])
    assert (report["pluginName"], report["conclusion"], report["violations"]) == ("AwsSolutions", "success", [])


@pytest.mark.parametrize("mode", MODES)
def test_acknowledged_findings_are_exactly_the_reviewed_set(
    assemblies: dict[str, pathlib.Path], deployments: dict[str, Deployment], mode: str
) -> None:
    suppressed = nag_report(assemblies[mode])["suppressedViolations"]
    found = {
        as_deployed(finding["ruleName"], deployments[mode], finding["acknowledgedAt"].split("/")[0])
        for finding in suppressed
    }
    assert found == reviewed(mode, deployments[mode])


@pytest.mark.parametrize("mode", MODES)
def test_each_acknowledgment_is_on_a_resource_not_a_stack_and_has_a_reason(
    assemblies: dict[str, pathlib.Path], mode: str
) -> None:
    for finding in nag_report(assemblies[mode])["suppressedViolations"]:
        assert finding["acknowledgedAt"].count("/") >= 1, finding["acknowledgedAt"]
        assert len(finding["reason"]) > 40, finding


@pytest.mark.parametrize("mode", MODES)
def test_acknowledgments_are_written_beside_the_resources_for_auditors(
    templates: dict[str, dict], deployments: dict[str, Deployment], mode: str
) -> None:
    in_metadata = {
        as_deployed(rule["id"].removeprefix("AwsSolutions::"), deployments[mode], name.split("/")[1].split(".")[0])
        for name, template in templates.items()
        # A member template is nag-checked in an app of its own (test_org_rollout).
        if name.startswith(f"{mode}/") and ".member." not in name
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert in_metadata == reviewed(mode, deployments[mode])


def test_a_new_finding_fails_synth(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_to(tmp_path, "resource-policy", break_it=True)
    assert [v["ruleName"] for v in nag_report(tmp_path)["violations"]] == ["AwsSolutions-IAM5[Action::s3:*]"]


def test_checkov_skips_are_exactly_the_reviewed_set_each_with_a_reason(templates: dict[str, dict]) -> None:
    skipped: dict[str, set[str]] = {}
    for template in templates.values():
        for resource in template["Resources"].values():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip["comment"]) > 40, skip
                skipped.setdefault(resource["Type"], set()).add(skip["id"])
    assert skipped == CHECKOV_SKIPPED


def test_checkov_finds_nothing_in_any_template(assemblies: dict[str, pathlib.Path], templates: dict[str, dict]) -> None:
    assert CHECKOV.exists(), "checkov is not installed: `make test` installs it into .venv-checkov"
    (root,) = {out_dir.parent for out_dir in assemblies.values()}
    finished = subprocess.run(
        [str(CHECKOV), "--directory", str(root), "--framework", "cloudformation", "--skip-download", "--output", "json"],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(finished.stdout)
    assert report["summary"]["failed"] == 0, [check["check_id"] for check in report["results"]["failed_checks"]]
    assert report["summary"]["resource_count"] == sum(len(t["Resources"]) for t in templates.values())
    skipped = {check["check_id"] for check in report["results"]["skipped_checks"]}
    assert skipped == set().union(*CHECKOV_SKIPPED.values())


def test_cfn_lint_with_no_check_ignored_finds_nothing_in_any_template(templates: dict[str, dict]) -> None:
    expected = [
        f"{mode}/{stack}.template.json" for mode in MODES for stack in STACKS.get(mode, ["ApiStack", CLIENT_STACK])
    ]
    assert sorted(templates) == sorted(expected)
    for name, template in templates.items():
        matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1"]))
        assert [str(match) for match in matches] == [], name


def policy_documents(value: Any) -> list[dict[str, Any]]:
    """Every IAM policy document anywhere in a template (roles, policies, the API's policy)."""
    if isinstance(value, dict):
        found = [value] if "Statement" in value else []
        return found + [doc for item in value.values() for doc in policy_documents(item)]
    if isinstance(value, list):
        return [doc for item in value for doc in policy_documents(item)]
    return []


def lets_the_account_manage_its_key(resources: dict[str, Any], statement: dict[str, Any]) -> bool:
    """A KMS key policy's statement that hands the key to the account's IAM policies
    (AWS's default key policy: without it, nobody could ever change the key again)."""
    return statement.get("Action") == "kms:*" and statement.get("Resource") == "*" and any(
        resource["Type"] == "AWS::KMS::Key" and statement in resource["Properties"]["KeyPolicy"]["Statement"]
        for resource in resources.values()
    )


def test_no_wildcard_action_in_any_policy(templates: dict[str, dict]) -> None:
    actions = []
    for template in templates.values():
        for document in policy_documents(template["Resources"]):
            for statement in document["Statement"]:
                if lets_the_account_manage_its_key(template["Resources"], statement):
                    assert re.fullmatch(r"arn:aws:iam::[0-9]{12}:root", statement["Principal"]["AWS"]), statement
                    continue
                action = statement["Action"]
                actions += action if isinstance(action, list) else [action]
    assert {"execute-api:Invoke", "sts:AssumeRole"} <= set(actions)
    assert [action for action in actions if "*" in action] == []
