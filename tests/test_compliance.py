"""The security gates: cdk-nag (as the app's validation plugin), cfn-lint, and the
checkov skips recorded in the templates. checkov itself runs in `make test` after
pytest, from its own virtual environment (see the Makefile)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from cfnlint.api import ManualArgs, lint

import app as cdk_app
from tests.conftest import NO_OUTPUTS_FILE, cdk_json_context

# Each is a deliberate design choice; the reason is in the code that acknowledges it.
ACKNOWLEDGED = {
    "AwsSolutions-COG4",
    "AwsSolutions-APIG3",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
    "AwsSolutions-IAM5[Resource::arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/GET/orders/*]",
}
CHECKOV_SKIPPED = {
    "AWS::Logs::LogGroup": {"CKV_AWS_158"},
    "AWS::Lambda::Function": {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_173"},
    "AWS::ApiGateway::Stage": {"CKV_AWS_120"},
}
# CDK adds a DependsOn from each function to its role's policy that a GetAtt already
# implies; the template is correct, and CDK offers no switch to drop it.
CFN_LINT_IGNORED = ["W3005"]


def synthesize_to(out_dir: pathlib.Path, break_it: bool = False) -> cdk.App:
    app = cdk.App(context=cdk_json_context(), outdir=str(out_dir))
    api_stack, _ = cdk_app.build_stacks(app, cdk_app.load_config(app), NO_OUTPUTS_FILE)
    if break_it:
        api_stack.backend.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    app.synth()
    return app


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out_dir = tmp_path_factory.mktemp("cdk.out")
    synthesize_to(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def templates(assembly: pathlib.Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(assembly.glob("*.template.json"))}


def nag_report(assembly: pathlib.Path) -> dict[str, Any]:
    (report,) = json.loads((assembly / "validation-report.json").read_text())["pluginReports"]
    return report


def test_cdk_nag_passes_with_no_unacknowledged_finding(assembly: pathlib.Path) -> None:
    report = nag_report(assembly)
    assert (report["pluginName"], report["conclusion"], report["violations"]) == ("AwsSolutions", "success", [])


def test_acknowledged_findings_are_exactly_the_reviewed_set(assembly: pathlib.Path) -> None:
    suppressed = nag_report(assembly)["suppressedViolations"]
    assert {finding["ruleName"] for finding in suppressed} == ACKNOWLEDGED


def test_each_acknowledgment_is_on_a_resource_not_a_stack_and_has_a_reason(assembly: pathlib.Path) -> None:
    for finding in nag_report(assembly)["suppressedViolations"]:
        assert finding["acknowledgedAt"].count("/") >= 1, finding["acknowledgedAt"]
        assert len(finding["reason"]) > 40, finding


def test_acknowledgments_are_written_beside_the_resources_for_auditors(templates: dict[str, dict]) -> None:
    in_metadata = {
        rule["id"].removeprefix("AwsSolutions::")
        for template in templates.values()
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert in_metadata == ACKNOWLEDGED


def test_a_new_finding_fails_synth(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_to(tmp_path, break_it=True)
    assert [v["ruleName"] for v in nag_report(tmp_path)["violations"]] == ["AwsSolutions-IAM5[Action::s3:*]"]


def test_checkov_skips_are_exactly_the_reviewed_set_each_with_a_reason(templates: dict[str, dict]) -> None:
    skipped: dict[str, set[str]] = {}
    for template in templates.values():
        for resource in template["Resources"].values():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip["comment"]) > 40, skip
                skipped.setdefault(resource["Type"], set()).add(skip["id"])
    assert skipped == CHECKOV_SKIPPED


def test_cfn_lint_finds_nothing_in_any_template(templates: dict[str, dict]) -> None:
    assert set(templates) == {"ApiStack.template.json", "ClientStack.template.json"}
    for name, template in templates.items():
        matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1"], ignore_checks=CFN_LINT_IGNORED))
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
    assert "execute-api:Invoke" in actions
    assert [action for action in actions if "*" in action] == []
