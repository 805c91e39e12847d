"""The requestor's signing on every request shape, and its retries, backoff and time
budget, against the SigV4-verifying gateway double on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import urllib3
from botocore.credentials import Credentials

from lambda_src.requestor import handler as requestor
from lambda_src.requestor import transport
from lambda_src.requestor.signing import sign
from stacks.routes import Route
from tests.gateway_double import BAD_SIGNATURE, MISSING_TOKEN, GatewayDouble, Redirect
from tests.callers import REQUESTOR, run_as

ECHO_ROUTES = tuple(
    Route(method, path)
    for method in ("GET", "DELETE", "POST", "PUT", "PATCH")
    for path in ("/echo", "/echo/{item}")
)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A backend that answers with what API Gateway handed it."""
    seen = {key: event[key] for key in ("httpMethod", "pathParameters", "multiValueQueryStringParameters", "body")}
    seen["headers"] = {name: value for name, value in event["headers"].items() if name.startswith("x-caller")}
    return {"statusCode": 200, "body": json.dumps(seen)}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayDouble]:
    with GatewayDouble(region="eu-west-1", stage="prod", callers=[REQUESTOR], backend=echo, routes=ECHO_ROUTES) as double:
        run_as(REQUESTOR, monkeypatch, double.url)
        yield double


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff delays the requestor asked for, each its upper bound; nobody sleeps."""
    asked: list[float] = []
    monkeypatch.setattr(transport, "_sleep", asked.append)
    monkeypatch.setattr(transport.random, "uniform", lambda low, high: high)
    return asked


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"method": "GET", "path": "/echo"}, {"httpMethod": "GET", "body": None}),
        ({"method": "DELETE", "path": "/echo/42"}, {"httpMethod": "DELETE", "pathParameters": {"item": "42"}}),
        ({"method": "POST", "path": "/echo", "body": {"a": [1, "ü"]}}, {"body": '{"a": [1, "\\u00fc"]}'}),
        ({"method": "PUT", "path": "/echo/x", "body": {"b": None}}, {"httpMethod": "PUT", "body": '{"b": null}'}),
        ({"method": "PATCH", "path": "/echo", "body": "raw  text\\n"}, {"httpMethod": "PATCH", "body": "raw  text\\n"}),
        ({"method": "PUT", "path": "/echo", "body": "naïve ☃"}, {"body": "naïve ☃"}),
        ({"path": "/echo/a b[]%ä", "method": "GET"}, {"pathParameters": {"item": "a b[]%ä"}}),
        ({"path": "/echo/Ω≈ç√∫", "method": "DELETE"}, {"pathParameters": {"item": "Ω≈ç√∫"}}),
        ({"path": "/echo/ok:@!$&'()*+,;=", "method": "GET"}, {"pathParameters": {"item": "ok:@!$&'()*+,;="}}),
        (
            {"path": "/echo", "query": {"z": "1", "b": ["2", "1"], "a": "x y+z/ä&=?", "": "empty name", "e": ""}},
            {"multiValueQueryStringParameters": {"z": ["1"], "b": ["2", "1"], "a": ["x y+z/ä&=?"], "": ["empty name"], "e": [""]}},
        ),
        (
            # SigV4 signs header values with runs of spaces collapsed; they are sent as given.
            {"path": "/echo", "headers": {"X-Caller-Note": "spaced   out", "x-caller-id": "7"}},
            {"headers": {"x-caller-note": "spaced   out", "x-caller-id": "7"}},
        ),
    ],
)
def test_every_request_shape_is_signed_so_that_api_gateway_accepts_it(
    gateway: GatewayDouble, event: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = requestor.handler(event, None)
    assert (result["statusCode"], result["ok"]) == (200, True), result
    assert {key: result["body"][key] for key in expected} == expected
    assert "x-amz-security-token" in gateway.received[0]["headers"]["authorization"]


@pytest.mark.parametrize("faults", [[503, 429], [502, 504], ["drop", "drop"]])
def test_idempotent_calls_are_retried_and_each_attempt_is_signed(
    gateway: GatewayDouble, delays: list[float], faults: list[Any]
) -> None:
    gateway.faults = list(faults)
    result = requestor.handler({"method": "GET", "path": "/echo/1"}, None)
    assert (result["statusCode"], result["attempts"]) == (200, 3)
    # The double injects faults only after verifying a signature, so all three were valid.
    assert len(gateway.received) == 3 and all("authorization" in r["headers"] for r in gateway.received)
    assert delays == [0.1, 0.2]


def test_backoff_doubles_up_to_the_cap(gateway: GatewayDouble, delays: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_MAX_ATTEMPTS", "7")
    gateway.faults = [503] * 6
    assert requestor.handler({"method": "PUT", "path": "/echo", "body": "x"}, None)["attempts"] == 7
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]


def test_a_redirect_is_the_answer_and_is_never_followed(gateway: GatewayDouble, delays: list[float]) -> None:
    """A 302 to another host: were it followed, that host would get the request with the
    session token (urllib3 drops only Authorization on a redirect to another host)."""
    with GatewayDouble(region="eu-west-1", stage="prod", callers=[REQUESTOR], backend=echo, routes=ECHO_ROUTES) as other:
        elsewhere = other.url.replace("127.0.0.1", "localhost") + "/echo"
        gateway.faults = [Redirect(elsewhere)]
        result = requestor.handler({"method": "GET", "path": "/echo"}, None)
        assert (result["ok"], result["statusCode"], result["attempts"]) == (False, 302, 1)
        assert result["error"] == "the API answered 302: moved"
        assert other.received == []  # nothing, signed or not, went to the other host
        assert len(gateway.received) == 1  # nor a second time to the API


def test_a_post_is_never_retried(gateway: GatewayDouble, delays: list[float]) -> None:
    gateway.faults = [503]
    result = requestor.handler({"method": "POST", "path": "/echo", "body": {}}, None)
    assert (result["ok"], result["statusCode"], result["attempts"]) == (False, 503, 1)
    assert result["error"] == "the API answered 503: injected 503"


def test_an_auth_error_is_never_retried(gateway: GatewayDouble, delays: list[float]) -> None:
    result = requestor.handler({"method": "GET", "path": "/nowhere"}, None)
    assert (result["statusCode"], result["attempts"], result["body"]) == (403, 1, {"message": MISSING_TOKEN})
    assert delays == []


def test_when_attempts_run_out_the_last_failure_is_reported(gateway: GatewayDouble, delays: list[float]) -> None:
    gateway.faults = [503, 503, 503]
    result = requestor.handler({"path": "/echo"}, None)
    assert (result["ok"], result["statusCode"], result["attempts"]) == (False, 503, 3)


def test_retries_stop_when_the_functions_time_would_run_out(gateway: GatewayDouble, delays: list[float]) -> None:
    gateway.faults = [503] * 5
    gateway_context = SimpleNamespace(get_remaining_time_in_millis=lambda: 700)  # 0.2 s after the reserve
    result = requestor.handler({"path": "/echo"}, gateway_context)
    # After the first 503 a 0.1 s pause fits in 0.2 s; after the second a 0.2 s one does not.
    assert (result["statusCode"], result["attempts"], delays) == (503, 2, [0.1])


def test_an_api_that_never_answers_times_out_and_is_retried(
    gateway: GatewayDouble, delays: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_READ_TIMEOUT", "0.2")
    gateway.faults = ["stall"]
    result = requestor.handler({"path": "/echo"}, None)
    assert (result["statusCode"], result["attempts"]) == (200, 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [("API_MAX_ATTEMPTS", "0"), ("API_MAX_ATTEMPTS", "2.5"), ("API_READ_TIMEOUT", "soon"), ("API_CONNECT_TIMEOUT", "0")],
)
def test_bad_transport_settings_are_a_clear_error(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    run_as(REQUESTOR, monkeypatch, "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod")
    monkeypatch.setenv(name, value)
    result = requestor.handler({}, None)
    assert result["ok"] is False
    assert result["error"].startswith(f"environment variable {name} is {value!r}: expected a")


def test_a_server_that_drips_its_answer_cannot_hold_the_function_past_its_time(
    gateway: GatewayDouble, delays: list[float]
) -> None:
    gateway.faults = ["drip"]
    # 0.3 s after the reserve; each byte comes well within the read timeout, so only
    # the limit on the whole call can end it.
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 800)
    result = requestor.handler({"method": "POST", "path": "/echo", "body": {}}, context)
    assert (result["ok"], result["statusCode"], result["attempts"]) == (False, None, 1)
    assert result["error"].endswith("no complete answer within the function's remaining time")
    sent, whole = gateway.dripped
    assert 0 < sent < whole, "the requestor hung up before the answer was complete"


def test_the_time_limit_leaves_no_alarm_behind(gateway: GatewayDouble) -> None:
    before = signal.getsignal(signal.SIGALRM)
    assert requestor.handler({"path": "/echo"}, None)["ok"] is True
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_time_limit_leaves_an_alarm_of_someone_else_alone(gateway: GatewayDouble) -> None:
    fired: list[int] = []
    theirs = lambda signum, frame: fired.append(signum)  # noqa: E731
    previous = signal.signal(signal.SIGALRM, theirs)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        assert requestor.handler({"path": "/echo"}, None)["ok"] is True
        assert signal.getsignal(signal.SIGALRM) is theirs
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 50 and fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_answer_larger_than_the_limit_is_an_error_not_read_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def huge(event: dict[str, Any], context: Any) -> dict[str, Any]:
        size = transport.MAX_RESPONSE_BYTES if event["httpMethod"] == "POST" else 10
        return {"statusCode": 200, "body": json.dumps("x" * size)}

    with GatewayDouble(region="eu-west-1", stage="prod", callers=[REQUESTOR], backend=huge, routes=ECHO_ROUTES) as double:
        run_as(REQUESTOR, monkeypatch, double.url)
        result = requestor.handler({"method": "POST", "path": "/echo", "body": {}}, None)
        assert (result["ok"], result["statusCode"]) == (False, None)
        assert result["error"].endswith(f"the answer is larger than {transport.MAX_RESPONSE_BYTES} bytes")
        # The connection it left unread is not reused: the next answer is read whole.
        assert requestor.handler({"method": "GET", "path": "/echo"}, None)["body"] == "x" * 10


@contextlib.contextmanager
def half_answering_server() -> Iterator[tuple[str, list[int]]]:
    """On 127.0.0.1: answers the first request of its first connection with half of its
    body, and sends the other half only if another request comes on that connection
    (that is, if the client reused it), before that request's own answer; any request
    on a later connection gets a complete "ok". Yields the URL and the number of
    requests that came on each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    per_connection: list[int] = []
    half = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\nAAAAA"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def serve(connection: socket.socket, index: int) -> None:
        connection.settimeout(5)
        with connection, contextlib.suppress(OSError):  # the client may hang up at any time
            while data := connection.recv(65536):
                # A request line starts each request; a body may come in a segment of its own.
                if b" HTTP/1.1\r\n" not in data:
                    continue
                per_connection[index] += 1
                first = index == 0 and per_connection[0] == 1
                connection.sendall(half if first else (b"BBBBB" + ok if index == 0 else ok))

    def accept() -> None:
        with contextlib.suppress(OSError):
            for index in range(3):
                connection, _ = listener.accept()
                per_connection.append(0)
                threading.Thread(target=serve, args=(connection, index), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/prod", per_connection
    finally:
        listener.close()


def test_an_answer_cut_short_by_the_time_limit_never_goes_back_to_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    with half_answering_server() as (url, per_connection):
        run_as(REQUESTOR, monkeypatch, url)
        read_whole = transport._read_at_most

        def struck_mid_body(response: Any, limit: int) -> bytes | None:
            next(response.stream(5))
            raise transport.OutOfTime("the time limit struck in the middle of the body")

        monkeypatch.setattr(transport, "_read_at_most", struck_mid_body)
        assert requestor.handler({"method": "POST", "path": "/x"}, None)["ok"] is False
        monkeypatch.setattr(transport, "_read_at_most", read_whole)
        # Had the first connection gone back to the pool, this request would be sent on
        # it and read "BBBBB" as the start of its answer.
        assert requestor.handler({"method": "POST", "path": "/x"}, None)["body"] == "ok"
        assert per_connection == [1, 1]


class LongAnswer:
    """Ten full pieces, of a declared length or chunked; remembers what was read."""

    def __init__(self, declared: bool) -> None:
        self.length_remaining = 10 * transport.READ_CHUNK_BYTES if declared else None
        self.closed, self.pieces_read = False, 0

    def stream(self, amount: int) -> Iterator[bytes]:
        for _ in range(10):
            self.pieces_read += 1
            yield b"x" * amount

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("path", ["/./x", "/a/./b", "/.", "/echo/./x"])
def test_a_dot_segment_is_refused_and_nothing_is_sent(gateway: GatewayDouble, path: str) -> None:
    """urllib3 and the signer would both drop it, so the call would go to another path
    than the event names (/echo/./x to /echo/x)."""
    result = requestor.handler({"method": "GET", "path": path}, None)
    assert result == {"ok": False, "error": "event.path must not contain '.' or '..' segments"}
    assert gateway.received == []


@pytest.mark.parametrize("declared", [True, False])
def test_an_answer_over_the_limit_is_closed_not_left_for_the_pool(declared: bool) -> None:
    answer = LongAnswer(declared)
    assert transport._read_at_most(answer, 3 * transport.READ_CHUNK_BYTES) is None
    assert answer.closed
    # A declared length over the limit is refused before anything is read.
    assert answer.pieces_read == (0 if declared else 4)


def test_through_an_endpoint_without_private_dns_the_api_id_is_sent_and_signed(
    gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_ID", "a1b2c3d4e5")
    result = requestor.handler({"path": "/echo"}, None)
    assert result["ok"] is True  # the double verified the signature over every signed header
    headers = gateway.received[0]["headers"]
    assert headers["x-apigw-api-id"] == "a1b2c3d4e5"
    assert "x-apigw-api-id" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")


def test_the_double_refuses_a_host_signed_in_another_case_than_it_was_sent(gateway: GatewayDouble) -> None:
    port = gateway.url.split(":")[2].split("/")[0]
    url = f"http://127.0.0.1:{port}/prod/echo"
    credentials = Credentials(REQUESTOR.access_key, REQUESTOR.secret_key, REQUESTOR.session_token)
    signed = sign(credentials, "eu-west-1", "GET", url, {"Host": f"localhost:{port}"}, None)
    pool = urllib3.PoolManager(retries=False)
    as_signed = pool.request("GET", url, headers=signed)
    another_case = pool.request("GET", url, headers={**signed, "Host": f"LocalHost:{port}"})
    assert (as_signed.status, another_case.status) == (200, 403)
    assert another_case.json() == {"message": BAD_SIGNATURE}


def test_the_requestor_signs_the_host_it_sends_whatever_the_case_of_its_url(
    gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_URL", gateway.url.replace("127.0.0.1", "LocalHost"))
    result = requestor.handler({"path": "/echo"}, None)
    assert result["ok"] is True, result  # the double verified the signature over the Host as received
    headers = gateway.received[0]["headers"]
    assert headers["host"].lower() == f"localhost:{gateway.url.split(':')[2].split('/')[0]}"
    assert "host" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
