"""What the API account's on-call engineer watches: ApiStack's alarms, who calls, and
its dashboard."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import LAMBDA_AUTHORIZER, REST, AppConfig
from stacks.operations.alarm_topic import AlarmTopic
from stacks.operations.alarms import AT_LEAST, AlarmSpec, alarms
from stacks.operations.api_metrics import FIVE_MINUTES, ApiMetrics
from stacks.operations.dashboard import ONE_MINUTE, api_dashboard
from stacks.operations.insight_rules import ERROR_STATUSES, Ranking, insight_rules

# Alarm when this share of requests fails, in 2 of 3 five-minute periods.
SERVER_ERROR_RATE = 0.01
CLIENT_ERROR_RATE = 0.05
P99_LATENCY_MS = 1000
# Requests per minute at this share of throttle_rate: time to raise it, before callers see 429s.
NEAR_THROTTLE = 0.8
# Throttled requests in five minutes, as a share of what the stage admits in that time.
THROTTLED_SHARE = 0.01


def caller_fields(config: AppConfig) -> tuple[str, str]:
    """The access log's (account, principal) fields: IAM's, or the authorizer's."""
    if config.access_mode == LAMBDA_AUTHORIZER:
        return "$.authorizerCallerAccount", "$.authorizerCallerArn"
    return "$.callerAccount", "$.callerPrincipalArn"


class ApiOperations(Construct):
    """Exposes `topic`, `alarms` and `rules` (by suffix), `throttled` (the metric of 429s
    the access log counts) and `dashboard`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        api_id: str,
        access_logs: logs.ILogGroup,
        backend: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        names = config.names
        rest = config.api_type == REST
        metrics = ApiMetrics({"ApiName": names.api, "Stage": config.stage} if rest else {"ApiId": api_id, "Stage": config.stage}, rest)
        self.topic = AlarmTopic(self, "AlarmTopic", title=names.title, email=config.alarm_email).topic
        # API Gateway has no metric of throttled requests: the access log counts them.
        self.throttled = logs.MetricFilter(
            self,
            "Throttled",
            log_group=access_logs,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "429"),
            metric_namespace=names.api,
            metric_name="ThrottledRequests",
            metric_value="1",
            default_value=0,
        ).metric(statistic="Sum", period=FIVE_MINUTES)
        per_minute_limit = config.throttle_rate * 60
        self.alarms = alarms(
            self,
            prefix=names.api,
            topic=self.topic,
            specs=[
                AlarmSpec(
                    "server-errors",
                    metrics.server_error_rate(),
                    SERVER_ERROR_RATE,
                    f"Over {SERVER_ERROR_RATE:.0%} of requests failed with 5XX. See the backend-errors alarm and "
                    "the backend's log group; API Gateway's own 5XX name their errorType in the access log.",
                ),
                AlarmSpec(
                    "client-errors",
                    metrics.client_error_rate(),
                    CLIENT_ERROR_RATE,
                    f"Over {CLIENT_ERROR_RATE:.0%} of requests were refused with 4XX: IAM refusals (403, a caller "
                    "not admitted or signing for another API), throttling (429) or bad requests. The "
                    "top-callers-by-error rule names who; cut a caller off with make revoke (docs/operating.md).",
                ),
                AlarmSpec(
                    "p99-latency",
                    metrics.latency("p99"),
                    P99_LATENCY_MS,
                    f"The slowest 1% of requests took over {P99_LATENCY_MS} ms. Compare IntegrationLatency "
                    "(the backend) with Latency (API Gateway) on the dashboard.",
                ),
                AlarmSpec(
                    "near-throttle-limit",
                    metrics.requests(ONE_MINUTE),
                    NEAR_THROTTLE * per_minute_limit,
                    f"Requests reached {NEAR_THROTTLE:.0%} of throttle_rate ({config.throttle_rate:g}/s) in 3 of 5 "
                    "minutes. Raise throttle_rate (and the account's API Gateway quota) before callers get 429s, "
                    "or find the caller on the top-callers rules.",
                    comparison=AT_LEAST,
                    evaluation_periods=5,
                    datapoints_to_alarm=3,
                ),
                AlarmSpec(
                    "throttled",
                    self.throttled,
                    max(1.0, THROTTLED_SHARE * config.throttle_rate * 300),
                    f"Over {THROTTLED_SHARE:.0%} of what throttle_rate admits in 5 minutes was refused with 429. "
                    "Raise throttle_rate and throttle_burst, or find the caller on the top-callers rules.",
                    comparison=AT_LEAST,
                ),
                AlarmSpec(
                    "backend-errors",
                    backend.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                    1,
                    "The backend function raised errors. See its log group and X-Ray traces.",
                    comparison=AT_LEAST,
                ),
                AlarmSpec(
                    "backend-throttles",
                    backend.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                    1,
                    "Lambda throttled the backend: the account's concurrency is exhausted. Raise the quota, "
                    "or lower throttle_rate.",
                    comparison=AT_LEAST,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                ),
            ],
        )
        account, principal = caller_fields(config)
        self.rules = insight_rules(
            self,
            prefix=names.api,
            log_group=access_logs,
            rankings=(
                Ranking("top-callers-by-account", (account,)),
                Ranking("top-callers-by-principal", (principal,)),
                Ranking("top-callers-by-error", (principal, "$.status"), (ERROR_STATUSES,)),
            ),
        )
        self.dashboard = api_dashboard(
            self,
            name=names.api,
            region=config.api_region.name,
            metrics=metrics,
            throttled=self.throttled,
            top_callers={
                "Top callers by account": self.rules["top-callers-by-account"].rule_name,
                "Top callers by principal": self.rules["top-callers-by-principal"].rule_name,
                "Top callers with errors (4XX/5XX)": self.rules["top-callers-by-error"].rule_name,
            },
            backend=backend,
        )
