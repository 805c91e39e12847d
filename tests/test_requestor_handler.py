"""The requestor's input validation and request building, without the network."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_src.requestor import handler as requestor
from lambda_src.requestor.events import InvalidEvent, parse_event
from lambda_src.requestor.settings import Target, target_from_environment

TARGET = Target(base_url="https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", region="eu-west-1")
ENVIRONMENT = {
    "API_URL": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
    "API_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
}


def test_an_empty_event_is_get_root() -> None:
    request, compare_unsigned = parse_event({})
    assert (request.method, request.path, request.query, request.headers, request.body) == ("GET", "/", (), {}, None)
    assert compare_unsigned is False
    assert request.url(TARGET.base_url) == f"{TARGET.base_url}/"


def test_a_direct_invoke_with_no_payload_is_get_root() -> None:
    request, _ = parse_event(None)
    assert (request.method, request.path) == ("GET", "/")


def test_path_is_percent_encoded_and_query_keeps_repeated_keys() -> None:
    request, _ = parse_event(
        {"method": "get", "path": "/orders/ä b+%", "query": {"z": "1", "a": ["x y", "a/b"], "n": 5}}
    )
    assert request.method == "GET"
    assert request.url(TARGET.base_url) == f"{TARGET.base_url}/orders/%C3%A4%20b%2B%25?z=1&a=x%20y&a=a%2Fb&n=5"


def test_json_body_is_sent_as_json_and_text_as_text() -> None:
    json_request, _ = parse_event({"method": "POST", "path": "/orders", "body": {"category": "book"}})
    assert (json_request.body, json_request.headers) == (b'{"category": "book"}', {"Content-Type": "application/json"})
    text_request, _ = parse_event({"method": "PUT", "path": "/orders", "body": "plain"})
    assert (text_request.body, text_request.headers) == (b"plain", {"Content-Type": "text/plain; charset=utf-8"})


def test_a_callers_content_type_is_kept() -> None:
    request, _ = parse_event({"method": "POST", "body": "{}", "headers": {"content-type": "application/json"}})
    assert request.headers == {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("GET /", "event must be a JSON object, not str"),
        ({"metod": "GET"}, "event has unknown keys ['metod']"),
        ({"method": "FETCH"}, "event.method is 'FETCH': expected one of"),
        ({"method": 1}, "event.method is 1"),
        ({"path": "orders"}, "event.path is 'orders': expected a path starting with '/'"),
        ({"path": "/orders?id=1"}, "event.path must not contain '?' or '#'"),
        ({"path": "/orders/../admin"}, "event.path must not contain '.' or '..' segments"),
        ({"query": "a=1"}, "event.query must be an object"),
        ({"query": {"a": {"b": 1}}}, "event.query.a must be a string, a number, or a list of them"),
        ({"query": {"a": True}}, "event.query.a must be a string"),
        ({"headers": ["Accept"]}, "event.headers must be an object"),
        ({"headers": {"Accept": 1}}, "event.headers.Accept must be a string of printable ASCII characters"),
        ({"headers": {"Bad Name": "x"}}, "event.headers has the name 'Bad Name': expected letters, digits"),
        ({"headers": {"X-Note\n": "x"}}, "event.headers has the name 'X-Note\\n'"),
        ({"headers": {"X-Note": "a\r\nX-Injected: 1"}}, "event.headers.X-Note must be a string of printable ASCII"),
        ({"headers": {"X-Note": "caf\u00e9"}}, "event.headers.X-Note must be a string of printable ASCII"),
        ({"headers": {"X-Note": "\u2603"}}, "event.headers.X-Note must be a string of printable ASCII"),
        ({"headers": {"X-Note": "a", "x-note": "b"}}, "event.headers has x-note twice"),
        ({"headers": {"Authorization": "x"}}, "event.headers.Authorization is set by the signer"),
        ({"headers": {"X-Amz-Security-Token": "x"}}, "event.headers.X-Amz-Security-Token is set by the signer"),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "event.headers.Transfer-Encoding is set by the signer or the HTTP client"),
        ({"headers": {"Connection": "close"}}, "event.headers.Connection is set by the signer or the HTTP client"),
        ({"headers": {"X-Amz-Target": "x"}}, "event.headers.X-Amz-Target is set by the signer or the HTTP client"),
        ({"headers": {"x-apigw-api-id": "zzzzzzzzzz"}}, "event.headers.x-apigw-api-id is set by the signer or the HTTP client"),
        ({"method": "po\u017ft"}, "event.method is 'po\u017ft': expected one of"),
        ({"method": ["GET"]}, "event.method is ['GET']: expected one of"),
        ({"method": {"GET": 1}}, "event.method is {'GET': 1}: expected one of"),
        ({"path": "/orders/\ud800"}, "event.path has a lone surrogate"),
        ({"query": {"a": "\udfff"}}, "event.query.'a' has a lone surrogate"),
        ({"query": {"\ud800": "1"}}, "event.query has a lone surrogate"),
        ({"method": "POST", "body": "text \ud83d"}, "event.body has a lone surrogate"),
        ({"body": {"a": 1}}, "event.body is not allowed with GET"),
        ({"method": "POST", "body": 12}, "event.body must be a JSON object or array, or a string"),
        ({"compare_unsigned": "yes"}, "event.compare_unsigned must be true or false"),
    ],
)
def test_a_malformed_event_gets_an_error_result_naming_the_field(
    event: Any, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    result = requestor.handler(event, None)
    assert result["ok"] is False
    assert result["error"].startswith(message)
    with pytest.raises(InvalidEvent):
        parse_event(event)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("API_URL", "", "environment variable API_URL is ''"),
        ("API_URL", "http://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", "environment variable API_URL"),
        ("API_URL", "https://example.com/prod?x=1", "environment variable API_URL"),
        ("API_URL", "https://user:secret@example.com/prod", "environment variable API_URL"),
        ("API_REGION", "Ireland", "environment variable API_REGION is 'Ireland'"),
        ("API_REGION", "eu-west-1\n", "environment variable API_REGION is 'eu-west-1\\n'"),
        ("API_REGION", "eu-west-1x", "environment variable API_REGION is 'eu-west-1x'"),
        ("API_ID", "not-an-id", "environment variable API_ID is 'not-an-id'"),
        ("AWS_SECRET_ACCESS_KEY", "", "no AWS credentials in the environment"),
    ],
)
def test_a_misconfigured_function_gets_an_error_result(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, setting in {**ENVIRONMENT, name: value}.items():
        monkeypatch.setenv(key, setting)
    result = requestor.handler({}, None)
    assert result == {"ok": False, "error": result["error"]}
    assert result["error"].startswith(message)


def test_plain_http_is_accepted_only_on_loopback_for_local_tests() -> None:
    target = target_from_environment({"API_URL": "http://127.0.0.1:8080/prod/", "API_REGION": "eu-west-1"})
    assert target == Target(base_url="http://127.0.0.1:8080/prod", region="eu-west-1")


@pytest.mark.parametrize(
    ("base_url", "host"),
    [
        ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"),
        ("https://API.Example.com:443/prod", "api.example.com"),
        ("https://api.example.com:8443/prod", "api.example.com:8443"),
        ("http://127.0.0.1:8080/prod", "127.0.0.1:8080"),
        ("http://[::1]:8080/prod", "[::1]:8080"),
    ],
)
def test_the_host_header_is_the_one_urllib3_would_send(base_url: str, host: str) -> None:
    """The requestor sends and signs this Host itself: it must be what the URL names."""
    assert Target(base_url=base_url, region="eu-west-1").host == host
