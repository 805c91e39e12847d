"""Operating it, in every mode: each alarm (its metric, the dimensions naming this API
and stage, threshold, actions), the Contributor Insights rules (valid bodies over the
exact fields of the log lines), the dashboard's widgets, and each account's topic
(encryption, who may publish)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from stacks.api.access_logs import HTTP_ACCESS_LOG_FIELDS, REST_ACCESS_LOG_FIELDS
from stacks.config import ConfigError
from stacks.operations import api_operations
from tests.gates import GATED_MODES
from tests.conftest import CLIENT_STACK, MODES, PROJECT_ROOT, SynthesizedApp, config_from, synthesize
from tools import dashboard_picture

API_MODES = [mode for mode in MODES]
CLIENT_MODES = [mode for mode in MODES if mode != "org-rollout"]


@pytest.fixture(scope="module")
def synths() -> dict[str, SynthesizedApp]:
    """Each mode as the gates judge it, with an alarm email (tests/gates.py)."""
    return {mode: synthesize(gated=True, **context) for mode, context in GATED_MODES.items()}


def joined(value: Any) -> str:
    """A template string with its references as <Ref LogicalId> placeholders."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(part if isinstance(part, str) else f"<Ref {part['Ref']}>" for part in value["Fn::Join"][1])
    raise AssertionError(f"not a string: {value}")


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def alarms_of(template: Template) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"] for r in resources(template, "AWS::CloudWatch::Alarm").values()}


def topic_of(template: Template) -> str:
    (logical_id,) = resources(template, "AWS::SNS::Topic")
    return logical_id


def this_account(template: Template) -> str:
    (key,) = resources(template, "AWS::KMS::Key").values()
    root = next(s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Action"] == "kms:*")["Principal"]["AWS"]
    return root.split(":")[4]


def api_dimensions(synth: SynthesizedApp) -> list[dict[str, Any]]:
    if synth.config.api_type == "rest":
        return [{"Name": "ApiName", "Value": synth.names.api}, {"Name": "Stage", "Value": synth.config.stage}]
    (api_id,) = resources(synth.api, "AWS::ApiGatewayV2::Api")
    return [{"Name": "ApiId", "Value": {"Ref": api_id}}, {"Name": "Stage", "Value": synth.config.stage}]


@pytest.mark.parametrize("mode", API_MODES)
def test_every_alarm_notifies_the_accounts_topic_when_it_fires_and_clears(synths: dict[str, SynthesizedApp], mode: str) -> None:
    synth = synths[mode]
    templates = [synth.api] + ([synth.deployed("AuthorizerStack")] if mode == "lambda-authorizer" else [])
    templates += [synth.clients[CLIENT_STACK]] if mode in CLIENT_MODES else []
    for template in templates:
        topic = {"Ref": topic_of(template)}
        for name, alarm in alarms_of(template).items():
            assert (alarm["AlarmActions"], alarm["OKActions"]) == ([topic], [topic]), name
            assert alarm["TreatMissingData"] == "notBreaching", name  # no traffic is no errors
            assert len(alarm["AlarmDescription"]) > 40, name


@pytest.mark.parametrize("mode", API_MODES)
def test_the_api_alarms_watch_this_api_and_stage_with_thresholds_from_the_configuration(
    synths: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = synths[mode]
    alarms = alarms_of(synth.api)
    prefix, rest = synth.names.api, synth.config.api_type == "rest"
    expected = {
        "server-errors": ("AWS/ApiGateway", "5XXError" if rest else "5xx", "Average", api_operations.SERVER_ERROR_RATE),
        "client-errors": ("AWS/ApiGateway", "4XXError" if rest else "4xx", "Average", api_operations.CLIENT_ERROR_RATE),
        "near-throttle-limit": ("AWS/ApiGateway", "Count", "Sum", api_operations.NEAR_THROTTLE * synth.config.throttle_rate * 60),
    }
    for suffix, (namespace, metric, statistic, threshold) in expected.items():
        alarm = alarms[f"{prefix}-{suffix}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == (
            namespace, metric, statistic, threshold
        )  # fmt: skip
        assert alarm["Dimensions"] == api_dimensions(synth)
    p99 = alarms[f"{prefix}-p99-latency"]
    assert (p99["MetricName"], p99["ExtendedStatistic"], p99["Threshold"]) == ("Latency", "p99", api_operations.P99_LATENCY_MS)
    throttled = alarms[f"{prefix}-throttled"]
    assert (throttled["Namespace"], throttled["MetricName"]) == (prefix, "ThrottledRequests")
    assert throttled["Threshold"] == api_operations.THROTTLED_SHARE * synth.config.throttle_rate * 300
    (backend,) = [name for name in resources(synth.api, "AWS::Lambda::Function") if name.startswith("Backend")]
    for suffix, metric in (("backend-errors", "Errors"), ("backend-throttles", "Throttles")):
        alarm = alarms[f"{prefix}-{suffix}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (
            "AWS/Lambda", metric, [{"Name": "FunctionName", "Value": {"Ref": backend}}]
        )
    assert len(alarms) == 7


def test_the_thresholds_follow_throttle_rate() -> None:
    alarms = alarms_of(synthesize(throttle_rate=400).api)
    assert alarms["orders-api-prod-near-throttle-limit"]["Threshold"] == 0.8 * 400 * 60
    assert alarms["orders-api-prod-throttled"]["Threshold"] == 0.01 * 400 * 300


@pytest.mark.parametrize("mode", API_MODES)
def test_the_throttled_metric_counts_429s_in_the_access_log(synths: dict[str, SynthesizedApp], mode: str) -> None:
    synth = synths[mode]
    (access_logs,) = [name for name in resources(synth.api, "AWS::Logs::LogGroup") if "AccessLogs" in name]
    (metric_filter,) = resources(synth.api, "AWS::Logs::MetricFilter").values()
    assert metric_filter["Properties"]["LogGroupName"] == {"Ref": access_logs}
    assert metric_filter["Properties"]["FilterPattern"] == '{ $.status = "429" }'
    assert "status" in (REST_ACCESS_LOG_FIELDS if synth.config.api_type == "rest" else HTTP_ACCESS_LOG_FIELDS)


def rule_bodies(template: Template) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RuleName"]: json.loads(joined(r["Properties"]["RuleBody"]))
        for r in resources(template, "AWS::CloudWatch::InsightRule").values()
    }


@pytest.mark.parametrize("mode", API_MODES)
def test_the_insight_rules_rank_callers_by_fields_the_access_log_writes(synths: dict[str, SynthesizedApp], mode: str) -> None:
    synth = synths[mode]
    fields = REST_ACCESS_LOG_FIELDS if synth.config.api_type == "rest" else HTTP_ACCESS_LOG_FIELDS
    (access_logs,) = [name for name in resources(synth.api, "AWS::Logs::LogGroup") if "AccessLogs" in name]
    bodies = rule_bodies(synth.api)
    prefix = synth.names.api
    assert set(bodies) == {f"{prefix}-top-callers-by-{by}" for by in ("account", "principal", "error")}
    for body in bodies.values():
        assert body["Schema"] == {"Name": "CloudWatchLogRule", "Version": 1}
        assert (body["LogFormat"], body["AggregateOn"]) == ("JSON", "Count")
        assert body["LogGroupNames"] == [f"<Ref {access_logs}>"]
        used = body["Contribution"]["Keys"] + [f["Match"] for f in body["Contribution"]["Filters"]]
        assert 1 <= len(body["Contribution"]["Keys"]) <= 4
        assert {path.removeprefix("$.") for path in used} <= set(fields), used
    authorizer = mode == "lambda-authorizer"
    assert bodies[f"{prefix}-top-callers-by-account"]["Contribution"]["Keys"] == [
        "$.authorizerCallerAccount" if authorizer else "$.callerAccount"
    ]
    assert bodies[f"{prefix}-top-callers-by-error"]["Contribution"]["Filters"] == [
        {"Match": "$.status", "StartsWith": ["4", "5"]}
    ]


@pytest.mark.parametrize("mode", API_MODES)
def test_the_dashboard_shows_traffic_errors_latency_throttles_and_the_top_callers(
    synths: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = synths[mode]
    (dashboard,) = resources(synth.api, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == synth.names.api
    widgets = json.loads(joined(dashboard["Properties"]["DashboardBody"]))["widgets"]
    titles = [widget["properties"]["title"] for widget in widgets]
    assert titles == [
        "Requests per minute", "Errors (share of requests)", "Latency (ms)",
        "Top callers by account", "Top callers by principal", "Top callers with errors (4XX/5XX)",
        "Throttled requests (429)", "Backend errors and throttles", "Backend duration (ms)",
    ]  # fmt: skip
    rules = {widget["properties"]["insightRule"]["ruleName"] for widget in widgets if "insightRule" in widget["properties"]}
    assert rules == set(rule_bodies(synth.api))
    latency = next(widget for widget in widgets if widget["properties"]["title"] == "Latency (ms)")
    assert [metric[-1]["stat"] for metric in latency["properties"]["metrics"]] == ["p50", "p90", "p99"]
    if synth.config.api_type == "rest":
        assert latency["properties"]["metrics"][0][:6] == ["AWS/ApiGateway", "Latency", "ApiName", synth.names.api, "Stage", "prod"]


@pytest.mark.parametrize("mode", API_MODES)
def test_each_accounts_topic_is_encrypted_and_only_its_cloudwatch_alarms_may_publish(
    synths: dict[str, SynthesizedApp], mode: str
) -> None:
    synth = synths[mode]
    for template in [synth.api] + ([synth.clients[CLIENT_STACK]] if mode in CLIENT_MODES else []):
        (key_id, key), = resources(template, "AWS::KMS::Key").items()
        (topic,) = resources(template, "AWS::SNS::Topic").values()
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert key["Properties"]["EnableKeyRotation"] is True
        statements = key["Properties"]["KeyPolicy"]["Statement"]
        cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
        assert [(s["Sid"], s["Action"], s["Condition"]) for s in cloudwatch] == [
            ("CloudWatchAlarmsOfThisAccount", ["kms:Decrypt", "kms:GenerateDataKey"], {"StringEquals": {"aws:SourceAccount": this_account(template)}})
        ]
        (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
        publish = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert [(s["Principal"], s["Action"]) for s in publish] == [({"Service": "cloudwatch.amazonaws.com"}, "sns:Publish")]
        assert list(publish[0]["Condition"]) == ["StringEquals"]
        tls = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        (subscription,) = resources(template, "AWS::SNS::Subscription").values()
        assert (subscription["Properties"]["Protocol"], subscription["Properties"]["Endpoint"]) == ("email", "oncall@example.com")


def test_without_alarm_email_nothing_is_subscribed() -> None:
    assert resources(synthesize().api, "AWS::SNS::Subscription") == {}


@pytest.mark.parametrize("value", ["oncall", "oncall@", "a b@example.com", ["oncall@example.com"]])
def test_a_bad_alarm_email_names_the_key(value: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(alarm_email=value)
    assert raised.value.key == "alarm_email"


def test_the_authorizer_alarms_on_its_faults_and_latency_and_ranks_whom_it_refuses(synths: dict[str, SynthesizedApp]) -> None:
    synth = synths["lambda-authorizer"]
    authorizer = synth.deployed("AuthorizerStack")
    prefix = synth.names.authorizer_function
    alarms = alarms_of(authorizer)
    assert set(alarms) == {f"{prefix}-{suffix}" for suffix in ("faults", "p99-duration", "throttles")}
    (faults,) = resources(authorizer, "AWS::Logs::MetricFilter").values()
    assert faults["Properties"]["FilterPattern"] == '{ $.level = "ERROR" }'
    assert alarms[f"{prefix}-faults"]["MetricName"] == faults["Properties"]["MetricTransformations"][0]["MetricName"]
    assert alarms[f"{prefix}-p99-duration"]["ExtendedStatistic"] == "p99"
    (refused,) = rule_bodies(authorizer).values()
    assert refused["Contribution"] == {
        "Keys": ["$.callerArn", "$.reason"],
        "Filters": [{"Match": "$.decision", "In": ["deny"]}],
    }


@pytest.mark.parametrize("mode", CLIENT_MODES)
def test_each_client_account_alarms_on_its_requestors_failed_calls(synths: dict[str, SynthesizedApp], mode: str) -> None:
    synth = synths[mode]
    client = synth.clients[CLIENT_STACK]
    prefix = synth.names.requestor_role
    assert set(alarms_of(client)) == {f"{prefix}-{suffix}" for suffix in ("failed-calls", "errors", "throttles")}
    (failed,) = resources(client, "AWS::Logs::MetricFilter").values()
    assert '$.message = "api call"' in failed["Properties"]["FilterPattern"]
    assert "$.signed IS TRUE" in failed["Properties"]["FilterPattern"]  # not the unsigned probe of compare_unsigned


def test_the_readmes_picture_of_the_dashboard_is_drawn_from_its_definition() -> None:
    # Redraw it after changing the dashboard: make synth, then
    # python -m tools.dashboard_picture cdk.out/ApiStack.template.json docs/dashboard.svg
    drawn = dashboard_picture.svg(dashboard_picture.dashboard_body(synthesize().api.to_json()))
    assert (PROJECT_ROOT / "docs" / "dashboard.svg").read_text() == drawn
