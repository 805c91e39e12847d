"""AuthorizerStack, deployed in the security account: the central Lambda authorizer
that admits callers of the API by their IAM identity, and API Gateway's right
to invoke it for exactly that API's authorizer."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.config import AppConfig
from stacks.shared.python_function import PythonFunction


class AuthorizerStack(Stack):
    """`config.api_id` and `config.authorizer_id` name ApiStack's API and authorizer,
    as given in the context or as references that CloudFormation resolves when this
    stack deploys. Exposes `authorizer` (its PythonFunction) and `permission`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        region = config.api_region
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
            },
        )
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
