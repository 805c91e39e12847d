"""Alarms as data: each says what it watches, when it fires, and what to do; all go to
the account's alarm topic, when they fire and when they clear."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
# No requests is no errors, no latency and no throttling: a quiet night is not an alarm.
QUIET_IS_FINE = cloudwatch.TreatMissingData.NOT_BREACHING


@dataclass(frozen=True)
class AlarmSpec:
    suffix: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    comparison: cloudwatch.ComparisonOperator = ABOVE
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2
    missing_data: cloudwatch.TreatMissingData = QUIET_IS_FINE


def alarms(scope: Construct, *, prefix: str, topic: sns.ITopic, specs: list[AlarmSpec]) -> dict[str, cloudwatch.Alarm]:
    """One alarm per spec, named `<prefix>-<suffix>`; by suffix."""
    made = {}
    for spec in specs:
        alarm = cloudwatch.Alarm(
            scope,
            f"Alarm-{spec.suffix}",
            alarm_name=f"{prefix}-{spec.suffix}",
            alarm_description=spec.description,
            metric=spec.metric,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.missing_data,
        )
        alarm.add_alarm_action(actions.SnsAction(topic))
        alarm.add_ok_action(actions.SnsAction(topic))
        made[spec.suffix] = alarm
    return made
