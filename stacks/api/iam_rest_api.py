"""A regional or private REST API that only IAM-signed requests of admitted principals may invoke."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.api.access_logs import REST_ACCESS_LOG_FIELDS, access_log_group
from stacks.routes import Route
from stacks.shared.compliance import STAGE_CACHE, acknowledge, skip_checkov

# The 403s a caller of an IAM-authorized API meets, answered in JSON with the
# request id to quote; the defaults cover every other error the same way.
GATEWAY_RESPONSES = {
    "MissingAuthenticationToken": apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    "AccessDenied": apigateway.ResponseType.ACCESS_DENIED,
    "InvalidSignature": apigateway.ResponseType.INVALID_SIGNATURE,
    "ExpiredToken": apigateway.ResponseType.EXPIRED_TOKEN,
    "Default4xx": apigateway.ResponseType.DEFAULT_4_XX,
    "Default5xx": apigateway.ResponseType.DEFAULT_5_XX,
}
GATEWAY_RESPONSE_TEMPLATE = (
    '{"message": $context.error.messageString, "type": "$context.error.responseType", '
    '"requestId": "$context.requestId"}'
)


class IamRestApi(Construct):
    """Every route requires SigV4 (AuthorizationType IAM); `policy`, the resource
    policy, says who may call (None: identity policies of the API's account alone).

    Exposes `api` (the RestApi), `stage`, `api_resource` (its CfnRestApi), `api_id`, `url`
    and `access_logs` (the stage's access log group).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        description: str,
        stage_name: str,
        routes: Sequence[Route],
        backend: lambda_.IFunction,
        private: bool,
        policy: iam.PolicyDocument | None,
        authorizer: apigateway.IAuthorizer | None,
        throttle_rate: float,
        throttle_burst: int,
        create_cloudwatch_role: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = access_log_group(self)
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description=description,
            # Private: reachable only through execute-api interface VPC endpoints.
            endpoint_configuration=apigateway.EndpointConfiguration(
                types=[apigateway.EndpointType.PRIVATE if private else apigateway.EndpointType.REGIONAL]
            ),
            policy=policy,
            # SigV4 on every method, or the central authorizer's check of the caller's IAM identity.
            default_method_options=(
                apigateway.MethodOptions(authorization_type=apigateway.AuthorizationType.CUSTOM, authorizer=authorizer)
                if authorizer
                else apigateway.MethodOptions(authorization_type=apigateway.AuthorizationType.IAM)
            ),
            # Stage logs need the account-wide API Gateway CloudWatch role; an account
            # that already has one sets create_cloudwatch_role=false.
            cloud_watch_role=create_cloudwatch_role,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=throttle_rate,
                throttling_burst_limit=throttle_burst,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(json.dumps(REST_ACCESS_LOG_FIELDS)),
            ),
        )
        # RestApi always adds an "Endpoint" output with a generated name; the stack
        # exports the same URL under a name that says what it is.
        self.api.node.try_remove_child("Endpoint")
        for response_id, response_type in GATEWAY_RESPONSES.items():
            self.api.add_gateway_response(
                response_id,
                type=response_type,
                templates={"application/json": GATEWAY_RESPONSE_TEMPLATE},
            )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigateway.LambdaIntegration(backend, allow_test_invoke=False)
        for route in routes:
            models = None
            if route.body_schema is not None:
                model = self.api.add_model(f"{route.body_schema.title}Model", schema=route.body_schema)
                # API Gateway validates only the content types a model is named for;
                # "$default" covers every other one, so no body skips the schema.
                models = {"application/json": model, "$default": model}
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method, integration, request_validator=validator, request_models=models
            )
            acknowledge(
                method,
                "COG4",
                "Callers are AWS principals, not Cognito users: the method requires "
                + (
                    "the central authorizer's proof of the caller's IAM identity (a presigned STS GetCallerIdentity)."
                    if authorizer
                    else "IAM (SigV4) authorization."
                ),
            )
        self.stage = self.api.deployment_stage
        self.api_resource = self.api.node.default_child
        self.api_id = self.api.rest_api_id
        self.url = self.api.url
        skip_checkov(self.stage, STAGE_CACHE)
        acknowledge(
            self.stage,
            "APIG3",
            "No WAF web ACL: every method requires a SigV4 signature from a principal the resource policy "
            "admits, and the stage is throttled; unsigned requests are refused before any integration runs.",
        )
        cloud_watch_role = self.api.node.try_find_child("CloudWatchRole")
        if cloud_watch_role is not None:
            acknowledge(
                cloud_watch_role,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-wide API Gateway CloudWatch role uses the AWS managed policy made for it, "
                "which API Gateway needs to write the logs of any API in the account.",
            )
