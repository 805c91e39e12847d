"""The orders backend, called with API Gateway proxy events as API Gateway sends them."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest

from lambda_src.api.handler import ROUTES as HANDLED_ROUTES
from lambda_src.api.handler import handler
from stacks.routes import SERVICE

CONTEXT = SimpleNamespace(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
CALLER_ARN = "arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/requestor"


def proxy_event(method: str, resource: str, path: str, **overrides: Any) -> dict[str, Any]:
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"},
        "queryStringParameters": None,
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {
                "accountId": "444455556666",
                "userArn": CALLER_ARN,
                "caller": "AROAEXAMPLEID:requestor",
                "sourceIp": "203.0.113.7",
            },
        },
    }
    event.update(overrides)
    return event


def call(event: Any) -> tuple[int, Any]:
    response = handler(event, CONTEXT)
    assert response["headers"] == {"Content-Type": "application/json"}
    return response["statusCode"], json.loads(response["body"])


def test_the_handler_serves_every_deployed_route() -> None:
    assert set(HANDLED_ROUTES) == {(route.method, route.path) for route in SERVICE.routes}


def test_who_am_i_returns_the_caller_api_gateway_verified() -> None:
    assert call(proxy_event("GET", "/", "/")) == (
        200,
        {
            "account": "444455556666",
            "principal": CALLER_ARN,
            "caller": "AROAEXAMPLEID:requestor",
            "sourceIp": "203.0.113.7",
            "clientAccount": "444455556666",
        },
    )


INVOKER_SESSION = "arn:aws:sts::111122223333:assumed-role/orders-api-invoker-prod-eu-west-1/{session}"


@pytest.mark.parametrize(
    ("session", "client_account"),
    [
        ("444455556666-ClientStack-RequestorFunction", "444455556666"),
        ("444455556666", None),  # not a name the trust policy lets anyone choose
        ("requestor", None),
    ],
)
def test_behind_the_invoker_role_the_client_account_comes_from_the_session_name(
    monkeypatch: pytest.MonkeyPatch, session: str, client_account: str | None
) -> None:
    monkeypatch.setenv("INVOKER_ROLE_NAME", "orders-api-invoker-prod-eu-west-1")
    identity = {"accountId": "111122223333", "userArn": INVOKER_SESSION.format(session=session), "caller": "AROA:x"}
    status, body = call(proxy_event("GET", "/", "/", requestContext={"identity": identity}))
    assert (status, body["account"], body["clientAccount"]) == (200, "111122223333", client_account)


@pytest.mark.parametrize(
    "role",
    ["orders-api-backend-ops", "orders-api-invoker-prod-eu-west-1-evil", "orders-api-invoker-prod-eu-west-"],
)
def test_only_the_invoker_roles_session_name_is_trusted_for_the_client_account(
    monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    # Any role of the API account may choose its session names: only the invoker role's
    # trust policy makes the name start with the caller's account.
    monkeypatch.setenv("INVOKER_ROLE_NAME", "orders-api-invoker-prod-eu-west-1")
    principal = f"arn:aws:sts::111122223333:assumed-role/{role}/444455556666-ClientStack-RequestorFunction"
    identity = {"accountId": "111122223333", "userArn": principal, "caller": "AROA:x"}
    status, body = call(proxy_event("GET", "/", "/", requestContext={"identity": identity}))
    assert (status, body["principal"], body["clientAccount"]) == (200, principal, "111122223333")


def test_without_an_invoker_role_the_client_account_is_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVOKER_ROLE_NAME", raising=False)
    identity = {"accountId": "111122223333", "userArn": INVOKER_SESSION.format(session="444455556666-x")}
    assert call(proxy_event("GET", "/", "/", requestContext={"identity": identity}))[1]["clientAccount"] == "111122223333"


def test_get_known_order() -> None:
    event = proxy_event("GET", "/orders/{id}", "/orders/123", pathParameters={"id": "123"})
    assert call(event) == (200, {"id": "123", "category": "book"})


def test_get_unknown_order_is_a_json_404() -> None:
    event = proxy_event("GET", "/orders/{id}", "/orders/999", pathParameters={"id": "999"})
    assert call(event) == (404, {"message": "order '999' not found"})


def test_get_order_with_an_overlong_id_is_a_400() -> None:
    event = proxy_event("GET", "/orders/{id}", "/orders/x", pathParameters={"id": "x" * 65})
    assert call(event) == (400, {"message": "order id must be 1 to 64 characters"})


def test_post_order_creates_it_for_the_caller() -> None:
    event = proxy_event("POST", "/orders", "/orders", body=json.dumps({"category": " book ", "quantity": 2}))
    status, created = call(event)
    assert status == 201
    assert {key: created[key] for key in ("category", "quantity", "createdBy")} == {
        "category": "book",
        "quantity": 2,
        "createdBy": CALLER_ARN,
    }
    assert len(created["id"]) == 12


def test_post_order_accepts_a_base64_body() -> None:
    body = base64.b64encode(json.dumps({"category": "music"}).encode()).decode()
    status, created = call(proxy_event("POST", "/orders", "/orders", body=body, isBase64Encoded=True))
    assert (status, created["category"], created["quantity"]) == (201, "music", 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "body must be a JSON object such as"),
        ("{not json", "body is not valid JSON"),
        ("[1, 2]", "body must be a JSON object, not list"),
        ('{"quantity": 1}', "body.category must be a non-empty string"),
        ('{"category": "   "}', "body.category must be a non-empty string"),
        ('{"category": "book", "quantity": 0}', "body.quantity must be a whole number from 1 to 1000"),
        ('{"category": "book", "quantity": true}', "body.quantity must be a whole number"),
        ('{"category": "book", "quantity": 1.5}', "body.quantity must be a whole number"),
        ('{"category": "book", "price": 3}', "body has unknown fields ['price']"),
    ],
)
def test_post_order_with_a_bad_body_is_a_400_that_says_why(body: str | None, message: str) -> None:
    status, answer = call(proxy_event("POST", "/orders", "/orders", body=body))
    assert status == 400
    assert answer["message"].startswith(message)


def test_unknown_route_is_a_json_404() -> None:
    assert call(proxy_event("DELETE", "/orders/{id}", "/orders/123")) == (404, {"message": "no route for DELETE /orders/123"})


@pytest.mark.parametrize("event", [None, [], "GET /", 42])
def test_an_event_that_is_not_an_object_is_a_400(event: Any) -> None:
    assert call(event)[0] == 400


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"httpMethod": "GET", "resource": "/"},
        {"httpMethod": "GET", "resource": "/", "requestContext": None},
        {"httpMethod": "GET", "resource": "/orders/{id}", "pathParameters": None},
        {"httpMethod": "POST", "resource": "/orders", "body": 12},
        {"httpMethod": ["GET"], "resource": "/"},
    ],
)
def test_odd_events_get_a_json_answer_not_a_crash(event: dict[str, Any]) -> None:
    status, answer = call(event)
    assert status in (200, 400, 404) and isinstance(answer, dict)


def test_an_unexpected_fault_is_a_500_with_the_request_id(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("database is on fire")

    monkeypatch.setitem(HANDLED_ROUTES, ("GET", "/"), broken)
    assert call(proxy_event("GET", "/", "/")) == (
        500,
        {"message": "internal error", "requestId": CONTEXT.aws_request_id},
    )


def http_api_event(route_key: str, raw_path: str, **overrides: Any) -> dict[str, Any]:
    """An HTTP API's payload format 2.0 event for an IAM-authorized route."""
    method = route_key.split(" ")[0]
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": f"/prod{raw_path}",
        "rawQueryString": "",
        "headers": {"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "accountId": "111122223333",
            "apiId": "a1b2c3d4e5",
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAIOSFODNN7EXAMPLE",
                    "accountId": "444455556666",
                    "callerId": "AROAEXAMPLEID:requestor",
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": CALLER_ARN,
                    "userId": "AROAEXAMPLEID:requestor",
                }
            },
            "http": {"method": method, "path": f"/prod{raw_path}", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "routeKey": route_key,
            "stage": "prod",
        },
        "isBase64Encoded": False,
    }
    event.update(overrides)
    return event


def test_an_http_api_event_gets_the_same_answers_as_a_rest_one() -> None:
    assert call(http_api_event("GET /", "/")) == call(proxy_event("GET", "/", "/"))
    known = http_api_event("GET /orders/{id}", "/orders/123", pathParameters={"id": "123"})
    assert call(known) == (200, {"id": "123", "category": "book"})
    status, created = call(http_api_event("POST /orders", "/orders", body='{"category": "book", "quantity": 2}'))
    assert (status, created["createdBy"], created["clientAccount"]) == (201, CALLER_ARN, "444455556666")


def test_an_http_api_event_for_no_route_is_a_json_404() -> None:
    assert call(http_api_event("DELETE /orders", "/orders")) == (404, {"message": "no route for DELETE /prod/orders"})
