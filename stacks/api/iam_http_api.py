"""An HTTP API that only IAM-signed requests may invoke: the lower-cost sibling of the
REST API, for the assume-role mode (HTTP APIs have no resource policy)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.api.access_logs import HTTP_ACCESS_LOG_FIELDS, access_log_group
from stacks.routes import Route


@jsii.implements(apigatewayv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup, fields: dict[str, str]) -> None:
        self._destination = apigatewayv2.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(json.dumps(fields))

    @property
    def destination(self) -> apigatewayv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


class IamHttpApi(Construct):
    """Every route requires SigV4 (the IAM authorizer); IAM policies of the API's
    account say who may call. A named stage, so that URLs and ARNs look like the REST
    API's. Exposes `api` (the HttpApi), `stage`, `api_resource` (its CfnApi),
    `api_id`, `url` and `access_logs`."""

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
        throttle_rate: float,
        throttle_burst: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = access_log_group(self)
        self.api = apigatewayv2.HttpApi(
            self,
            "Api",
            api_name=api_name,
            description=description,
            create_default_stage=False,
            default_authorizer=authorizers.HttpIamAuthorizer(),
        )
        integration = integrations.HttpLambdaIntegration("Backend", backend)
        for route in routes:
            self.api.add_routes(path=route.path, methods=[apigatewayv2.HttpMethod(route.method)], integration=integration)
        self.stage = apigatewayv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name=stage_name,
            auto_deploy=True,
            detailed_metrics_enabled=True,
            throttle=apigatewayv2.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            access_log_settings=_AccessLogSettings(self.access_logs, HTTP_ACCESS_LOG_FIELDS),
        )
        self.api_resource = self.api.node.default_child
        self.api_id = self.api.api_id
        self.url = self.stage.url
