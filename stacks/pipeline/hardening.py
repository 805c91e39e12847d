"""What the four gates ask of CDK Pipelines' own resources: the artifact bucket kept
versioned, locked and expiring; grants on its key for AWS services only; and, on the
policies CDK Pipelines writes, each wildcard acknowledged with the reason it is there.

A wildcard of a kind not listed here is not acknowledged: a new CDK Pipelines release
that widens a policy fails synth until someone reads it.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import IValidation

from stacks.shared.compliance import acknowledge, acknowledge_guard, nag_name
from stacks.shared.log_groups import only_aws_services_may_create_grants

# Artifacts of a run are needed while it may be retried or its stages re-run.
ARTIFACT_DAYS = 90
ARTIFACTS_ONLY = (
    "CDK Pipelines' grant on the pipeline's artifact bucket (or its objects): the pipeline's roles read and "
    "write the artifacts of their own runs there, and nothing else."
)
ARTIFACT_KEY = (
    "CDK Pipelines' grant on the artifact bucket's key, which exists for these artifacts only; the wildcards "
    "are the key's GenerateDataKey and ReEncrypt variants."
)
BUILD_LOGS = "CodeBuild writes the logs of this project's builds to log groups under /aws/codebuild/ that it names per build."
BUILD_REPORTS = "CodeBuild's test reports of this project, in report groups it names after the project."
BOOTSTRAP_ROLES = (
    "cdk deploy assumes the roles `cdk bootstrap` made in each target account (the condition admits only roles "
    "tagged aws-cdk:bootstrap-role as deploy or publishing roles); their names depend on each account."
)
ANY_RESOURCE = (
    "CDK Pipelines' own grants on any resource: cdk deploy reads stack states and lists each account's bootstrap "
    "bucket before assuming its roles, and the asset role starts and watches its builds; CDK writes them so."
)
ANY_RESOURCE_ACTIONS = frozenset(
    {"cloudformation:DescribeStacks", "s3:ListBucket", "codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"}
)
NO_LOG_BUCKET = (
    "Only the pipeline's own roles read and write this bucket; an access-log bucket would itself be a bucket "
    "without access logs. CloudTrail data events, where the organization enables them, record each access."
)
NO_NOTIFICATIONS = "Nothing consumes events of the pipeline's artifacts; the pipeline's own execution history records each run."


def harden(pipeline: pipelines.CodePipeline) -> None:
    """Once the pipeline is built (`build_pipeline()`)."""
    code_pipeline = pipeline.pipeline
    bucket = code_pipeline.artifact_bucket
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
    # Object Lock without a default retention: nothing is locked unless a run asks, as Control Tower requires.
    cfn_bucket.object_lock_enabled = True
    cfn_bucket.lifecycle_configuration = s3.CfnBucket.LifecycleConfigurationProperty(
        rules=[
            s3.CfnBucket.RuleProperty(
                id="ExpireOldArtifacts",
                status="Enabled",
                expiration_in_days=ARTIFACT_DAYS,
                noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(noncurrent_days=1),
                abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(days_after_initiation=1),
            )
        ]
    )
    acknowledge(bucket, "S1", NO_LOG_BUCKET)
    acknowledge_guard(bucket, "s3_bucket_logging_enabled_check", NO_LOG_BUCKET)
    acknowledge_guard(bucket, "s3_event_notifications_enabled_check", NO_NOTIFICATIONS)
    only_aws_services_may_create_grants(bucket.encryption_key)
    stack = cdk.Stack.of(pipeline)
    stack.node.add_validation(_AcknowledgeWildcards(stack, bucket.bucket_arn, bucket.encryption_key.key_arn))


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    """Run after CDK resolved references (as in stacks/shared/compliance.py): cdk-nag
    names each finding by the resource as the template writes it."""

    def __init__(self, stack: cdk.Stack, bucket_arn: str, key_arn: str) -> None:
        self._stack = stack
        self._bucket_arn = nag_name(stack.resolve(bucket_arn))
        self._key_arn = nag_name(stack.resolve(key_arn))

    def validate(self) -> list[str]:
        for policy in self._stack.node.find_all():
            if isinstance(policy, iam.CfnPolicy):
                for statement in self._stack.resolve(policy.policy_document)["Statement"]:
                    for finding, reason in self._findings(statement):
                        acknowledge(policy, finding, reason)
        return []

    def _findings(self, statement: dict) -> list[tuple[str, str]]:
        actions = _listed(statement.get("Action"))
        resources = [nag_name(resource) for resource in _listed(statement.get("Resource"))]
        reason = self._reason(actions, resources, statement)
        if reason is None:
            return []
        wildcards = [f"Action::{action}" for action in actions if "*" in action]
        wildcards += [f"Resource::{resource}" for resource in resources if "*" in resource]
        return [(f"IAM5[{wildcard}]", reason) for wildcard in wildcards]

    def _reason(self, actions: list[str], resources: list[str], statement: dict) -> str | None:
        if all(resource in (self._bucket_arn, f"{self._bucket_arn}/*") for resource in resources):
            return ARTIFACTS_ONLY
        if resources == [self._key_arn]:
            return ARTIFACT_KEY
        if all(action.startswith("logs:") for action in actions) and all(":log-group:/aws/codebuild/" in r for r in resources):
            return BUILD_LOGS
        if all(action.startswith("codebuild:") for action in actions) and all(":report-group/" in r for r in resources):
            return BUILD_REPORTS
        if actions == ["sts:AssumeRole"] and "iam:ResourceTag/aws-cdk:bootstrap-role" in str(statement.get("Condition")):
            return BOOTSTRAP_ROLES
        if resources == ["*"] and set(actions) <= ANY_RESOURCE_ACTIONS:
            return ANY_RESOURCE
        return None


def _listed(value: object) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
