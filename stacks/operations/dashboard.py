"""The API's CloudWatch dashboard: traffic, errors, latency and throttling from API
Gateway, the top callers from the Contributor Insights rules, the backend's health."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.operations.api_metrics import ApiMetrics

WIDTH, HEIGHT = 8, 6
ONE_MINUTE = Duration.minutes(1)


class InsightRuleWidget(cloudwatch.ConcreteWidget):
    """A Contributor Insights rule's top contributors (CDK has no widget for it)."""

    def __init__(self, rule_name: str, title: str, region: str) -> None:
        super().__init__(WIDTH, HEIGHT)
        self._properties = {
            "title": title,
            "region": region,
            "insightRule": {"maxContributorCount": 10, "orderBy": "Sum", "ruleName": rule_name},
            "view": "timeSeries",
            "period": 300,
            "stat": "Sum",
            "legend": {"position": "bottom"},
        }

    def position(self, x: float, y: float) -> None:
        self._at = {"x": x, "y": y}

    def to_json(self) -> list[Any]:
        return [{"type": "metric", "width": self.width, "height": self.height, **self._at, "properties": self._properties}]


def api_dashboard(
    scope: Construct,
    *,
    name: str,
    region: str,
    metrics: ApiMetrics,
    throttled: cloudwatch.IMetric,
    top_callers: dict[str, str],
    backend: lambda_.IFunction,
) -> cloudwatch.Dashboard:
    """`top_callers`: rule names by widget title."""
    graph = lambda title, left, **more: cloudwatch.GraphWidget(title=title, left=left, width=WIDTH, height=HEIGHT, **more)  # noqa: E731
    return cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=name,
        default_interval=Duration.hours(3),
        widgets=[
            [
                graph("Requests per minute", [metrics.requests(ONE_MINUTE)]),
                graph(
                    "Errors (share of requests)",
                    [metrics.client_error_rate().with_(label="4XX"), metrics.server_error_rate().with_(label="5XX")],
                ),
                graph(
                    "Latency (ms)",
                    [metrics.latency(p).with_(label=p) for p in ("p50", "p90", "p99")],
                ),
            ],
            [InsightRuleWidget(rule, title, region) for title, rule in top_callers.items()],
            [
                graph("Throttled requests (429)", [throttled]),
                graph("Backend errors and throttles", [backend.metric_errors(), backend.metric_throttles()]),
                graph("Backend duration (ms)", [backend.metric_duration(statistic="p99").with_(label="p99")]),
            ],
        ],
    )
