"""The pipeline's artifact buckets, as the four gates ask of every bucket: versioned,
with Object Lock, expiring, their keys' grants for AWS services only. CDK Pipelines
makes one in the pipeline's region and, for a stack in another region (the organization
rollout's guard in us-east-1), one in a support stack of that region.
"""

from __future__ import annotations

from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from stacks.shared.compliance import acknowledge, acknowledge_guard, skip_checkov
from stacks.shared.log_groups import only_aws_services_may_create_grants

# Artifacts of a run are needed while it may be retried or its stages re-run.
ARTIFACT_DAYS = 90
NO_LOG_BUCKET = (
    "Only the pipeline's own roles read and write this bucket; an access-log bucket would itself be a bucket "
    "without access logs. CloudTrail data events, where the organization enables them, record each access."
)
NO_NOTIFICATIONS = "Nothing consumes events of the pipeline's artifacts; the pipeline's own execution history records each run."


def artifact_buckets(code_pipeline: codepipeline.Pipeline) -> list[tuple[s3.IBucket, kms.Key]]:
    """Each artifact bucket with its key: the pipeline's own, then one per other region."""
    buckets = [(code_pipeline.artifact_bucket, code_pipeline.artifact_bucket.encryption_key)]
    for support in code_pipeline.cross_region_support.values():
        replication = support.replication_bucket
        # The support stack names its key by an alias.
        buckets.append((replication, replication.encryption_key.alias_target_key))
    return buckets


def keep_artifacts(bucket: s3.IBucket, key: kms.Key) -> None:
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
    skip_checkov(bucket, {"CKV_AWS_18": NO_LOG_BUCKET})
    only_aws_services_may_create_grants(key)
