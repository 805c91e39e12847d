"""What the four gates ask of CDK Pipelines' own resources: its artifact buckets kept
(stacks/pipeline/artifacts.py); on the policies it writes, each wildcard acknowledged
with the reason it is there; its template as cfn-lint wants it.

A wildcard of a kind not listed here is not acknowledged: a new CDK Pipelines release
that widens a policy fails synth until someone reads it.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import IValidation

from stacks.pipeline.artifacts import artifact_buckets, keep_artifacts
from stacks.shared.compliance import acknowledge, nag_name, skip_checkov

ARTIFACTS_ONLY = (
    "CDK Pipelines' grant on the pipeline's artifact buckets (or their objects), its own and one per other region: the pipeline's roles read and "
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
    "bucket before assuming its roles; CDK writes them so."
)
ANY_RESOURCE_ACTIONS = frozenset({"cloudformation:DescribeStacks", "s3:ListBucket"})
# What CDK Pipelines grants its asset roles on every CodeBuild project of the account.
ANY_BUILD = frozenset({"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"})
REPLICATION_KEYS = (
    "CDK Pipelines' grant on the key of each other region's artifact bucket, in a support stack of that region "
    "whose key ARN this stack cannot name: CDK writes '*'. Only keys of the pipeline account whose key policy "
    "delegates to IAM are reachable, and none but the artifact keys is meant for the pipeline."
)


def harden(pipeline: pipelines.CodePipeline) -> None:
    """Once the pipeline is built (`build_pipeline()`)."""
    code_pipeline = pipeline.pipeline
    buckets = artifact_buckets(code_pipeline)
    for bucket, key in buckets:
        keep_artifacts(bucket, key)
    stack = cdk.Stack.of(pipeline)
    _no_role_starts_any_build(stack)
    _only_codebuild_of_this_account(stack)
    _only_the_policy_before_the_pipeline(code_pipeline)
    _sub_for_join(code_pipeline.node.default_child)
    stack.node.add_validation(_AcknowledgeWildcards(stack, buckets))


def _no_role_starts_any_build(stack: cdk.Stack) -> None:
    """CDK Pipelines grants its asset roles StartBuild (and StopBuild, BatchGetBuilds) on
    every project, which the publishing builds never call: CodePipeline starts them
    with its own action role. Left there, code in an asset build (cdk-assets from npm)
    could start any project of the account with a buildspec of its own, the
    self-mutation's too, whose role may assume every target account's deploy role."""
    for policy in stack.node.find_all():
        if isinstance(policy, iam.CfnPolicy):
            document = stack.resolve(policy.policy_document)
            kept = [s for s in document["Statement"] if not (set(_listed(s.get("Action"))) <= ANY_BUILD and s.get("Resource") == "*")]
            if len(kept) < len(document["Statement"]):
                policy.policy_document = {**document, "Statement": kept}


def _only_codebuild_of_this_account(stack: cdk.Stack) -> None:
    """CDK Pipelines' CodeBuild roles trust codebuild.amazonaws.com alone: a project of
    another account naming one as its service role must not get it. aws:SourceArn cannot
    name the project: CDK generates its name, and the project references the role."""
    for role in stack.node.find_all():
        if isinstance(role, iam.CfnRole):
            statements = stack.resolve(role.assume_role_policy_document)["Statement"]
            for index, statement in enumerate(statements):
                if statement.get("Principal") == {"Service": "codebuild.amazonaws.com"} and "Condition" not in statement:
                    role.add_property_override(
                        f"AssumeRolePolicyDocument.Statement.{index}.Condition",
                        {"StringEquals": {"aws:SourceAccount": stack.account}},
                    )


def _only_the_policy_before_the_pipeline(code_pipeline: codepipeline.Pipeline) -> None:
    """The pipeline names its role with a GetAtt, which orders them already; CDK still
    lists the role in DependsOn, a finding of cfn-lint (W3005). Only the role's policy,
    which nothing references, needs the explicit order."""
    policy = code_pipeline.role.node.find_child("DefaultPolicy").node.default_child
    code_pipeline.node.default_child.add_override("DependsOn", [cdk.Stack.of(code_pipeline).get_logical_id(policy)])


def _sub_for_join(cfn_pipeline: codepipeline.CfnPipeline) -> None:
    """CDK Pipelines writes each deploy action's role ARN as an Fn::Join, which cfn-lint
    asks to be an Fn::Sub in an action's configuration (E3703): the same ARN, as a Sub."""
    stack = cdk.Stack.of(cfn_pipeline)
    for stage_index, stage in enumerate(stack.resolve(cfn_pipeline.stages)):
        for action_index, action in enumerate(stage["actions"]):
            for key, value in (action.get("configuration") or {}).items():
                joined = value.get("Fn::Join") if isinstance(value, dict) else None
                if joined and joined[0] == "":
                    cfn_pipeline.add_property_override(
                        f"Stages.{stage_index}.Actions.{action_index}.Configuration.{key}", {"Fn::Sub": _as_sub(joined[1])}
                    )


def _as_sub(parts: list) -> str:
    """Fn::Join's parts, each a string, a Ref or a GetAtt, as one Fn::Sub string."""
    written = []
    for part in parts:
        if isinstance(part, str):
            written.append(part.replace("${", "${!"))
        elif "Ref" in part:
            written.append("${%s}" % part["Ref"])
        else:
            written.append("${%s}" % ".".join(part["Fn::GetAtt"]))
    return "".join(written)


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    """Run after CDK resolved references (as in stacks/shared/compliance.py): cdk-nag
    names each finding by the resource as the template writes it."""

    def __init__(self, stack: cdk.Stack, buckets: list[tuple[s3.IBucket, kms.Key]]) -> None:
        self._stack = stack
        self._bucket_arns = {nag_name(stack.resolve(bucket.bucket_arn)) for bucket, _ in buckets}
        (own_key, *replication_keys) = (key for _, key in buckets)
        self._key_arn = nag_name(stack.resolve(own_key.key_arn))
        self._other_regions = bool(replication_keys)

    def validate(self) -> list[str]:
        for policy in self._stack.node.find_all():
            if isinstance(policy, iam.CfnPolicy):
                statements = self._stack.resolve(policy.policy_document)["Statement"]
                for statement in statements:
                    for finding, reason in self._findings(statement):
                        acknowledge(policy, finding, reason)
                skipped = {reason: None for statement in statements if (reason := self._writes_anywhere(statement))}
                if skipped:
                    skip_checkov(policy, {"CKV_AWS_111": " ".join(skipped)})
        return []

    def _writes_anywhere(self, statement: dict) -> str | None:
        """checkov's CKV_AWS_111 (write access without constraints), where CDK Pipelines needs it."""
        actions = _listed(statement.get("Action"))
        if "*" not in _listed(statement.get("Resource")):
            return None
        if self._is_replication_keys(actions, statement):
            return REPLICATION_KEYS
        return None

    def _is_replication_keys(self, actions: list[str], statement: dict) -> bool:
        resources = [nag_name(resource) for resource in _listed(statement.get("Resource"))]
        return self._other_regions and all(a.startswith("kms:") for a in actions) and set(resources) <= {"*", self._key_arn}

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
        if resources and all(resource.removesuffix("/*") in self._bucket_arns for resource in resources):
            return ARTIFACTS_ONLY
        if resources == [self._key_arn]:
            return ARTIFACT_KEY
        if self._is_replication_keys(actions, statement):
            return REPLICATION_KEYS
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
