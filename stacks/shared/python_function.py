"""A Python Lambda function with the house defaults, used by both stacks."""

from __future__ import annotations

import pathlib

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.shared.compliance import FUNCTION_CHOICES, LOG_GROUP_KMS, acknowledge, skip_checkov

LAMBDA_SRC = pathlib.Path(__file__).resolve().parents[2] / "lambda_src"
RUNTIME = lambda_.Runtime.PYTHON_3_14
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class PythonFunction(Construct):
    """A handler from `lambda_src/<source>/handler.py`, deployed without bundling.

    Its role gets only what the function needs to write its own log group and
    traces: no AWS managed policy, whose `logs:*` on every log group is wider.
    Exposes `function`, `role` and `log_group`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str,
        description: str,
        environment: dict[str, str] | None = None,
        timeout: Duration = Duration.seconds(10),
        role_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs: {description}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            # Bytecode caches left by the tests must not change the asset's hash.
            code=lambda_.Code.from_asset(str(LAMBDA_SRC / source), exclude=["__pycache__", "*.pyc"]),
            description=description,
            environment=environment,
            timeout=timeout,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
        )
        self.log_group.grant_write(self.role)
        # The function names its role with a GetAtt, which orders them already; CDK
        # still lists the role in DependsOn, a finding of cfn-lint (W3005). Only the
        # role's policy, which nothing references, needs the explicit order.
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        self.function.node.default_child.add_override("DependsOn", [Stack.of(self).get_logical_id(policy)])
        skip_checkov(self.log_group, LOG_GROUP_KMS)
        skip_checkov(
            self.function,
            {check: reason for check, reason in FUNCTION_CHOICES.items() if environment or check != "CKV_AWS_173"},
        )
        acknowledge(
            self.role,
            "IAM5[Resource::*]",
            "Only xray:PutTraceSegments and xray:PutTelemetryRecords have Resource '*': "
            "X-Ray supports no resource-level permissions for them.",
        )
