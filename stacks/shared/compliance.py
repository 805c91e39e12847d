"""cdk-nag's AWS Solutions checks as a validation plugin of the app, and the one way
to acknowledge a finding: on the narrowest construct, with the reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

from stacks.routes import Route

# checkov findings that are deliberate, by check id, with the reason a reviewer reads.
LOG_GROUP_KMS = {
    "CKV_AWS_158": "Encrypted at rest by CloudWatch Logs' own keys; the logs hold no credentials or "
    "signed headers (the handlers never log them), so a customer managed key adds cost without a threat it stops.",
}
FUNCTION_CHOICES = {
    "CKV_AWS_116": "Invoked synchronously (by API Gateway or a direct invoke) and the caller gets the error; "
    "a dead-letter queue only receives failed asynchronous invocations.",
    "CKV_AWS_117": "Reaches only a public AWS endpoint (execute-api) or nothing at all; a VPC would add "
    "NAT cost and cold-start time without narrowing access, which IAM already controls.",
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
STAGE_CACHE = {
    "CKV_AWS_120": "No caching: answers depend on the signed caller, and a cache would serve one caller's "
    "answer to another.",
}


def attach_security_checks(app: cdk.App) -> None:
    """Make synth fail on any AwsSolutions finding that is neither fixed nor acknowledged.

    Acknowledgments are also written into the template metadata (`cdk_nag`), so an
    auditor reads each one with its reason beside the resource.
    """
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding, e.g. "COG4" or "IAM5[Resource::*]", on `scope`."""
    cdk.Validations.of(scope).acknowledge(
        cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-{finding}", reason=reason)
    )


def acknowledge_path_parameters(
    role: IConstruct, routes: Sequence[Route], finding_resource: Callable[[Route], str]
) -> None:
    """Acknowledge IAM5 for each route whose execute-api ARN has a `*` for a path
    parameter; `finding_resource` gives that ARN as cdk-nag names it."""
    for route in routes:
        if "*" in route.arn_suffix:
            acknowledge(
                role,
                f"IAM5[Resource::{finding_resource(route)}]",
                f"The '*' stands for the path parameter of {route.method} {route.path}, on this API's stage only.",
            )


def skip_checkov(scope: IConstruct, checks: dict[str, str]) -> None:
    """Record in the template's metadata that checkov `checks` are skipped on the
    CloudFormation resource of `scope`, each with its reason."""
    resource = scope.node.default_child if isinstance(scope.node.default_child, cdk.CfnResource) else scope
    resource.add_metadata("checkov", {"skip": [{"id": check, "comment": reason} for check, reason in checks.items()]})
