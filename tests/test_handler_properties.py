"""Property-based tests of both handlers: no event, however odd, makes them raise,
and the requestor says `ok` only for a 2xx answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_src.api import handler as backend
from lambda_src.requestor import handler as requestor
from lambda_src.requestor import transport
from tests.callers import REQUESTOR

# Any text JSON can carry, lone surrogates (JSON's "\ud800" escapes) included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=12,
)
METHODS = st.sampled_from(["GET", "get", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FETCH", ""])
REQUESTOR_EVENTS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "method": METHODS | JSON_VALUES,
            "path": st.sampled_from(["/", "/orders/123", "/orders"]) | ANY_TEXT.map(lambda text: "/" + text) | JSON_VALUES,
            "query": st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=3) | JSON_VALUES,
            "headers": st.dictionaries(ANY_TEXT, ANY_TEXT | JSON_VALUES, max_size=3) | JSON_VALUES,
            "body": JSON_VALUES,
            "compare_unsigned": st.booleans() | JSON_VALUES,
        },
    ),
)
STATUSES = st.sampled_from([200, 201, 204, 299, 301, 400, 403, 404, 409, 429, 500, 502, 503, 504])
BODIES = st.one_of(
    st.binary(max_size=64),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 50_000).map(lambda depth: b"[" * depth + b"]" * depth),  # nested past Python's recursion limit
)


class FakeAnswer:
    """What urllib3 hands back: a status, headers and a body, of a declared length
    (read at once) or chunked (streamed in pieces)."""

    def __init__(self, status: int, content_type: str, data: bytes, chunked: bool = False) -> None:
        self.status, self.headers, self.data = status, {"Content-Type": content_type}, data
        self.length_remaining = None if chunked else len(data)

    def read(self) -> bytes:
        return self.data

    def stream(self, amount: int) -> Iterator[bytes]:
        for start in range(0, len(self.data), amount):
            yield self.data[start : start + amount]

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class FakeNetwork:
    """Stands in for the connection pool: answers each request with the next answer,
    or fails as a dropped connection does."""

    def __init__(self, answers: list[FakeAnswer | None]) -> None:
        self.answers = answers

    def request(self, method: str, url: str, **kwargs: Any) -> FakeAnswer:
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:
            raise urllib3.exceptions.ProtocolError("Connection aborted.")
        return answer


ANSWERS = st.lists(
    st.none()
    | st.builds(FakeAnswer, STATUSES, st.sampled_from(["application/json", "text/plain", ""]), BODIES, st.booleans()),
    max_size=4,
)


@pytest.fixture
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_URL", "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod")
    monkeypatch.setenv("API_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", REQUESTOR.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", REQUESTOR.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", REQUESTOR.session_token)
    monkeypatch.setattr(transport, "_sleep", lambda seconds: None)


def assert_is_a_result(result: Any) -> None:
    assert isinstance(result, dict) and isinstance(result["ok"], bool)
    json.dumps(result)  # Lambda must be able to return it
    calls = [result["signed"], result["unsigned"]] if "signed" in result else [result]
    for call in calls:
        status = call.get("statusCode")
        assert call["ok"] is (status is not None and 200 <= status < 300 and "error" not in call), call
        assert call["ok"] or isinstance(call["error"], str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=REQUESTOR_EVENTS, answers=ANSWERS)
def test_the_requestor_answers_every_event_and_is_ok_only_for_2xx(
    lambda_environment: None, monkeypatch: pytest.MonkeyPatch, event: Any, answers: list[FakeAnswer | None]
) -> None:
    monkeypatch.setattr(transport, "HTTP", FakeNetwork(answers))
    assert_is_a_result(requestor.handler(event, SimpleNamespace(get_remaining_time_in_millis=lambda: 3000)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=STATUSES, body=BODIES)
def test_ok_is_exactly_a_2xx_answer(lambda_environment: None, monkeypatch: pytest.MonkeyPatch, status: int, body: bytes) -> None:
    monkeypatch.setattr(transport, "HTTP", FakeNetwork([FakeAnswer(status, "application/json", body)]))
    result = requestor.handler({"method": "POST", "path": "/orders", "body": {}}, None)
    assert result["ok"] is (200 <= status < 300)
    assert_is_a_result(result)


ROUTE_KEYS = st.sampled_from([("GET", "/"), ("GET", "/orders/{id}"), ("POST", "/orders"), ("DELETE", "/orders")])
BACKEND_EVENTS = st.one_of(
    JSON_VALUES,
    st.tuples(ROUTE_KEYS, st.dictionaries(st.sampled_from(["body", "isBase64Encoded", "pathParameters", "requestContext"]), JSON_VALUES | ANY_TEXT)).map(
        lambda drawn: {"httpMethod": drawn[0][0], "resource": drawn[0][1], **drawn[1]}
    ),
    st.integers(1, 50_000).map(
        lambda depth: {"httpMethod": "POST", "resource": "/orders", "body": "[" * depth + "]" * depth}
    ),
    # An HTTP API's payload format 2.0.
    st.tuples(
        st.sampled_from(["GET /", "GET /orders/{id}", "POST /orders", "GET"]) | JSON_VALUES,
        st.dictionaries(st.sampled_from(["body", "isBase64Encoded", "pathParameters", "requestContext", "rawPath"]), JSON_VALUES | ANY_TEXT),
    ).map(lambda drawn: {"version": "2.0", "routeKey": drawn[0], **drawn[1]}),
)


@settings(max_examples=300, deadline=None)
@given(event=BACKEND_EVENTS)
def test_the_backend_answers_every_event_with_json_and_never_fails(event: Any) -> None:
    response = backend.handler(event, SimpleNamespace(aws_request_id="r-1"))
    assert response["statusCode"] in {200, 201, 400, 404}, response  # a 500 would be a fault of ours
    assert isinstance(json.loads(response["body"]), dict)
