"""client_org_units: the StackSet that rolls the client side out to OUs, its member
template (the same ClientStack, inline code, no bootstrap), and the guard (an SCP)
that makes admission by organization safe, checked by an IAM policy evaluator."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template
from cfnlint.api import ManualArgs, lint

from stacks.config import ConfigError
from stacks.org.guard_stack import PROTECTED_ACTIONS, PROTECTED_FUNCTION_ACTIONS, PROTECTED_STACK_ACTIONS, guard_policy
from stacks.org.member_template import TEMPLATE_BODY_LIMIT
from stacks.shared.python_function import inline_source
from tests.callers import REQUESTOR
from tests.conftest import SERVICES, config_from, synthesize
from tests.deploy_time import DEPLOYED_API_ID
from tests.gateway_double import HEALTH_REQUEST, GatewayDouble, echo_backend

from tests.iam import Policy, local_check_authorization_full, role

# AWS Organizations' limit on a service control policy's document.
SCP_SIZE_LIMIT = 5120
ROLLOUT = {
    "client_accounts": None,
    "org_id": "o-a1b2c3d4e5",
    "client_org_units": "ou-ab12-cdefgh34,ou-ab12-ijklmn56",
    "stackset_account": "111122223333",
    "policy_account": "222233334444",
}


@pytest.fixture(scope="module", params=sorted(SERVICES))
def stacks(request: pytest.FixtureRequest) -> dict[str, Any]:
    context, service = SERVICES[request.param]
    synth = synthesize(service=service, gated=True, **context, **ROLLOUT)
    built = synth.stacks
    stackset = built.stack_set
    return {
        "client_stacks": built.clients,
        "stackset": Template.from_stack(stackset),
        "member": stackset.template,
        # As the instance in a member account gets it, and the same client account
        # deployed one by one, for the comparison.
        "instance": synth.deployment.stack_set_instance("ClientStackSet", "444455556666"),
        "client": synthesize(service=service, **context).deployed_client.to_json(),
        "names": synth.config.names,
        "routes": synth.config.service.routes,
        "guard": Template.from_stack(built.guard),
        "guard_stack": built.guard,
        "stackset_stack": stackset,
        "api_stack": built.api,
    }


def test_a_service_managed_stackset_deploys_to_the_ous_automatically(stacks: dict[str, Any]) -> None:
    stacks["stackset"].has_resource_properties(
        "AWS::CloudFormation::StackSet",
        {
            "StackSetName": stacks["names"].stack_set,
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "CallAs": "SELF",
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "ManagedExecution": {"Active": True},
            "OperationPreferences": {
                "MaxConcurrentPercentage": 25,
                "FailureTolerancePercentage": 0,
                # Else strict mode caps concurrency at the failure tolerance plus one.
                "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
                "RegionConcurrencyType": "PARALLEL",
            },
            "StackInstancesGroup": [
                {
                    "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"]},
                    "Regions": ["eu-west-1"],
                }
            ],
        },
    )


def test_the_stackset_lives_in_the_stackset_account_and_the_guard_with_organizations(stacks: dict[str, Any]) -> None:
    assert (stacks["stackset_stack"].account, stacks["stackset_stack"].region) == ("111122223333", "eu-west-1")
    assert (stacks["guard_stack"].account, stacks["guard_stack"].region) == ("222233334444", "us-east-1")


def test_the_stackset_is_the_client_side_and_comes_after_the_guard(stacks: dict[str, Any]) -> None:
    assert stacks["client_stacks"] == []  # a ClientStack would run as CDK's role, which the guard denies
    assert stacks["guard_stack"] in stacks["stackset_stack"].dependencies
    # ... and before the API admits the OUs' accounts by the role's name.
    assert stacks["guard_stack"] in stacks["api_stack"].dependencies


def test_the_api_admits_exactly_the_accounts_of_the_ous(stacks: dict[str, Any]) -> None:
    (api,) = Template.from_stack(stacks["api_stack"]).find_resources("AWS::ApiGateway::RestApi").values()
    statements = {s["Sid"]: s for s in api["Properties"]["Policy"]["Statement"]}
    paths = ["o-a1b2c3d4e5/*/ou-ab12-cdefgh34/*", "o-a1b2c3d4e5/*/ou-ab12-ijklmn56/*"]
    assert statements["AllowAdmittedPrincipals"]["Condition"]["ForAnyValue:StringLike"] == {"aws:PrincipalOrgPaths": paths}
    # ... and no other: the API account's own principals need only one Allow.
    assert statements["DenyOutsideTheOrgPaths"]["Condition"] == {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": paths}}


def test_the_member_template_is_the_stacksets_body(stacks: dict[str, Any]) -> None:
    (stackset,) = stacks["stackset"].find_resources("AWS::CloudFormation::StackSet").values()
    assert json.loads(stackset["Properties"]["TemplateBody"]) == stacks["member"]


def test_the_member_template_needs_no_bootstrap_and_fits_inline(stacks: dict[str, Any]) -> None:
    member = stacks["member"]
    assert "Rules" not in member  # no BootstrapVersion check
    assert member["Parameters"] == {
        "ApiId": {
            "Type": "String",
            "AllowedPattern": "[a-z0-9]{10}",
            "ConstraintDescription": "the API's 10 lowercase letters and digits",
            "Description": f"The {stacks['names'].title} API's id (ApiStack's ApiId output), set by the StackSet",
        }
    }
    assert "S3Bucket" not in json.dumps(member)  # no asset
    (function,) = [r for r in member["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    # Every module of lambda_src/requestor/, in the one file that inline code can be.
    assert function["Properties"]["Code"]["ZipFile"] == inline_source("requestor")
    assert function["Properties"]["Handler"] == "index.handler"
    # The name the guard protects, like the role's.
    assert function["Properties"]["FunctionName"] == stacks["names"].requestor_role
    assert len(json.dumps(member, separators=(",", ":"))) < TEMPLATE_BODY_LIMIT


def test_the_inline_code_runs_as_lambda_runs_it_and_signs_its_calls(stacks: dict[str, Any], tmp_path: pathlib.Path) -> None:
    """index.py alone in a directory, imported by a fresh interpreter as Lambda imports
    `index.handler`, calling the gateway double, which verifies the signature."""
    (function,) = [r for r in stacks["member"]["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    (tmp_path / "index.py").write_text(function["Properties"]["Code"]["ZipFile"])
    call = f"import json, index; print(json.dumps(index.handler({HEALTH_REQUEST!r}, None)))"
    with GatewayDouble(region="eu-west-1", stage="prod", callers=[REQUESTOR], backend=echo_backend) as double:
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",
            "API_URL": double.url,
            "API_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": REQUESTOR.access_key,
            "AWS_SECRET_ACCESS_KEY": REQUESTOR.secret_key,
            "AWS_SESSION_TOKEN": REQUESTOR.session_token or "",
        }
        finished = subprocess.run(
            [sys.executable, "-c", call], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
        )
    assert finished.returncode == 0, finished.stderr
    result = json.loads(finished.stdout)
    assert (result["ok"], result["statusCode"]) == (True, 200), result
    assert result["body"]["principal"] == REQUESTOR.principal_arn  # the double verified the signature


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_the_stackset_hands_its_instances_the_api_id_it_reads_from_api_stack(stacks: dict[str, Any]) -> None:
    (stackset,) = stacks["stackset"].find_resources("AWS::CloudFormation::StackSet").values()
    (parameter,) = stackset["Properties"]["Parameters"]
    assert parameter["ParameterKey"] == "ApiId"
    assert set(parameter["ParameterValue"]) == {"Fn::GetStackOutput"}
    (function,) = of_type(stacks["instance"], "AWS::Lambda::Function")
    assert function["Environment"]["Variables"]["API_URL"] == f"https://{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com/prod"


def test_the_member_template_is_the_client_stack_built_by_the_same_code(stacks: dict[str, Any]) -> None:
    member, client = stacks["instance"], stacks["client"]
    (role,), (client_role,) = of_type(member, "AWS::IAM::Role"), of_type(client, "AWS::IAM::Role")
    assert role == client_role
    assert of_type(member, "AWS::IAM::Policy") == of_type(client, "AWS::IAM::Policy")
    (function,), (client_function,) = of_type(member, "AWS::Lambda::Function"), of_type(client, "AWS::Lambda::Function")
    differ = {"Code", "Handler", "FunctionName"}
    assert {k: v for k, v in function.items() if k not in differ} == {k: v for k, v in client_function.items() if k not in differ}


def test_the_member_template_acknowledges_only_the_reviewed_findings(
    stacks: dict[str, Any],
) -> None:
    acknowledged = {
        rule["id"]
        for resource in stacks["member"]["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    # The API's id is the instance's parameter.
    path_parameters = {
        f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:execute-api:eu-west-1:111122223333:<ApiId>/prod/{route.arn_suffix}]"
        for route in stacks["routes"]
        if "*" in route.arn_suffix
    }
    assert path_parameters and acknowledged == {
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        *path_parameters,
        # Control Tower's CT.LAMBDA.PR.3: the requestor of a public API runs outside a VPC.
        "cdk-validator-cfnguard::lambda_inside_vpc_check",
    }


def test_cfn_lint_finds_nothing_in_the_member_template(stacks: dict[str, Any]) -> None:
    assert [str(m) for m in lint(json.dumps(stacks["member"]), config=ManualArgs(regions=["eu-west-1"]))] == []


def guard_statements(stacks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (policy,) = stacks["guard"].find_resources("AWS::Organizations::Policy").values()
    assert (policy["Properties"]["Type"], policy["Properties"]["TargetIds"]) == (
        "SERVICE_CONTROL_POLICY",
        ["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"],
    )
    return {s["Sid"]: s for s in policy["Properties"]["Content"]["Statement"]}


EXCEPT_STACKSETS = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/stacksets-exec-*"}}


@pytest.mark.parametrize("group", sorted(PROTECTED_ACTIONS))
def test_the_guard_denies_each_way_to_take_the_role(stacks: dict[str, Any], group: str) -> None:
    assert guard_statements(stacks)[group] == {
        "Sid": group,
        "Effect": "Deny",
        "Action": PROTECTED_ACTIONS[group],
        "Resource": f"arn:aws:iam::*:role/*{stacks['names'].requestor_role_prefix}-*",
        "Condition": EXCEPT_STACKSETS,
    }


def test_the_guard_denies_changing_the_function_that_runs_as_the_role(stacks: dict[str, Any]) -> None:
    assert guard_statements(stacks)["ChangeTheFunction"] == {
        "Sid": "ChangeTheFunction",
        "Effect": "Deny",
        "Action": PROTECTED_FUNCTION_ACTIONS,
        "Resource": f"arn:aws:lambda:*:*:function:{stacks['names'].requestor_role_prefix}-*",
        "Condition": EXCEPT_STACKSETS,
    }


def test_the_stacksets_execution_role_is_the_only_exception(stacks: dict[str, Any]) -> None:
    statements = guard_statements(stacks)
    excepted = {sid for sid, s in statements.items() if "Condition" in s}
    assert excepted == set(PROTECTED_ACTIONS) | {"ChangeTheFunction", "ChangeTheStackSetsInstanceStacks"}
    assert {json.dumps(statements[sid]["Condition"]) for sid in excepted} == {json.dumps(EXCEPT_STACKSETS)}
    assert {s["Effect"] for s in statements.values()} == {"Deny"}


def test_nobody_may_make_or_change_a_role_named_like_the_exception(stacks: dict[str, Any]) -> None:
    protect = guard_statements(stacks)["ProtectTheStackSetsExecutionRole"]
    assert protect["Resource"] == "arn:aws:iam::*:role/*stacksets-exec-*" and "Condition" not in protect
    assert set(protect["Action"]) == {action for actions in PROTECTED_ACTIONS.values() for action in actions}


def test_nobody_in_the_ous_may_assume_a_role_named_like_the_exception(stacks: dict[str, Any]) -> None:
    # One made before the guard, or before its account joined, would be exempt too.
    assume = guard_statements(stacks)["AssumeTheStackSetsExecutionRole"]
    assert assume == {
        "Sid": "AssumeTheStackSetsExecutionRole",
        "Effect": "Deny",
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Resource": "arn:aws:iam::*:role/*stacksets-exec-*",
    }


def test_only_the_execution_role_may_change_the_stacksets_instance_stacks(stacks: dict[str, Any]) -> None:
    change = guard_statements(stacks)["ChangeTheStackSetsInstanceStacks"]
    assert change["Resource"] == f"arn:aws:cloudformation:*:*:stack/StackSet-{stacks['names'].stack_set}-*"
    assert change["Condition"] == EXCEPT_STACKSETS
    assert set(change["Action"]) == set(PROTECTED_STACK_ACTIONS)
    assert {"cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:ExecuteChangeSet"} <= set(
        change["Action"]
    )


def test_the_guard_fits_an_scp_with_the_longest_names() -> None:
    longest = config_from(**ROLLOUT, service_name="s" * 24, stage="x" * 10, api_region="ap-southeast-4").names
    policy = guard_policy("aws-us-gov", longest.requestor_role_prefix, longest.stack_set)
    assert len(json.dumps(policy, separators=(",", ":"))) <= SCP_SIZE_LIMIT


FULL_AWS_ACCESS = Policy(
    "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
    "FullAWSAccess",
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
)
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


@pytest.mark.parametrize(
    ("principal", "action", "resource", "allowed"),
    [
        ("role/Admin", "iam:CreateRole", "role/<prefix>-x", False),
        ("role/Admin", "iam:UpdateAssumeRolePolicy", "role/<requestor>", False),
        ("role/Admin", "iam:PassRole", "role/<requestor>", False),
        ("role/stacksets-exec-0123456789abcdef", "iam:CreateRole", "role/<prefix>-x", True),
        ("role/stacksets-exec-0123456789abcdef", "iam:PassRole", "role/<requestor>", True),
        ("role/Admin", "iam:CreateRole", "role/some-other-role", True),  # the guard touches nothing else
        ("role/Admin", "iam:CreateRole", "role/team/<prefix>-x", False),  # under a path too
        # Forging the exception: a role of the execution role's name, or changing the real one.
        ("role/Admin", "iam:CreateRole", "role/stacksets-exec-pwn", False),
        ("role/Admin", "iam:UpdateAssumeRolePolicy", "role/stacksets-exec-0123456789abcdef", False),
        ("role/Admin", "iam:AttachRolePolicy", "role/stacksets-exec-0123456789abcdef", False),
        # A role of that name made before the guard cannot be assumed from inside the OUs.
        ("role/Admin", "sts:AssumeRole", "role/stacksets-exec-0123456789abcdef", False),
        ("role/Admin", "sts:AssumeRole", "role/some-other-role", True),
        # The StackSet's instance stacks change only through the StackSet.
        ("role/Admin", "cloudformation:UpdateStack", "<instance stack>", False),
        ("role/Admin", "cloudformation:DeleteStack", "<instance stack>", False),
        ("role/stacksets-exec-0123456789abcdef", "cloudformation:UpdateStack", "<instance stack>", True),
        # Nor can the role be moved out of it into a stack of one's own by a refactor.
        ("role/Admin", "cloudformation:CreateStackRefactor", "<instance stack>", False),
        ("role/Admin", "cloudformation:ExecuteStackRefactor", "<instance stack>", False),
        ("role/Admin", "cloudformation:UpdateStack", "arn:aws:cloudformation:eu-west-1:444455556666:stack/team-app/1", True),
    ],
)
def test_an_iam_evaluator_agrees_only_the_stackset_may_make_the_role(
    stacks: dict[str, Any], principal: str, action: str, resource: str, allowed: bool
) -> None:
    (policy,) = stacks["guard"].find_resources("AWS::Organizations::Policy").values()
    guard = Policy("arn:aws:organizations::222233334444:policy/o-a1b2c3d4e5/service_control_policy/p-guard", "guard", policy["Properties"]["Content"])
    names = stacks["names"]
    instance_stack = f"arn:aws:cloudformation:eu-west-1:444455556666:stack/StackSet-{names.stack_set}-0a1b2c3d/e5f6"
    resource = resource.replace("<prefix>", names.requestor_role_prefix).replace("<requestor>", names.requestor_role)
    resource = instance_stack if resource == "<instance stack>" else resource
    arn = f"arn:aws:iam::444455556666:{principal}"
    caller = role(arn, ADMIN, trust=TRUST, admin=True)
    resource_arn = resource if resource.startswith("arn:") else f"arn:aws:iam::444455556666:{resource}"
    decision = local_check_authorization_full(
        caller, action, resource_arn, {}, service_control_policy_groups=[[FULL_AWS_ACCESS, guard]]
    )
    assert decision is allowed


def test_org_id_without_the_guard_warns_of_the_risk() -> None:
    synth = synthesize(org_id="o-a1b2c3d4e5")
    Annotations.from_stack(synth.api_stack).has_warning(
        "/ApiStack", Match.string_like_regexp("^org_id admits the requestor role by its name in every account")
    )


def test_with_the_rollout_there_is_no_such_warning(stacks: dict[str, Any]) -> None:
    assert Annotations.from_stack(stacks["api_stack"]).find_warning("*", Match.any_value()) == []


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({**ROLLOUT, "client_org_units": "ou-x"}, "client_org_units", "an organizational unit id"),
        ({**ROLLOUT, "client_org_units": json.dumps(["ou-ab12-cdefgh34\n"])}, "client_org_units", "an organizational unit id"),
        ({**ROLLOUT, "org_id": None}, "org_id", "client_org_units needs context keys that are not set: 'org_id' (the"),
        ({**ROLLOUT, "stackset_account": None}, "stackset_account", "needs context keys that are not set: 'stackset_account'"),
        ({**ROLLOUT, "stackset_call_as": "ADMIN"}, "stackset_call_as", "one of SELF, DELEGATED_ADMIN"),
        ({**ROLLOUT, "stackset_max_concurrent_percentage": "150"}, "stackset_max_concurrent_percentage", "at most 100"),
        ({**ROLLOUT, "client_org_units": "r-ab12"}, "client_org_units", "an organizational unit id"),
        ({**ROLLOUT, "org_paths": "o-a1b2c3d4e5/r-ab12/*"}, "org_paths", "the API admits exactly those OUs"),
        ({**ROLLOUT, "allowed_principal_arns": "arn:aws:iam::*:role/orders-*"}, "allowed_principal_arns", "its 12-digit id"),
        # The stage names the StackSet, whose names allow no underscore.
        ({**ROLLOUT, "stage": "my_stage"}, "stage", "letters, digits and '-' only"),
        ({**ROLLOUT, "api_region": "us-iso-east-1", "client_region": None}, "api_region", "aws-us-gov partitions"),
        ({"stackset_account": "111122223333"}, "stackset_account", "no value unless client_org_units is set"),
        (
            {**ROLLOUT, "endpoint_type": "private", "client_vpc_ids": "vpc-0a1b2c3d4e5f67890", "client_subnet_ids": "subnet-0a1b2c3d4e5f67890"},
            "client_org_units",
            "each account needs its own VPC settings",
        ),
    ],
)
def test_bad_rollout_settings_name_the_key(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    assert raised.value.key == key
    assert expected in str(raised.value)


def test_the_rollouts_missing_keys_are_named_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(client_accounts=None, client_org_units="ou-ab12-cdefgh34")
    assert str(raised.value) == (
        "client_org_units needs context keys that are not set: 'org_id' (the AWS Organizations id of the OUs, such as "
        "o-a1b2c3d4e5: the API admits their accounts through it); 'stackset_account' (where ClientStackSet is deployed: "
        "the management account or a delegated StackSets administrator). Set them in cdk.json or pass -c key=<value>."
    )


def test_the_stackset_finds_the_client_accounts_so_none_need_listing() -> None:
    config = config_from(**ROLLOUT)
    assert (config.client_accounts, config.org_rollout.org_units) == ((), ("ou-ab12-cdefgh34", "ou-ab12-ijklmn56"))


def test_listed_client_accounts_are_refused_rather_than_ignored() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**{**ROLLOUT, "client_accounts": "444455556666"})
    assert str(raised.value) == (
        "context key 'client_accounts' is '444455556666': expected no value with client_org_units: the StackSet deploys "
        "a requestor to every account of those OUs and the API admits exactly them. Remove client_accounts; or, to "
        "deploy to the listed accounts one by one, remove client_org_units and the stackset_ and policy_account keys "
        "instead. Remove it from cdk.json (or the -c client_accounts=... argument)."
    )


def test_the_guard_is_managed_in_the_organizations_region_of_the_partition() -> None:
    assert config_from(**ROLLOUT).org_rollout.policy_region == "us-east-1"
    china = config_from(**ROLLOUT, api_region="cn-north-1", client_region=None, api_account="111122223333")
    assert china.org_rollout.policy_region == "cn-northwest-1"


def test_a_failure_tolerance_of_zero_stops_at_the_first_failed_account() -> None:
    assert config_from(**ROLLOUT, stackset_failure_tolerance_percentage="0").org_rollout.failure_tolerance_percentage == 0
