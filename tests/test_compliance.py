"""The security gates on the templates of every mode: cdk-nag (the app's
validation plugin), cfn-lint with no check ignored, and checkov with exactly the
reviewed skips recorded in the templates."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from cfnlint.api import ManualArgs, lint

import app as cdk_app
from tests.conftest import NO_OUTPUTS_FILE, PROJECT_ROOT, suite_context

# Each mode's context: the REST API with its resource policy, the REST API behind the
# invoker role, and the HTTP API (behind the invoker role, which it implies).
PRIVATE = {
    "endpoint_type": "private",
    "client_vpc_ids": "vpc-0a1b2c3d4e5f67890",
    "client_subnet_ids": "subnet-0a1b2c3d4e5f67890,subnet-0b1b2c3d4e5f67890",
}
MODES = {
    "resource-policy": {},
    "assume-role": {"access_mode": "assume-role"},
    "http": {"api_type": "http"},
    "private": PRIVATE,
    "private-assume-role-endpoints": {**PRIVATE, "access_mode": "assume-role", "create_vpc_endpoint": True},
    "lambda-authorizer": {"access_mode": "lambda-authorizer", "authorizer_account": "999988887777", "authorizer_id": "abc123"},
    "org-rollout": {
        "org_id": "o-a1b2c3d4e5",
        "client_org_units": "ou-ab12-cdefgh34",
        "stackset_account": "111122223333",
        "policy_account": "222233334444",
    },
}
# Each mode's stacks, where they are not ApiStack and ClientStack.
STACKS = {
    "lambda-authorizer": ["ApiStack", "ClientStack", "AuthorizerStack"],
    "org-rollout": ["ApiStack", "ClientStackSet", "ClientStackSet.member", "OrgGuardStack"],
}
INVOKER_PATH_PARAMETER = (
    "AwsSolutions-IAM5[Resource::arn:aws:execute-api:eu-west-1:111122223333:<OrdersApi5F38DCA5>/prod/GET/orders/*]"
)
# Each is a deliberate design choice; the reason is in the code that acknowledges it.
ACKNOWLEDGED_FOR_THE_REST_API = {
    "AwsSolutions-COG4",
    "AwsSolutions-APIG3",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
}
ACKNOWLEDGED = {
    "resource-policy": ACKNOWLEDGED_FOR_THE_REST_API
    | {"AwsSolutions-IAM5[Resource::arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/GET/orders/*]"},
    "assume-role": ACKNOWLEDGED_FOR_THE_REST_API | {INVOKER_PATH_PARAMETER},
    # An HTTP API has no methods for COG4, no WAF association for APIG3 and needs no
    # account-wide CloudWatch role.
    "http": {"AwsSolutions-IAM5[Resource::*]", INVOKER_PATH_PARAMETER},
}
ACKNOWLEDGED["private"] = ACKNOWLEDGED["resource-policy"]
ACKNOWLEDGED["private-assume-role-endpoints"] = ACKNOWLEDGED["assume-role"]
# No execute-api permission anywhere: the authorizer admits callers.
ACKNOWLEDGED["lambda-authorizer"] = ACKNOWLEDGED_FOR_THE_REST_API
# No ClientStack: the requestor is in the StackSet's member template, which cdk-nag
# checks in an app of its own (test_org_rollout).
ACKNOWLEDGED["org-rollout"] = ACKNOWLEDGED_FOR_THE_REST_API
CHECKOV_SKIPPED = {
    "AWS::Logs::LogGroup": {"CKV_AWS_158"},
    "AWS::Lambda::Function": {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_173"},
    "AWS::ApiGateway::Stage": {"CKV_AWS_120"},
    # A requestor in a VPC: its network-interface policy.
    "AWS::IAM::Policy": {"CKV_AWS_111"},
}
CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"


def synthesize_to(out_dir: pathlib.Path, mode: str, break_it: bool = False) -> None:
    app = cdk_app.new_app(context=suite_context(**MODES[mode]), outdir=str(out_dir))
    api_stack, _ = cdk_app.build_stacks(app, cdk_app.load_config(app), NO_OUTPUTS_FILE)
    if break_it:
        api_stack.backend.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
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


def nag_report(assembly: pathlib.Path) -> dict[str, Any]:
    (report,) = json.loads((assembly / "validation-report.json").read_text())["pluginReports"]
    return report


@pytest.mark.parametrize("mode", MODES)
def test_cdk_nag_passes_with_no_unacknowledged_finding(assemblies: dict[str, pathlib.Path], mode: str) -> None:
    report = nag_report(assemblies[mode])
    assert (report["pluginName"], report["conclusion"], report["violations"]) == ("AwsSolutions", "success", [])


@pytest.mark.parametrize("mode", MODES)
def test_acknowledged_findings_are_exactly_the_reviewed_set(assemblies: dict[str, pathlib.Path], mode: str) -> None:
    suppressed = nag_report(assemblies[mode])["suppressedViolations"]
    assert {finding["ruleName"] for finding in suppressed} == ACKNOWLEDGED[mode]


@pytest.mark.parametrize("mode", MODES)
def test_each_acknowledgment_is_on_a_resource_not_a_stack_and_has_a_reason(
    assemblies: dict[str, pathlib.Path], mode: str
) -> None:
    for finding in nag_report(assemblies[mode])["suppressedViolations"]:
        assert finding["acknowledgedAt"].count("/") >= 1, finding["acknowledgedAt"]
        assert len(finding["reason"]) > 40, finding


@pytest.mark.parametrize("mode", MODES)
def test_acknowledgments_are_written_beside_the_resources_for_auditors(
    templates: dict[str, dict], mode: str
) -> None:
    in_metadata = {
        rule["id"].removeprefix("AwsSolutions::")
        for name, template in templates.items()
        # A member template is nag-checked in an app of its own (test_org_rollout).
        if name.startswith(f"{mode}/") and ".member." not in name
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert in_metadata == ACKNOWLEDGED[mode]


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
        f"{mode}/{stack}.template.json" for mode in MODES for stack in STACKS.get(mode, ["ApiStack", "ClientStack"])
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


def test_no_wildcard_action_in_any_policy(templates: dict[str, dict]) -> None:
    actions = []
    for template in templates.values():
        for document in policy_documents(template["Resources"]):
            for statement in document["Statement"]:
                action = statement["Action"]
                actions += action if isinstance(action, list) else [action]
    assert {"execute-api:Invoke", "sts:AssumeRole"} <= set(actions)
    assert [action for action in actions if "*" in action] == []
