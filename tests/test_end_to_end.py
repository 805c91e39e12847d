"""The requestor handler calls the backend handler through a local gateway double
that enforces SigV4 as API Gateway does (see gateway_double.py), and IAM as the
deployed stacks say: the stacks are synthesized, the client stack's references to
ApiStack resolved as CloudFormation would (tests/deploy_time.py), and the double
admits a call only when IAM evaluation of the deployed client role's identity policy
and the deployed API's resource policy allows it. Loopback only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_src.api import handler as backend
from lambda_src.requestor import handler as requestor
from tests.callers import REQUESTOR, STRANGER, run_as
from tests.conftest import SynthesizedApp, synthesize
from tests.deploy_time import DEPLOYED_API_ID
from tests.gateway_double import BAD_SIGNATURE, HEALTH_REQUEST, INVALID_TOKEN, MISSING_TOKEN, Caller, GatewayDouble
from tests.iam import invoke_allowed

API_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:{DEPLOYED_API_ID}"


@pytest.fixture
def events_seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture(scope="module")
def deployed() -> SynthesizedApp:
    return synthesize()


def role_of(session_arn: str) -> str:
    """aws:PrincipalArn of an assumed-role session: its role's ARN."""
    account, role_name = session_arn.split(":")[4], session_arn.split("/")[1]
    return f"arn:aws:iam::{account}:role/{role_name}"


def iam_allows(deployed: SynthesizedApp) -> Any:
    """IAM's decision for a caller, given the deployed client role's identity policy
    (for the requestor; none for anyone else) and the deployed API's resource policy."""
    (api,) = deployed.api.find_resources("AWS::ApiGateway::RestApi").values()
    (policy,) = [p for n, p in deployed.deployed_client.find_resources("AWS::IAM::Policy").items() if n.startswith("RequestorRole")]
    requestor_policy = policy["Properties"]["PolicyDocument"]
    nothing = {"Version": "2012-10-17", "Statement": []}

    def allows(caller: Caller, route_arn: str) -> bool:
        identity = requestor_policy if caller is REQUESTOR else nothing
        return invoke_allowed(role_of(caller.principal_arn), identity, route_arn, api["Properties"]["Policy"], API_ARN)

    return allows


@pytest.fixture
def gateway(deployed: SynthesizedApp, events_seen: list[dict[str, Any]]) -> Iterator[GatewayDouble]:
    def recording_backend(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events_seen.append(event)
        return backend.handler(event, context)

    with GatewayDouble(
        region="eu-west-1",
        stage="prod",
        callers=[REQUESTOR, STRANGER],
        backend=recording_backend,
        identity_allows=iam_allows(deployed),
        api_arn=API_ARN,
    ) as double:
        yield double


def test_the_deployed_requestor_calls_the_api_it_read_from_api_stack(deployed: SynthesizedApp) -> None:
    (function,) = deployed.deployed_client.find_resources("AWS::Lambda::Function").values()
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment == {"API_URL": f"https://{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com/prod", "API_REGION": "eu-west-1"}


@pytest.fixture
def as_requestor(deployed: SynthesizedApp, gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> GatewayDouble:
    """The requestor with its deployed environment, its URL's host on loopback."""
    (function,) = deployed.deployed_client.find_resources("AWS::Lambda::Function").values()
    environment = function["Properties"]["Environment"]["Variables"]
    deployed_url = environment["API_URL"]
    assert deployed_url.endswith(f"/{gateway.stage}")
    run_as(REQUESTOR, monkeypatch, gateway.url, region=environment["API_REGION"])
    return gateway


def test_signed_get_reaches_the_backend_as_the_verified_principal(as_requestor: GatewayDouble) -> None:
    result = requestor.handler({}, None)
    assert result == {
        "ok": True,
        "statusCode": 200,
        "body": {
            "account": "444455556666",
            "principal": REQUESTOR.principal_arn,
            "caller": "requestor",
            "sourceIp": "127.0.0.1",
            "clientAccount": "444455556666",
        },
        "attempts": 1,
    }
    (received,) = as_requestor.received
    assert received["headers"]["x-amz-security-token"] == REQUESTOR.session_token
    assert "x-amz-security-token" in received["headers"]["authorization"]


def test_compare_unsigned_shows_403_unsigned_beside_200_signed(as_requestor: GatewayDouble) -> None:
    result = requestor.handler({"path": "/orders/123", "compare_unsigned": True}, None)
    assert result["ok"] is True
    assert result["signed"] == {"ok": True, "statusCode": 200, "body": {"id": "123", "category": "book"}, "attempts": 1}
    assert result["unsigned"] == {
        "ok": False,
        "statusCode": 403,
        "body": {"message": MISSING_TOKEN},
        "attempts": 1,
        "error": f"the API answered 403: {MISSING_TOKEN}",
    }


def test_get_with_unsorted_repeated_and_encoded_query(as_requestor: GatewayDouble, events_seen: list) -> None:
    query = {"zeta": "last", "tag": ["b side", "a&b=c"], "alpha": "ä/ö", "empty": "", "n": 7}
    result = requestor.handler({"path": "/orders/123", "query": query}, None)
    assert result["statusCode"] == 200, result
    assert events_seen[0]["multiValueQueryStringParameters"] == {
        "zeta": ["last"],
        "tag": ["b side", "a&b=c"],
        "alpha": ["ä/ö"],
        "empty": [""],
        "n": ["7"],
    }


def test_path_with_characters_that_need_encoding(as_requestor: GatewayDouble, events_seen: list) -> None:
    order_id = "ä b+%:@,;=~!*'()$"
    result = requestor.handler({"path": f"/orders/{order_id}"}, None)
    assert result["statusCode"] == 404, result
    assert result["body"] == {"message": f"order {order_id!r} not found"}
    assert events_seen[0]["pathParameters"] == {"id": order_id}


def test_post_with_a_json_body_creates_the_order(as_requestor: GatewayDouble) -> None:
    event = {"method": "POST", "path": "/orders", "body": {"category": "book", "quantity": 3}}
    result = requestor.handler(event, None)
    assert result["ok"] is True and result["statusCode"] == 201
    assert {k: result["body"][k] for k in ("category", "quantity", "createdBy")} == {
        "category": "book",
        "quantity": 3,
        "createdBy": REQUESTOR.principal_arn,
    }


def test_post_with_extra_headers_and_a_text_body_is_signed_and_the_api_rejects_the_text(
    as_requestor: GatewayDouble,
) -> None:
    event = {"method": "POST", "path": "/orders", "body": "not json", "headers": {"X-Trace-Note": "  a   b  "}}
    result = requestor.handler(event, None)
    assert result["ok"] is False and result["statusCode"] == 400
    assert result["error"].startswith("the API answered 400: body is not valid JSON")
    assert "x-trace-note" in as_requestor.received[0]["headers"]["authorization"]


def test_a_principal_the_resource_policy_does_not_admit_is_denied(
    gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_as(STRANGER, monkeypatch, gateway.url)
    result = requestor.handler(HEALTH_REQUEST, None)
    assert result["ok"] is False and result["statusCode"] == 403
    assert result["error"].startswith(f"the API answered 403: User: {STRANGER.principal_arn} is not authorized")


def test_a_wrong_secret_key_fails_signature_verification(
    gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    result = requestor.handler(HEALTH_REQUEST, None)
    assert (result["statusCode"], result["body"]) == (403, {"message": BAD_SIGNATURE})


def test_a_missing_session_token_is_rejected(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url)
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    result = requestor.handler(HEALTH_REQUEST, None)
    assert (result["statusCode"], result["body"]) == (403, {"message": INVALID_TOKEN})


def test_signing_for_another_region_is_rejected(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url, region="us-east-1")
    result = requestor.handler(HEALTH_REQUEST, None)
    assert result["statusCode"] == 403
    assert "scoped to a valid region" in result["error"]


def test_a_route_the_api_does_not_have_is_missing_authentication_token(as_requestor: GatewayDouble) -> None:
    result = requestor.handler({"method": "DELETE", "path": "/orders/123"}, None)
    assert (result["statusCode"], result["body"]) == (403, {"message": MISSING_TOKEN})


def test_an_unreachable_api_is_reported_as_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    run_as(REQUESTOR, monkeypatch, f"http://127.0.0.1:{closed_port}/prod")
    result = requestor.handler({}, None)
    assert result["ok"] is False and result["statusCode"] is None
    assert result["error"].startswith(f"could not reach the API at http://127.0.0.1:{closed_port}/prod")


def test_logs_carry_the_call_but_never_credentials_or_signatures(
    as_requestor: GatewayDouble, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        requestor.handler({"method": "POST", "path": "/orders", "body": {"category": "book"}}, None)
    (record,) = [r for r in caplog.records if r.getMessage() == "api call"]
    assert (record.method, record.path, record.status, record.signed, record.attempts) == ("POST", "/orders", 201, True, 1)
    assert record.latencyMs > 0
    logged = caplog.text + repr([vars(r) for r in caplog.records])
    for secret in (REQUESTOR.secret_key, REQUESTOR.session_token, "Signature=", "AWS4-HMAC-SHA256"):
        assert secret not in logged
