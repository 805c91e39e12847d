"""Sending one request to the API: over one pool of kept-alive connections, retrying
what is safe to retry, within the function's remaining time, reading at most
MAX_RESPONSE_BYTES of the answer. Never follows a redirect: a 3xx is the answer.

Idempotent requests are retried with exponential backoff and full jitter on 429,
502, 503, 504 and connection errors, each attempt authorized afresh (a signature is
valid for five minutes), all within the function's remaining time: that bounds the
whole call, not only each socket read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import urllib3

# An API answer larger than this is an error, not read on. JSON escapes a control byte
# or an invalid UTF-8 byte as 6 characters, and compare_unsigned returns two answers:
# 2 x 6 x 256 KiB stays under the 6 MB that Lambda can return.
MAX_RESPONSE_BYTES = 256 * 1024
# Read in pieces: one read of MAX_RESPONSE_BYTES would allocate and clear that much per call.
READ_CHUNK_BYTES = 64 * 1024
ERROR_TEXT_LIMIT = 300
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 2.0

logger = logging.getLogger()
# One pool for the life of the execution environment: warm invocations reuse its
# kept-alive TLS connection instead of paying a new handshake. retries=False: urllib3
# neither retries (this module does) nor follows redirects.
HTTP = urllib3.PoolManager(retries=False)
_sleep = time.sleep

# What authorizes one attempt: the method, the URL, the headers to send and the body
# in; the headers to send out, which must be the ones given and what authorizes them.
Authorize = Callable[[str, str, dict[str, str], bytes | None], dict[str, str]]


class OutOfTime(TimeoutError):
    """The function's time ran out during a call. A TimeoutError, so that urllib3
    handles it as it handles a socket timeout: it closes the connection."""


class Answer(NamedTuple):
    status: int
    content_type: str
    data: bytes


def call_api(request: Any, target: Any, authorize: Authorize | None, deadline: float) -> dict[str, Any]:
    """Send `request` (events.ApiRequest) to `target` (settings.Target), authorized by
    `authorize` for each attempt or unsigned when it is None, retrying what is safe to
    retry while time is left; report any failure as such."""
    url = request.url(target.base_url)
    # Given, not left to urllib3, so that the signature covers the Host that is sent.
    headers = {"Host": target.host, **request.headers}
    if target.api_id:
        headers["x-apigw-api-id"] = target.api_id  # signed with the rest
    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        sent = headers if authorize is None else authorize(request.method, url, headers, request.body)
        answer, failure = _attempt(request.method, url, sent, request.body, target, deadline)
        retryable = request.method in IDEMPOTENT_METHODS and (
            failure is not None or answer.status in RETRYABLE_STATUSES
        )
        delay = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)))
        if not retryable or attempts >= target.max_attempts or time.monotonic() + delay >= deadline:
            break
        _sleep(delay)
    status = None if answer is None else answer.status
    logger.info(
        "api call",
        # Never headers or bodies: they carry the signature and the session token.
        extra={
            "method": request.method,
            "path": request.path,
            "signed": authorize is not None,
            "status": status,
            "attempts": attempts,
            "latencyMs": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    if answer is None:
        error = f"could not reach the API at {target.base_url}: {failure}"
        return {"ok": False, "statusCode": None, "attempts": attempts, "error": error}
    body = _decode_body(answer)
    result: dict[str, Any] = {"ok": 200 <= status < 300, "statusCode": status, "body": body, "attempts": attempts}
    if not result["ok"]:
        result["error"] = f"the API answered {status}: {_message_of(body)}"
    return result


def _attempt(
    method: str, url: str, headers: dict[str, str], body: bytes | None, target: Any, deadline: float
) -> tuple[Answer | None, Exception | str | None]:
    remaining = max(0.01, deadline - time.monotonic())
    timeout = urllib3.Timeout(connect=min(target.connect_timeout, remaining), read=min(target.read_timeout, remaining))
    try:
        with _time_limit(remaining):
            response = HTTP.request(
                method, url, body=body, headers=headers, redirect=False, timeout=timeout, preload_content=False
            )
            try:
                data = _read_at_most(response, MAX_RESPONSE_BYTES)
            except BaseException:
                response.close()  # a half-read answer must never go back to the pool
                raise
            finally:
                response.release_conn()
            if data is None:
                return None, f"the answer is larger than {MAX_RESPONSE_BYTES} bytes"
    except (urllib3.exceptions.HTTPError, OutOfTime) as error:
        if isinstance(error, OutOfTime):
            # It may have struck inside urllib3's bookkeeping: start over with a fresh pool.
            HTTP.clear()
        if time.monotonic() >= deadline - 0.01:
            return None, "no complete answer within the function's remaining time"
        return None, error
    return Answer(response.status, response.headers.get("Content-Type") or "", data), None


def _read_at_most(response: urllib3.BaseHTTPResponse, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than `limit`; the rest is then left
    unread and the connection closed, so that it is not reused."""
    declared = response.length_remaining  # from Content-Length; None when chunked
    if declared is not None and declared > limit:
        response.close()
        return None
    if declared is not None:
        return response.read()  # one read, bounded by the declared length
    chunks, size = [], 0
    for chunk in response.stream(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            response.close()
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupts the call when `seconds` have passed. urllib3's timeouts bound each
    socket read, so a server that sends a byte at a time would otherwise hold the
    function past its end. SIGALRM works only in the main thread, where Lambda runs
    handlers, and is left alone when something else already uses it; then the
    per-read timeouts are the only bound."""
    previous = signal.getsignal(signal.SIGALRM)
    in_use = previous not in (signal.SIG_DFL, signal.SIG_IGN) or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    if threading.current_thread() is not threading.main_thread() or in_use:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise OutOfTime(f"no complete answer within {seconds:.2f} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _decode_body(answer: Answer) -> Any:
    text = answer.data.decode("utf-8", errors="replace")
    if "json" in answer.content_type:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # a JSON nested deeper than Python recurses is text
            pass
    return text


def _message_of(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(body)[:ERROR_TEXT_LIMIT]
