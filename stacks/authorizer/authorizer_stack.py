"""AuthorizerStack, deployed in the security account: the central Lambda authorizer
that admits callers of the API by their IAM identity, and API Gateway's right
to invoke it for exactly that API's authorizer."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.config import AppConfig
from stacks.shared.python_function import PythonFunction


class AuthorizerStack(Stack):
    """`config.api_id` and `config.authorizer_id` name ApiStack's API and authorizer,
    as given in the context or as references that CloudFormation resolves when this
    stack deploys. Exposes `authorizer` (its PythonFunction), `permission` and
    `deny_list` (the SSM parameter the authorizer reads its deny list from)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        region = config.api_region
        denied = config.denied_principals
        # `make revoke` changes it at once, without a deploy; a deploy writes it again only
        # when denied_principals changes (docs/operating.md: cutting a caller off).
        self.deny_list = ssm.StringParameter(
            self,
            "DenyList",
            parameter_name=config.names.denied_parameter,
            string_value=json.dumps([*denied.role_arns, *denied.accounts]),
            description=f"Callers the {config.names.title} API's authorizer refuses: role ARNs (or patterns) and account ids, a JSON list",
        )
        self.authorizer = PythonFunction(
            self,
            "Authorizer",
            source="authorizer",
            description=f"Admits callers of the {config.names.title} API by their IAM identity (presigned GetCallerIdentity)",
            # ApiStack's methods name this function by its ARN.
            function_name=config.names.authorizer_function,
            environment={
                "API_ID": config.api_id,
                "API_ACCOUNT": config.api_account,
                "API_REGION": region.name,
                "STAGE": config.stage,
                "PARTITION": region.partition,
                "PARTITION_DOMAIN": region.domain_suffix,
                # The same principals the resource policy would admit.
                "ADMITTED_PRINCIPALS": json.dumps(list(config.admission.principal_arns)),
                "DENIED_PARAMETER": self.deny_list.parameter_name,
            },
        )
        self.deny_list.grant_read(self.authorizer.function)
        self.permission = lambda_.CfnPermission(
            self,
            "InvokedByTheApisAuthorizerOnly",
            action="lambda:InvokeFunction",
            function_name=self.authorizer.function.function_arn,
            principal="apigateway.amazonaws.com",
            source_account=config.api_account,
            source_arn=(
                f"arn:{region.partition}:execute-api:{region.name}:{config.api_account}:"
                f"{config.api_id}/authorizers/{config.authorizer_id}"
            ),
        )
        CfnOutput(self, "AuthorizerFunctionArn", value=self.authorizer.function.function_arn)
        CfnOutput(self, "DenyListParameter", value=self.deny_list.parameter_name, description="make revoke writes here")
