"""Every log group of the app: kept a year, and encrypted with a customer managed key of
its stack that only CloudWatch Logs of the stack's own account and region may use.

One key per stack, shared by the stack's log groups. Its policy, besides AWS's default
statement that lets the account's IAM policies govern the key (without it nobody could
ever manage it), has two statements: CloudWatch Logs of this region may use it, for
log groups of this account and region only (the encryption context CloudWatch Logs
sends names the log group); and nobody may create grants on it except for AWS services.
"""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.region_info import RegionInfo
from constructs import Construct

# AWS Control Tower's CT.CLOUDWATCH.PR.2 asks for a year at least.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
LOGS_KEY_ID = "LogsKey"
# What the CloudWatch Logs user guide grants its service principal ("kms:Encrypt*",
# "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"), each
# pattern written out as the actions it matches on a key.
CLOUDWATCH_LOGS_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:DescribeKey",
]


def log_group(scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> logs.LogGroup:
    """A log group kept LOG_RETENTION, encrypted with its stack's key. A retained log
    group retains the key too: its logs could not be read once the key is deleted."""
    key = logs_key(Stack.of(scope))
    if removal_policy == RemovalPolicy.RETAIN:
        key.apply_removal_policy(RemovalPolicy.RETAIN)
    return logs.LogGroup(
        scope, construct_id, retention=LOG_RETENTION, removal_policy=removal_policy, encryption_key=key
    )


def logs_key(stack: Stack) -> kms.Key:
    """The stack's key for its log groups, made by the first log group that needs it."""
    existing = stack.node.try_find_child(LOGS_KEY_ID)
    if isinstance(existing, kms.Key):
        return existing
    partition, region, domain_suffix = _where(stack)
    key = kms.Key(
        stack,
        LOGS_KEY_ID,
        description="Encrypts this stack's CloudWatch log groups (and alarm topic); only CloudWatch Logs of this account and region (and its CloudWatch alarms) may use it",
        enable_key_rotation=True,
        # Deleted with the stack (after the 30-day waiting period) unless a retained log group needs it.
        removal_policy=RemovalPolicy.DESTROY,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsOfThisAccountAndRegion",
            principals=[iam.ServicePrincipal(f"logs.{region}.{domain_suffix}")],
            actions=CLOUDWATCH_LOGS_ACTIONS,
            resources=["*"],
            conditions={
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{stack.account}:log-group:*"}
            },
        )
    )
    only_aws_services_may_create_grants(key)
    return key


def only_aws_services_may_create_grants(key: kms.Key) -> None:
    """AWS Control Tower's CT.KMS.PR.3: no grants, by which a principal of the account
    could give itself the key's use, except those AWS services make for their resources."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="GrantsOnlyForAwsServices",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
        )
    )


def _where(stack: Stack) -> tuple[str, str, str]:
    """The stack's partition, region and domain suffix: as written for a stack of a known
    region, or as CloudFormation's pseudo parameters (a StackSet member's template)."""
    if Token.is_unresolved(stack.region):
        return Aws.PARTITION, Aws.REGION, Aws.URL_SUFFIX
    info = RegionInfo.get(stack.region)
    return info.partition, stack.region, info.domain_suffix
