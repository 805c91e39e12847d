"""The pipeline's last step: proof that the pattern works once every account is deployed.

CodeBuild, under a role of the pipeline account, invokes one client account's requestor
with `compare_unsigned` and fails the stage unless the API refused the unsigned call and
served the signed one (tools/verdict.py judges). Invoking a function of another account
needs two grants: the role's own policy allows lambda:InvokeFunction on exactly that
function, and the function's resource-based policy admits exactly that role.
"""

from __future__ import annotations

import json
import shlex

from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from stacks.client.client_stack import ClientStack
from stacks.config import AppConfig
from tools.verdict import check_event, kind


def checked_account(config: AppConfig) -> str | None:
    """The client account whose requestor the check invokes: the first listed. None with
    the organization rollout, whose member accounts the pipeline does not know."""
    if config.org_rollout is not None:
        return None
    return config.client_accounts[0]


def check_role_arn(config: AppConfig) -> str:
    pipeline = config.pipeline
    return f"arn:{pipeline.region.partition}:iam::{pipeline.account}:role/{config.names.pipeline_check_role}"


def requestor_arn(config: AppConfig, account: str) -> str:
    region = config.client_region
    return f"arn:{region.partition}:lambda:{region.name}:{account}:function:{config.names.requestor_function}"


def admit_the_check(client: ClientStack, config: AppConfig) -> None:
    """The checked requestor's resource-based policy: the check's role may invoke it."""
    client.requestor.function.add_permission(
        "InvokedByThePipelinesCheck",
        principal=iam.ArnPrincipal(check_role_arn(config)),
        action="lambda:InvokeFunction",
    )


class CrossAccountCheck(Construct):
    """Exposes `role` (the check's CodeBuild role) and `step` (the pipeline step)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, account: str, source: pipelines.IFileSetProducer) -> None:
        super().__init__(scope, construct_id)
        pipeline = config.pipeline
        function_arn = requestor_arn(config, account)
        self.role = iam.Role(
            self,
            "Role",
            role_name=config.names.pipeline_check_role,
            description=f"The pipeline's check: invokes the {config.names.title} API's requestor in account {account}",
            assumed_by=iam.ServicePrincipal(
                "codebuild.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": pipeline.account}}
            ),
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid="InvokeTheCheckedRequestorOnly", actions=["lambda:InvokeFunction"], resources=[function_arn])
        )
        health = config.service.health
        event = json.dumps(check_event(health.method, health.path))
        domain = config.custom_domain.name if config.custom_domain is not None else None
        refusals = kind(config.access_mode, config.endpoint_type, config.api_type, domain)
        self.step = pipelines.CodeBuildStep(
            "CheckCrossAccountIam",
            input=source,
            role=self.role,
            commands=[
                f"aws lambda invoke --region {config.client_region.name} --function-name {function_arn} "
                f"--cli-binary-format raw-in-base64-out --payload {shlex.quote(event)} answer.json",
                f"python3 -m tools.verdict answer.json {refusals}",
            ],
        )
