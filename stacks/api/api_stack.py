"""ApiStack, deployed in the API account: the IAM-authorized API and its backend."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.api.iam_http_api import IamHttpApi
from stacks.api.iam_rest_api import IamRestApi
from stacks.api.invoker_role import InvokerRole
from stacks.api.resource_policy import resource_policy
from stacks.api.central_authorizer import central_authorizer
from stacks.config import ACCESS_MODE_DESCRIPTION, ASSUME_ROLE, HTTP, LAMBDA_AUTHORIZER, PRIVATE, AppConfig
from stacks.domain.api_domain import api_domain
from stacks.shared.python_function import PythonFunction


class ApiStack(Stack):
    """Exposes `api` (an IamRestApi or, with api_type http, an IamHttpApi), `backend`
    (the function behind it), `backend_function` (its PythonFunction, None for an
    existing function given as `backend_function_arn`), in assume-role mode `invoker`
    (the InvokerRole), in lambda-authorizer mode `authorizer` (the central TokenAuthorizer),
    and with custom_domain_name `domain` (a PrivateDomain or RegionalDomain, else None)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.backend_function: PythonFunction | None = None
        if config.backend_function_arn is not None:
            # Same account and region: API Gateway's permission to invoke it is made here,
            # for this API's routes only.
            self.backend: lambda_.IFunction = lambda_.Function.from_function_attributes(
                self, "Backend", function_arn=config.backend_function_arn, same_environment=True
            )
        else:
            self.backend_function = PythonFunction(
                self,
                "Backend",
                source=config.service.backend.source,
                description=f"{config.names.title} API backend: answers IAM-authorized requests",
                # Behind the invoker role, the backend tells the client account by the session name.
                environment={"INVOKER_ROLE_NAME": config.names.invoker_role} if config.access_mode == ASSUME_ROLE else None,
            )
            self.backend = self.backend_function.function
        api_settings = dict(
            api_name=config.names.api,
            description=f"{config.names.title} API, callable only by IAM-signed requests of admitted principals",
            stage_name=config.stage,
            routes=config.service.routes,
            backend=self.backend,
            throttle_rate=config.throttle_rate,
            throttle_burst=config.throttle_burst,
        )
        # The one place where the type of API is chosen.
        self.api: IamRestApi | IamHttpApi
        self.authorizer = None
        if config.api_type == HTTP:
            self.api = IamHttpApi(self, "Api", **api_settings)
        else:
            admission = config.resource_policy_admission
            self.authorizer = (
                central_authorizer(self, config.authorizer_function_arn)
                if config.access_mode == LAMBDA_AUTHORIZER
                else None
            )
            self.api = IamRestApi(
                self,
                "Api",
                private=config.endpoint_type == PRIVATE,
                policy=resource_policy(config.stage, config.service.routes, admission, config.client_vpc_ids) if admission else None,
                authorizer=self.authorizer,
                create_cloudwatch_role=config.create_cloudwatch_role,
                **api_settings,
            )
        _name_the_apis_account(self.api, self.account)
        self.domain = api_domain(self, config, self.api)
        self.invoker: InvokerRole | None = None
        if config.access_mode == ASSUME_ROLE:
            self.invoker = InvokerRole(
                self,
                "Invoker",
                names=config.names,
                admission=config.admission,
                api=self.api.api_resource,
                stage_name=config.stage,
                routes=config.service.routes,
            )
            CfnOutput(
                self,
                "InvokerRoleArn",
                value=self.invoker.role.role_arn,
                description="Role the requestors assume (access_mode assume-role)",
            )
        if self.authorizer is not None:
            CfnOutput(
                self,
                "AuthorizerId",
                value=self.authorizer.authorizer_id,
                description="The authorizer's id; AuthorizerStack reads it when it deploys",
            )
        # For people and make smoke: the consumers read the ids themselves when they deploy.
        CfnOutput(self, "ApiId", value=self.api.api_id, description="The API's id; the client stacks read it when they deploy")
        CfnOutput(self, "ApiUrl", value=self.api.url, description="Invoke URL of the stage")
        CfnOutput(self, "ApiAccount", value=self.account, description="Account that owns the API")
        CfnOutput(self, "ApiRegion", value=self.region, description="Region of the API; requests are signed for it")
        CfnOutput(self, "Stage", value=self.api.stage.stage_name, description="Stage that clients may invoke")
        CfnOutput(self, "ApiType", value=config.api_type, description="rest or http")
        CfnOutput(self, "EndpointType", value=config.endpoint_type, description="regional or private")
        CfnOutput(self, "AccessMode", value=config.access_mode, description=ACCESS_MODE_DESCRIPTION)


def _name_the_apis_account(api: Construct, account: str) -> None:
    """SourceAccount on API Gateway's permissions to invoke the backend, beside their
    SourceArn (this API's routes).

    CDK writes SourceArn as an Fn::Join, and AWS Control Tower's CT.LAMBDA.PR.2 reads a
    SourceArn only as a string or as a reference to a resource of the template: it took
    these permissions for ones that any API Gateway API of any account may use. The
    API's account as SourceAccount is a condition it reads, and one Lambda checks too."""
    for construct in api.node.find_all():
        if isinstance(construct, lambda_.CfnPermission) and construct.principal == "apigateway.amazonaws.com":
            construct.source_account = account
