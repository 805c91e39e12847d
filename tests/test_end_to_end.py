"""The requestor handler calls the backend handler through a local gateway double
that enforces SigV4 as API Gateway does (see gateway_double.py). Loopback only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_src.api import handler as backend
from lambda_src.requestor import handler as requestor
from tests.callers import REQUESTOR, STRANGER, run_as
from tests.gateway_double import BAD_SIGNATURE, INVALID_TOKEN, MISSING_TOKEN, GatewayDouble


@pytest.fixture
def events_seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def gateway(events_seen: list[dict[str, Any]]) -> Iterator[GatewayDouble]:
    def recording_backend(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events_seen.append(event)
        return backend.handler(event, context)

    with GatewayDouble(
        region="eu-west-1",
        stage="prod",
        callers=[REQUESTOR, STRANGER],
        backend=recording_backend,
        admitted=lambda principal_arn: principal_arn == REQUESTOR.principal_arn,
    ) as double:
        yield double


@pytest.fixture
def as_requestor(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> GatewayDouble:
    run_as(REQUESTOR, monkeypatch, gateway.url)
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
    result = requestor.handler({}, None)
    assert result["ok"] is False and result["statusCode"] == 403
    assert result["error"].startswith(f"the API answered 403: User: {STRANGER.principal_arn} is not authorized")


def test_a_wrong_secret_key_fails_signature_verification(
    gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    result = requestor.handler({}, None)
    assert (result["statusCode"], result["body"]) == (403, {"message": BAD_SIGNATURE})


def test_a_missing_session_token_is_rejected(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url)
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    result = requestor.handler({}, None)
    assert (result["statusCode"], result["body"]) == (403, {"message": INVALID_TOKEN})


def test_signing_for_another_region_is_rejected(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(REQUESTOR, monkeypatch, gateway.url, region="us-east-1")
    result = requestor.handler({}, None)
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
