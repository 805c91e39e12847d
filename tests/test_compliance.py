"""The security gates on the templates of every mode: cdk-nag and AWS Control Tower's
proactive controls (the app's validation plugins), cfn-lint with no check ignored, and
checkov with exactly the reviewed skips recorded in the templates; and the log groups'
encryption and retention that the proactive controls asked for."""

from __future__ import annotations

import contextlib
import json
import pathlib
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

import app as cdk_app
from app import BuiltStacks
from stacks.org import member_template
from stacks.routes import SERVICE
from stacks.shared.compliance import GUARD_PLUGIN, nag_name
from stacks.shared.control_tower import rule_resource_types, rules_that_cannot_apply
from stacks.shared.log_groups import CLOUDWATCH_LOGS_ACTIONS
from tests.conftest import CLIENT_STACK, DOMAIN_MODES, NO_BUNDLING, TEST_CONFIGURATION, SynthesizedApp, suite_context, synthesize
from tests.deploy_time import DEPLOYED_API_ID, DeployedStack, Deployment
from tests.gates import CHECKOV, GATED_MODES, Scans, of_a_mode

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
# The mode each custom domain configuration adds its domain to: the same reviewed findings.
DOMAIN_BASE = {"private-domain": "private", "regional-domain": "resource-policy", "http-domain": "http"}
assert set(DOMAIN_BASE) == set(DOMAIN_MODES)
PATH_PARAMETER_ROLES |= {mode: PATH_PARAMETER_ROLES[base] for mode, base in DOMAIN_BASE.items()}
ACKNOWLEDGED_FOR_EVERY_API |= {mode: ACKNOWLEDGED_FOR_EVERY_API[base] for mode, base in DOMAIN_BASE.items() if base in ACKNOWLEDGED_FOR_EVERY_API}


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


NAG_PLUGIN = "AwsSolutions"
# Control Tower's proactive controls: the functions that run outside a VPC
# (CT.LAMBDA.PR.3, lambda_inside_vpc_check) are the one acknowledged finding. The
# requestor of a private API runs in its VPC; with the organization rollout the
# requestor is in the StackSet's member template, checked in an app of its own.
OUTSIDE_A_VPC = "lambda_inside_vpc_check"
BACKEND = "ApiStack/Backend/Function/Resource"
REQUESTOR = f"{CLIENT_STACK}/Requestor/Function/Resource"
AUTHORIZER = "AuthorizerStack/Authorizer/Function/Resource"
MEMBER_REQUESTOR = f"{member_template.MEMBER_STACK_NAME}/Requestor/Function/Resource"
FUNCTIONS_OUTSIDE_A_VPC = {
    "resource-policy": {BACKEND, REQUESTOR},
    "assume-role": {BACKEND, REQUESTOR},
    "http": {BACKEND, REQUESTOR},
    "private": {BACKEND},
    "private-assume-role-endpoints": {BACKEND},
    "lambda-authorizer": {BACKEND, REQUESTOR, AUTHORIZER},
    "org-rollout": {BACKEND},
}
FUNCTIONS_OUTSIDE_A_VPC |= {mode: FUNCTIONS_OUTSIDE_A_VPC[base] for mode, base in DOMAIN_BASE.items()}
# Control Tower's other acknowledged findings, by mode: (rule, construct, resource type).
# CT.APIGATEWAY.PR.6 asks a REST domain for TLS_1_2; the regional domain's policy is TLS 1.3 only.
OTHER_GUARD_ACKNOWLEDGMENTS = {
    "regional-domain": {("api_gw_domain_tls_check", "ApiStack/CustomDomain/DomainName/Resource", "AWS::ApiGateway::DomainName")}
}

CHECKOV_SKIPPED = {
    "AWS::Lambda::Function": {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_173"},
    "AWS::ApiGateway::Stage": {"CKV_AWS_120"},
    # A requestor in a VPC: its network-interface policy.
    "AWS::IAM::Policy": {"CKV_AWS_111"},
    # The invoker role: trusted by Principal '*' narrowed by conditions.
    "AWS::IAM::Role": {"CKV_AWS_60"},
}


@contextlib.contextmanager
def member_assembly_kept_in(directory: pathlib.Path) -> Iterator[None]:
    """The StackSet's member template is synthesized in an app of its own, in a
    temporary directory: kept in `directory`, with that app's validation report."""
    kept = types.SimpleNamespace(TemporaryDirectory=lambda: contextlib.nullcontext(str(directory)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(member_template, "tempfile", kept)
        yield


def synthesize_to(out_dir: pathlib.Path, mode: str, change: Callable[[BuiltStacks], None]) -> None:
    """A mode's app in `out_dir`, changed by `change` before it synthesizes (a planted finding)."""
    app = cdk_app.new_app(context=suite_context(**GATED_MODES[mode], **NO_BUNDLING), outdir=str(out_dir))
    stacks = cdk_app.build_stacks(app, cdk_app.load_config(app))
    change(stacks)
    app.synth()


@pytest.fixture(scope="module")
def gated() -> dict[str, SynthesizedApp]:
    """Each mode as the gates judge it (tests/gates.py)."""
    return {mode: synthesize(gated=True, **context) for mode, context in GATED_MODES.items()}


@pytest.fixture(scope="module")
def member_assembly(tmp_path_factory: pytest.TempPathFactory, gated: dict[str, SynthesizedApp]) -> pathlib.Path:
    """The organization rollout's member app, synthesized again where its report is kept."""
    directory = tmp_path_factory.mktemp("member-assembly")
    (rollout,) = [synth for synth in gated.values() if synth.config.org_rollout is not None]
    with member_assembly_kept_in(directory):
        member_template.member_template(rollout.config, rollout.stacks.api.node.get_all_context())
    return directory


@pytest.fixture(scope="module")
def assemblies(gated: dict[str, SynthesizedApp]) -> dict[str, pathlib.Path]:
    return {mode: synth.out_dir for mode, synth in gated.items()}


@pytest.fixture(scope="module")
def templates(gate_scans: Scans) -> dict[str, dict[str, Any]]:
    """Every mode's templates (and the member template) as the gates scan them, by `<mode>/<file>`."""
    return {name: template for name, template in gate_scans.templates.by_name.items() if of_a_mode(name)}


@pytest.fixture(scope="module")
def deployments(gated: dict[str, SynthesizedApp]) -> dict[str, Deployment]:
    return {mode: synth.deployment for mode, synth in gated.items()}


def reviewed(mode: str, deployment: Deployment) -> set[str]:
    apis = [
        logical_id
        for logical_id, resource in deployment.stacks["ApiStack"].template["Resources"].items()
        if resource["Type"] in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
    ]
    (api_logical_id,) = apis
    return acknowledged(mode, api_logical_id)


def plugin_reports(assembly: pathlib.Path) -> dict[str, dict[str, Any]]:
    reports = json.loads((assembly / "validation-report.json").read_text())["pluginReports"]
    return {report["pluginName"]: report for report in reports}


def nag_report(assembly: pathlib.Path) -> dict[str, Any]:
    return plugin_reports(assembly)[NAG_PLUGIN]


def guard_report(assembly: pathlib.Path) -> dict[str, Any]:
    return plugin_reports(assembly)[GUARD_PLUGIN]


@pytest.mark.parametrize("mode", GATED_MODES)
def test_cdk_nag_passes_with_no_unacknowledged_finding(assemblies: dict[str, pathlib.Path], mode: str) -> None:
    report = nag_report(assemblies[mode])
    assert (report["conclusion"], report["violations"]) == ("success", [])


def test_every_app_runs_cdk_nag_and_the_control_tower_controls_the_member_app_too(
    assemblies: dict[str, pathlib.Path], member_assembly: pathlib.Path
) -> None:
    for assembly in [*assemblies.values(), member_assembly]:
        assert sorted(plugin_reports(assembly)) == sorted([NAG_PLUGIN, GUARD_PLUGIN]), assembly


@pytest.mark.parametrize("mode", GATED_MODES)
def test_control_tower_controls_pass_with_no_unacknowledged_finding(assemblies: dict[str, pathlib.Path], mode: str) -> None:
    report = guard_report(assemblies[mode])
    assert (report["conclusion"], report["violations"]) == ("success", [])


def guard_acknowledged(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(rule, construct) of each acknowledged finding, made on the construct it concerns."""
    found = set()
    for finding in report.get("suppressedViolations", []):
        (violating,) = finding["violatingConstructs"]
        assert finding["acknowledgedAt"] == violating["constructPath"], finding
        found.add((finding["ruleName"], finding["acknowledgedAt"]))
    return found


@pytest.mark.parametrize("mode", GATED_MODES)
def test_control_tower_acknowledgments_are_exactly_the_functions_outside_a_vpc(
    assemblies: dict[str, pathlib.Path], mode: str
) -> None:
    expected = {(OUTSIDE_A_VPC, function) for function in FUNCTIONS_OUTSIDE_A_VPC[mode]}
    expected |= {(rule, construct) for rule, construct, _ in OTHER_GUARD_ACKNOWLEDGMENTS.get(mode, ())}
    assert guard_acknowledged(guard_report(assemblies[mode])) == expected


def test_the_member_templates_app_passes_both_plugins_with_only_the_requestor_outside_a_vpc(
    assemblies: dict[str, pathlib.Path], member_assembly: pathlib.Path
) -> None:
    reports = plugin_reports(member_assembly)
    assert [(r["conclusion"], r["violations"]) for r in reports.values()] == [("success", [])] * 2
    assert guard_acknowledged(reports[GUARD_PLUGIN]) == {(OUTSIDE_A_VPC, MEMBER_REQUESTOR)}


@pytest.mark.parametrize("mode", GATED_MODES)
def test_acknowledged_findings_are_exactly_the_reviewed_set(
    assemblies: dict[str, pathlib.Path], deployments: dict[str, Deployment], mode: str
) -> None:
    suppressed = nag_report(assemblies[mode])["suppressedViolations"]
    found = {
        as_deployed(finding["ruleName"], deployments[mode], finding["acknowledgedAt"].split("/")[0])
        for finding in suppressed
    }
    assert found == reviewed(mode, deployments[mode])


@pytest.mark.parametrize("mode", GATED_MODES)
def test_each_acknowledgment_is_on_a_resource_not_a_stack_and_has_a_reason(
    assemblies: dict[str, pathlib.Path], mode: str
) -> None:
    for report in plugin_reports(assemblies[mode]).values():
        for finding in report.get("suppressedViolations", []):
            assert finding["acknowledgedAt"].count("/") >= 1, finding["acknowledgedAt"]
            assert len(finding["reason"]) > 40, finding


def acknowledged_in_metadata(templates: dict[str, dict], mode: str, plugin: str) -> set[tuple[str, str, str]]:
    """(stack, resource type, acknowledgment id without the plugin's prefix), as cdk-nag
    records the acknowledgments of either plugin in the template metadata."""
    return {
        (name.split("/")[1].split(".")[0], resource["Type"], rule["id"].removeprefix(f"{plugin}::"))
        for name, template in templates.items()
        # A member template is checked in an app of its own (test_org_rollout).
        if name.startswith(f"{mode}/") and ".member." not in name
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["id"].startswith(f"{plugin}::")
    }


@pytest.mark.parametrize("mode", GATED_MODES)
def test_acknowledgments_are_written_beside_the_resources_for_auditors(
    templates: dict[str, dict], deployments: dict[str, Deployment], mode: str
) -> None:
    nag = {
        as_deployed(rule, deployments[mode], stack)
        for stack, _, rule in acknowledged_in_metadata(templates, mode, NAG_PLUGIN)
    }
    assert nag == reviewed(mode, deployments[mode])
    guard = acknowledged_in_metadata(templates, mode, GUARD_PLUGIN)
    expected = {(path.split("/")[0], "AWS::Lambda::Function", OUTSIDE_A_VPC) for path in FUNCTIONS_OUTSIDE_A_VPC[mode]}
    expected |= {(construct.split("/")[0], kind, rule) for rule, construct, kind in OTHER_GUARD_ACKNOWLEDGMENTS.get(mode, ())}
    assert guard == expected


def grant_s3(stacks: BuiltStacks) -> None:
    stacks.api.backend_function.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))


def add_a_log_group_without_a_key(stacks: BuiltStacks) -> None:
    logs.LogGroup(stacks.api, "Unencrypted", retention=logs.RetentionDays.ONE_YEAR)


def add_a_function_outside_a_vpc(stacks: BuiltStacks) -> None:
    """Beside the backend, whose acknowledgment must not cover it."""
    backend = stacks.api.backend_function.function
    lambda_.Function(stacks.api, "Another", runtime=backend.runtime, handler="index.handler", code=lambda_.Code.from_inline("x = 1"))


def test_a_new_finding_fails_synth(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_to(tmp_path, "resource-policy", change=grant_s3)
    assert [v["ruleName"] for v in nag_report(tmp_path)["violations"]] == ["AwsSolutions-IAM5[Action::s3:*]"]


@pytest.mark.parametrize(
    ("change", "findings"),
    [
        (add_a_log_group_without_a_key, {("cloudwatch_log_group_encrypted_check", "ApiStack/Unencrypted/Resource")}),
        # CDK gives the function a log group of its own, without a key.
        (
            add_a_function_outside_a_vpc,
            {
                (OUTSIDE_A_VPC, "ApiStack/Another/Resource"),
                ("cloudwatch_log_group_encrypted_check", "ApiStack/Another/LogGroup/Resource"),
            },
        ),
    ],
)
def test_a_new_control_tower_finding_fails_synth_beside_the_acknowledged_ones(
    tmp_path: pathlib.Path, change: Callable[[BuiltStacks], None], findings: set[tuple[str, str]]
) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_to(tmp_path, "resource-policy", change=change)
    report = guard_report(tmp_path)
    found = {
        (violation["ruleName"], construct["constructPath"])
        for violation in report["violations"]
        for construct in violation["violatingConstructs"]
    }
    assert (report["conclusion"], found) == ("failure", findings)
    assert guard_acknowledged(report) == {(OUTSIDE_A_VPC, function) for function in FUNCTIONS_OUTSIDE_A_VPC["resource-policy"]}


def test_control_tower_rules_chosen_by_resource_type_find_what_every_rule_finds(gate_scans: Scans) -> None:
    """cfn-guard on every mode's templates and a template of a type the app does not
    create (an unencrypted queue): the same findings with the rules ControlTowerChecks
    chooses (rules_that_cannot_apply left out) as with every rule of the package."""
    findings = gate_scans.control_tower
    assert findings["chosen rules"] == findings["every rule"]
    assert findings["every rule"][str(gate_scans.queue)], "the queue's rules ran"
    assert sum(map(len, findings["every rule"].values())) > 1, "the functions outside a VPC are found too"
    assert len(findings["every rule"]) == len(gate_scans.guarded)
    # Most rules were left out.
    assert len(gate_scans.rules_left_out) > len(rule_resource_types()) / 2


def test_a_rule_runs_when_any_resource_type_it_names_is_present() -> None:
    rules = rule_resource_types()
    assert len(rules) == len(CfnGuardValidator().rule_ids)
    for rule, named in rules.items():
        assert named, f"{rule} names no resource type: it would never run"
        assert rule not in rules_that_cannot_apply({sorted(named)[-1]})
        assert rule in rules_that_cannot_apply(set()), rule


def test_the_plugin_alone_lets_findings_through_once_one_is_acknowledged(tmp_path: pathlib.Path) -> None:
    """Why the app wraps CfnGuardValidator (stacks/shared/compliance.py ControlTowerChecks):
    its findings carry no severity, and CDK counts what is left after an acknowledgment
    by severity. When this test fails, a new CDK or plugin has fixed it."""
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    cdk.Validations.of(app).add_plugins(CfnGuardValidator())
    stack = cdk.Stack(app, "Stack")
    acknowledged = logs.LogGroup(stack, "Acknowledged", retention=logs.RetentionDays.ONE_YEAR)
    logs.LogGroup(stack, "NotAcknowledged", retention=logs.RetentionDays.ONE_YEAR)
    cdk.Validations.of(acknowledged).acknowledge(
        cdk.Acknowledgment(id=f"{GUARD_PLUGIN}::cloudwatch_log_group_encrypted_check", reason="only one of the two")
    )
    app.synth()  # does not raise
    report = guard_report(tmp_path)
    assert report["conclusion"] == "success"
    assert [construct["constructPath"] for v in report["violations"] for construct in v["violatingConstructs"]] == [
        "Stack/NotAcknowledged/Resource"
    ]


def test_checkov_skips_are_exactly_the_reviewed_set_each_with_a_reason(templates: dict[str, dict]) -> None:
    skipped: dict[str, set[str]] = {}
    for template in templates.values():
        for resource in template["Resources"].values():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip["comment"]) > 40, skip
                skipped.setdefault(resource["Type"], set()).add(skip["id"])
    assert skipped == CHECKOV_SKIPPED


def test_checkov_finds_nothing_in_any_template(gate_scans: Scans, templates: dict[str, dict]) -> None:
    assert CHECKOV.exists(), "checkov is not installed: `make test` installs it into .venv-checkov"
    report = gate_scans.checkov
    assert gate_scans.checkov_failures(of_a_mode) == []
    # It read every template: each distinct one once.
    distinct = {gate_scans.templates.digest_of[name]: template for name, template in gate_scans.templates.by_name.items()}
    assert report["summary"]["resource_count"] == sum(len(t["Resources"]) for t in distinct.values())
    skipped = {
        check["check_id"]
        for check in report["results"]["skipped_checks"]
        if any(of_a_mode(name) for name in gate_scans.templates.names_of(check["file_path"]))
    }
    assert skipped == set().union(*CHECKOV_SKIPPED.values())


def test_cfn_lint_with_no_check_ignored_finds_nothing_in_any_template(gate_scans: Scans, templates: dict[str, dict]) -> None:
    expected = [
        f"{mode}/{stack}.template.json" for mode in GATED_MODES for stack in STACKS.get(mode, ["ApiStack", CLIENT_STACK])
    ]
    assert sorted(templates) == sorted(expected)
    assert {name: found for name, found in gate_scans.cfn_lint.items() if of_a_mode(name)} == {}


@pytest.fixture(scope="module")
def deployed_stacks(deployments: dict[str, Deployment]) -> list[DeployedStack]:
    """Every stack of every mode as CloudFormation deploys it (references and pseudo
    parameters resolved), with the StackSet's instance in a member account."""
    stacks = [
        DeployedStack(f"{mode}/{name}", stack.account, stack.region, deployment.template(name))
        for mode, deployment in deployments.items()
        for name, stack in deployment.stacks.items()
    ]
    member_account = TEST_CONFIGURATION["client_accounts"][0]
    for mode, deployment in deployments.items():
        if "ClientStackSet" in deployment.stacks:
            instance = deployment.stack_set_instance("ClientStackSet", member_account)
            stacks.append(DeployedStack(f"{mode}/member", member_account, TEST_CONFIGURATION["api_region"], instance))
    return stacks


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def log_groups(deployed_stacks: list[DeployedStack]) -> list[tuple[DeployedStack, dict[str, Any]]]:
    found = [(stack, group) for stack in deployed_stacks for group in of_type(stack.template, "AWS::Logs::LogGroup").values()]
    # In every mode the backend's, the access logs and the requestor's (with the
    # organization rollout, the StackSet instance's); and the central authorizer's.
    assert len(found) == 3 * len(GATED_MODES) + 1
    return found


def logs_key(stack: DeployedStack, group: dict[str, Any]) -> dict[str, Any]:
    """The key a log group is encrypted with: a key of its own stack."""
    key_id, attribute = group["Properties"]["KmsKeyId"]["Fn::GetAtt"]
    key = stack.template["Resources"][key_id]
    assert (key["Type"], attribute) == ("AWS::KMS::Key", "Arn"), stack.name
    return key


def test_every_log_group_is_encrypted_with_the_one_key_of_its_stack(deployed_stacks: list[DeployedStack]) -> None:
    for stack in deployed_stacks:
        groups = of_type(stack.template, "AWS::Logs::LogGroup").values()
        keys = {group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0] for group in groups}
        assert len(keys) == (1 if groups else 0), stack.name
        assert len(of_type(stack.template, "AWS::KMS::Key")) == len(keys), stack.name
    for stack, group in log_groups(deployed_stacks):
        logs_key(stack, group)


def test_each_stacks_key_admits_only_cloudwatch_logs_of_its_account_and_region(
    deployed_stacks: list[DeployedStack],
) -> None:
    for stack, group in log_groups(deployed_stacks):
        statements = logs_key(stack, group)["Properties"]["KeyPolicy"]["Statement"]
        # AWS's default statement: the key's own account governs it with IAM policies.
        assert statements[0] == {
            "Action": "kms:*",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{stack.partition}:iam::{stack.account}:root"},
            "Resource": "*",
        }, stack.name
        # Where the stack has an alarm topic, CloudWatch may encrypt its alarms' messages
        # (tests/test_operations.py checks that statement).
        statements = [s for s in statements if s.get("Principal") != {"Service": "cloudwatch.amazonaws.com"}]
        assert statements[1:] == [
            {
                "Sid": "CloudWatchLogsOfThisAccountAndRegion",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{stack.region}.{stack.url_suffix}"},
                "Action": sorted(CLOUDWATCH_LOGS_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                    }
                },
            },
            {
                "Sid": "GrantsOnlyForAwsServices",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
            },
        ], stack.name


def test_each_logs_key_rotates_its_material(deployed_stacks: list[DeployedStack]) -> None:
    for stack, group in log_groups(deployed_stacks):
        key = logs_key(stack, group)
        assert key["Properties"]["EnableKeyRotation"] is True, stack.name
        assert "KeySpec" not in key["Properties"], stack.name  # symmetric: the only kind CloudWatch Logs uses


def test_every_log_group_is_kept_at_least_a_year_and_a_retained_one_keeps_its_key(
    deployed_stacks: list[DeployedStack],
) -> None:
    for stack, group in log_groups(deployed_stacks):
        assert group["Properties"]["RetentionInDays"] >= 365, stack.name
        if group["DeletionPolicy"] == "Retain":
            # Retained logs could not be read once their key is deleted.
            assert logs_key(stack, group)["DeletionPolicy"] == "Retain", stack.name


def test_api_gateways_permissions_to_invoke_a_function_name_the_apis_account_and_its_arn(
    deployed_stacks: list[DeployedStack],
) -> None:
    permissions = [
        (stack, permission["Properties"])
        for stack in deployed_stacks
        for permission in of_type(stack.template, "AWS::Lambda::Permission").values()
    ]
    assert len(permissions) == len(GATED_MODES) * len(SERVICE.routes) + 1  # and the central authorizer's
    api_arn = f"arn:aws:execute-api:eu-west-1:{TEST_CONFIGURATION['api_account']}:{DEPLOYED_API_ID}/"
    for stack, permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com", stack.name
        assert permission["SourceAccount"] == TEST_CONFIGURATION["api_account"], stack.name
        # The API's stage, a reference in ApiStack, is written <logical id>.
        assert nag_name(permission["SourceArn"]).startswith(api_arn), stack.name


def is_the_default_key_statement(statement: dict[str, Any]) -> bool:
    """AWS's default key policy statement (kms:* for the key's own account), which
    hands the key's access control to the account's IAM policies."""
    principal = statement.get("Principal")
    principal = principal.get("AWS") if isinstance(principal, dict) else principal
    root = re.fullmatch(r"arn:aws:iam::[0-9]{12}:root", principal) if isinstance(principal, str) else None
    pseudo = principal == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    shape = {key: value for key, value in statement.items() if key != "Principal"}
    return bool(root or pseudo) and shape == {"Action": "kms:*", "Effect": "Allow", "Resource": "*"}


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
                if is_the_default_key_statement(statement):
                    continue
                action = statement["Action"]
                actions += action if isinstance(action, list) else [action]
    assert {"execute-api:Invoke", "sts:AssumeRole"} <= set(actions)
    assert [action for action in actions if "*" in action] == []
