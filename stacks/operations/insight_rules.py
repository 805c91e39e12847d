"""Contributor Insights rules: who calls, ranked from log lines the stack already writes
(the access log's fields, stacks/api/access_logs.py; the authorizer's decision records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

ERROR_STATUSES = {"Match": "$.status", "StartsWith": ["4", "5"]}


@dataclass(frozen=True)
class Ranking:
    """A rule: what it ranks callers by (`keys`, JSON paths of the log line) and which lines count."""

    suffix: str
    keys: tuple[str, ...]
    filters: tuple[dict[str, Any], ...] = ()


def rule_body(log_group_name: str, ranking: Ranking) -> dict[str, Any]:
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": [log_group_name],
        "LogFormat": "JSON",
        "Contribution": {"Keys": list(ranking.keys), "Filters": list(ranking.filters)},
        "AggregateOn": "Count",
    }


def insight_rules(
    scope: Construct, *, prefix: str, log_group: logs.ILogGroup, rankings: tuple[Ranking, ...]
) -> dict[str, cloudwatch.CfnInsightRule]:
    """One enabled rule per ranking, named `<prefix>-<suffix>`; by suffix."""
    stack = Stack.of(scope)
    return {
        ranking.suffix: cloudwatch.CfnInsightRule(
            scope,
            f"Rule-{ranking.suffix}",
            rule_name=f"{prefix}-{ranking.suffix}",
            rule_state="ENABLED",
            rule_body=stack.to_json_string(rule_body(log_group.log_group_name, ranking)),
        )
        for ranking in rankings
    }
