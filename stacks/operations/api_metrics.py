"""API Gateway's metrics of one API stage, named as each type of API names them:
a REST API by its name (ApiName) and `4XXError`, an HTTP API by its id and `4xx`."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/ApiGateway"
FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class ApiMetrics:
    """`dimensions`: {"ApiName": ..., "Stage": ...} (REST) or {"ApiId": ..., "Stage": ...} (HTTP)."""

    dimensions: dict[str, str]
    rest: bool

    def metric(self, name: str, statistic: str, period: Duration = FIVE_MINUTES) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE, metric_name=name, dimensions_map=self.dimensions, statistic=statistic, period=period
        )

    def requests(self, period: Duration = FIVE_MINUTES) -> cloudwatch.Metric:
        return self.metric("Count", "Sum", period)

    def server_error_rate(self) -> cloudwatch.Metric:
        # Each request counts 0 or 1: the average is the share of requests with the error.
        return self.metric("5XXError" if self.rest else "5xx", "Average")

    def client_error_rate(self) -> cloudwatch.Metric:
        return self.metric("4XXError" if self.rest else "4xx", "Average")

    def latency(self, percentile: str) -> cloudwatch.Metric:
        return self.metric("Latency", percentile)
