"""The alarms of the other accounts' functions: the central authorizer in the security
account (and who it refuses), the requestor in each client account. Each account's
alarms go to a topic of its own."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import AppConfig
from stacks.operations.alarm_topic import AlarmTopic
from stacks.operations.alarms import AT_LEAST, AlarmSpec, alarms
from stacks.operations.api_metrics import FIVE_MINUTES
from stacks.operations.insight_rules import Ranking, insight_rules
from stacks.shared.python_function import PythonFunction

# The authorizer waits at most 1 s to connect to STS and 2 s for its answer.
AUTHORIZER_P99_MS = 1500
# Signed calls that got no 2XX/3XX answer (the compare_unsigned probe is not signed).
FAILED_SIGNED_CALLS = '{ $.message = "api call" && $.signed IS TRUE && ($.status >= 400 || $.status NOT EXISTS || $.status IS NULL) }'


def _log_count(scope: Construct, construct_id: str, function: PythonFunction, pattern: str, name: str, namespace: str) -> cloudwatch.IMetric:
    return logs.MetricFilter(
        scope,
        construct_id,
        log_group=function.log_group,
        filter_pattern=logs.FilterPattern.literal(pattern),
        metric_namespace=namespace,
        metric_name=name,
        metric_value="1",
        default_value=0,
    ).metric(statistic="Sum", period=FIVE_MINUTES)


def _throttles(function: PythonFunction, what: str) -> AlarmSpec:
    return AlarmSpec(
        "throttles",
        function.function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
        1,
        f"Lambda throttled the {what}: this account's concurrency is exhausted. Raise the quota.",
        comparison=AT_LEAST,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )


class AuthorizerOperations(Construct):
    """Exposes `topic`, `alarms` and `rules` (by suffix)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, authorizer: PythonFunction) -> None:
        super().__init__(scope, construct_id)
        prefix = config.names.authorizer_function
        self.topic = AlarmTopic(self, "AlarmTopic", title=config.names.title, email=config.alarm_email).topic
        # Refusals raise (API Gateway answers 401 to "Unauthorized"), so Lambda's Errors
        # count every forged token: faults are the ERROR records the authorizer writes.
        faults = _log_count(self, "Faults", authorizer, '{ $.level = "ERROR" }', "AuthorizerFaults", prefix)
        self.alarms = alarms(
            self,
            prefix=prefix,
            topic=self.topic,
            specs=[
                AlarmSpec(
                    "faults",
                    faults,
                    1,
                    "The authorizer could not decide (an STS fault, or its deny list unreadable): it lets nobody in "
                    "meanwhile. See its log group.",
                    comparison=AT_LEAST,
                ),
                AlarmSpec(
                    "p99-duration",
                    authorizer.function.metric_duration(period=FIVE_MINUTES, statistic="p99"),
                    AUTHORIZER_P99_MS,
                    f"The slowest 1% of decisions took over {AUTHORIZER_P99_MS} ms: STS is slow to answer from the "
                    "security account. Callers wait for it on every request API Gateway has not cached.",
                ),
                _throttles(authorizer, "authorizer"),
            ],
        )
        self.rules = insight_rules(
            self,
            prefix=prefix,
            log_group=authorizer.log_group,
            rankings=(
                Ranking(
                    "refused-callers",
                    ("$.callerArn", "$.reason"),
                    ({"Match": "$.decision", "In": ["deny"]},),
                ),
            ),
        )


class RequestorOperations(Construct):
    """Exposes `topic` and `alarms` (by suffix)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, requestor: PythonFunction) -> None:
        super().__init__(scope, construct_id)
        prefix = config.names.requestor_role
        self.topic = AlarmTopic(self, "AlarmTopic", title=config.names.title, email=config.alarm_email).topic
        failed = _log_count(self, "FailedCalls", requestor, FAILED_SIGNED_CALLS, "FailedSignedCalls", prefix)
        self.alarms = alarms(
            self,
            prefix=prefix,
            topic=self.topic,
            specs=[
                AlarmSpec(
                    "failed-calls",
                    failed,
                    1,
                    f"Signed calls to the {config.names.title} API failed (4XX, 5XX or unreachable). `make smoke` "
                    "names the cause; the requestor's log has each call's status.",
                    comparison=AT_LEAST,
                ),
                AlarmSpec(
                    "errors",
                    requestor.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                    1,
                    "The requestor raised an error instead of answering (a bug, or its timeout). See its log group.",
                    comparison=AT_LEAST,
                ),
                _throttles(requestor, "requestor"),
            ],
        )
