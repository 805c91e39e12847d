"""The app's validation plugins, cdk-nag's AWS Solutions checks and AWS Control Tower's
proactive controls (cfn-guard), and the one way to acknowledge a finding of either: on
the narrowest construct, with the reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import aws_cdk as cdk
import cdk_nag
import jsii
from constructs import IConstruct, IValidation

from stacks.routes import Route
from stacks.shared.control_tower import ControlTowerChecks

# Why a function runs outside a VPC (checkov's CKV_AWS_117, Control Tower's CT.LAMBDA.PR.3).
# A requestor of a private API runs in its VPC and is not acknowledged.
OUTSIDE_A_VPC = (
    "Reaches only public AWS endpoints (execute-api, STS) or nothing at all: the backend is invoked by API Gateway "
    "and calls nothing; a VPC would add NAT or endpoint cost and cold-start time without narrowing who may call "
    "it, which IAM already controls."
)
# checkov findings that are deliberate, by check id, with the reason a reviewer reads.
FUNCTION_CHOICES = {
    "CKV_AWS_116": "Invoked synchronously (by API Gateway or a direct invoke) and the caller gets the error; "
    "a dead-letter queue only receives failed asynchronous invocations.",
    "CKV_AWS_117": OUTSIDE_A_VPC,
    "CKV_AWS_115": "Bounded by the API stage's throttling instead: reserved concurrency would fail to deploy "
    "in new accounts whose concurrency limit is 10.",
    "CKV_AWS_173": "The environment holds no secrets, only the API's URL and region and role names; Lambda "
    "encrypts it at rest with its own key.",
}
NETWORK_INTERFACES = {
    "CKV_AWS_111": "Lambda creates and deletes the network interfaces of a function in a VPC under its role, "
    "and checks these EC2 actions when the function is created; AWS's AWSLambdaVPCAccessExecutionRole grants "
    "them on '*' too, and the Describe actions support no resource-level permissions.",
}
TRUSTED_BY_CONDITIONS = {
    "CKV_AWS_60": "Principal '*' is narrowed by its conditions, which IAM evaluates and checkov does not read: "
    "the requestor role's name (aws:PrincipalArn) in the listed accounts (aws:PrincipalAccount) or the "
    "organization (aws:PrincipalOrgID), and session names that start with the caller's account. Each account "
    "is written once, so that about a hundred fit IAM's 2048-character trust policy.",
}
STAGE_CACHE = {
    "CKV_AWS_120": "No caching: answers depend on the signed caller, and a cache would serve one caller's "
    "answer to another.",
}

# The Control Tower plugin's name, which prefixes the ids of its acknowledgments.
GUARD_PLUGIN = "cdk-validator-cfnguard"


def attach_security_checks(app: cdk.App) -> None:
    """Make synth fail on any finding of cdk-nag's AwsSolutions pack or of AWS Control
    Tower's proactive controls that is neither fixed nor acknowledged.

    Acknowledgments (of either) are also written into the template metadata (cdk-nag's
    `cdk_nag.rules_to_suppress`), so an auditor reads each one with its reason beside
    the resource. The proactive controls run offline: the package bundles the rules
    and the cfn-guard binary.
    """
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True),
        ControlTowerChecks(),
    )


def record_acknowledgments(stage: cdk.Stage) -> None:
    """The template record of acknowledgments in a stage's stacks too: CDK applies the
    app's aspects, cdk-nag's among them, to the stacks of the app only, not of its stages."""
    cdk.Aspects.of(stage).add(cdk_nag.WriteNagSuppressionsToCloudFormationAspect())


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding, e.g. "COG4" or "IAM5[Resource::*]", on `scope`."""
    cdk.Validations.of(scope).acknowledge(
        cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-{finding}", reason=reason)
    )


def acknowledge_guard(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding of Control Tower's proactive controls on the CloudFormation
    resource of `scope`, by the rule's name as the report gives it, e.g.
    "lambda_inside_vpc_check" (CT.LAMBDA.PR.3). cdk-nag's record of acknowledgments in
    the template metadata (`cdk_nag.rules_to_suppress`) lists it too, by its full id."""
    cdk.Validations.of(_resource_of(scope)).acknowledge(cdk.Acknowledgment(id=f"{GUARD_PLUGIN}::{rule}", reason=reason))


def acknowledge_path_parameters(role: IConstruct, routes: Sequence[Route], arn_of: Callable[[Route], str]) -> None:
    """Acknowledge IAM5 on `role` for each route whose execute-api ARN (`arn_of(route)`)
    has a `*` for a path parameter.

    cdk-nag names the finding by the ARN as the template writes it, and an ARN that
    holds the API's id as a reference to ApiStack is written only once CDK has
    resolved references, after the constructs are built. So the acknowledgment is made
    then: in a validation of the role, which CDK runs after resolving references and
    before the validation plugins."""
    arns = {route: arn_of(route) for route in routes if "*" in route.arn_suffix}
    if arns:
        role.node.add_validation(_AcknowledgePathParameters(role, arns))


@jsii.implements(IValidation)
class _AcknowledgePathParameters:
    def __init__(self, role: IConstruct, arns: dict[Route, str]) -> None:
        self._role = role
        self._arns = arns

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._role)
        for route, arn in self._arns.items():
            acknowledge(
                self._role,
                f"IAM5[Resource::{nag_name(stack.resolve(arn))}]",
                f"The '*' stands for the path parameter of {route.method} {route.path}, on this API's stage only.",
            )
        # The template's record of acknowledgments was written before these were made.
        record = cdk_nag.WriteNagSuppressionsToCloudFormationAspect()
        for construct in self._role.node.find_all():
            record.visit(construct)
        return []


def nag_name(value: Any) -> str:
    """A resolved template value as cdk-nag names it in a finding (its
    flattenCfnReference): Fn::Join joined, Ref and Fn::GetAtt as <...>, the rest as JSON."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(nag_name(item) for item in items)
        if function == "Fn::Sub" and isinstance(argument, str):
            return nag_name(argument)
        if function == "Fn::GetAtt":
            resource, attribute = argument
            return f"<{nag_name(resource)}.{nag_name(attribute)}>"
        if function == "Fn::ImportValue":
            return nag_name(argument)
        if function == "Ref":
            return f"<{nag_name(argument)}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def skip_checkov(scope: IConstruct, checks: dict[str, str]) -> None:
    """Record in the template's metadata that checkov `checks` are skipped on the
    CloudFormation resource of `scope`, each with its reason."""
    _resource_of(scope).add_metadata("checkov", {"skip": [{"id": check, "comment": reason} for check, reason in checks.items()]})


def _resource_of(scope: IConstruct) -> cdk.CfnResource:
    """The CloudFormation resource of an L2 construct, or `scope` if it is one."""
    default_child = scope.node.default_child
    return default_child if isinstance(default_child, cdk.CfnResource) else scope
