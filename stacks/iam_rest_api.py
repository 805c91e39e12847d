"""A regional REST API that only named IAM principals may invoke."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.routes import Route

INVOKE = "execute-api:Invoke"
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100


class IamRestApi(Construct):
    """Every route requires SigV4 (AuthorizationType IAM), and the resource policy
    admits only `admitted_principal_arns`, each calling from its own account in
    `admitted_accounts`.

    Exposes `api` (the RestApi) and `stage`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        stage_name: str,
        partition: str,
        routes: Sequence[Route],
        backend: lambda_.IFunction,
        admitted_accounts: Sequence[str],
        admitted_principal_arns: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description="Orders API, callable only by IAM-signed requests of admitted principals",
            endpoint_configuration=apigateway.EndpointConfiguration(types=[apigateway.EndpointType.REGIONAL]),
            policy=_resource_policy(stage_name, partition, routes, admitted_accounts, admitted_principal_arns),
            default_method_options=apigateway.MethodOptions(authorization_type=apigateway.AuthorizationType.IAM),
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=THROTTLE_RATE_PER_SECOND,
                throttling_burst_limit=THROTTLE_BURST,
            ),
        )
        # RestApi always adds an "Endpoint" output with a generated name; the stack
        # exports the same URL under a name that says what it is.
        self.api.node.try_remove_child("Endpoint")
        integration = apigateway.LambdaIntegration(backend, allow_test_invoke=False)
        for route in routes:
            self.api.root.resource_for_path(route.path).add_method(route.method, integration)
        self.stage = self.api.deployment_stage


def _resource_policy(
    stage_name: str,
    partition: str,
    routes: Sequence[Route],
    admitted_accounts: Sequence[str],
    admitted_principal_arns: Sequence[str],
) -> iam.PolicyDocument:
    # `execute-api:/...` is API Gateway's shorthand for THIS API's ARN; an
    # `arn:...:execute-api:REGION:ACCOUNT:*` resource would cover every API in the account.
    principal_arn_is_admitted = {"aws:PrincipalArn": list(admitted_principal_arns)}
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="AllowAdmittedPrincipals",
                principals=[iam.ArnPrincipal(f"arn:{partition}:iam::{account}:root") for account in admitted_accounts],
                actions=[INVOKE],
                resources=[f"execute-api:/{stage_name}/{route.arn_suffix}" for route in routes],
                conditions={"StringEquals": principal_arn_is_admitted},
            ),
            # Without it, principals of the API's own account whose identity policy
            # allows execute-api:Invoke could call too: same-account calls need only one Allow.
            iam.PolicyStatement(
                sid="DenyEveryoneElse",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"StringNotEquals": principal_arn_is_admitted},
            ),
        ]
    )
