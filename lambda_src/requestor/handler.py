"""Requestor: calls the API in another account, signed with SigV4.

Event (every key optional):
    {"method": "GET", "path": "/items/123", "query": {"a": "1", "tag": ["x", "y"]},
     "headers": {"Accept": "application/json"}, "body": {...} or "text",
     "compare_unsigned": false}
`path` is literal: the handler percent-encodes it, so "/items/a b" is sent as
"/items/a%20b". Result: {"ok": bool, "statusCode": int, "body": JSON or text, "attempts": int},
plus "error" when the call failed; with "compare_unsigned" the signed and the
unsigned results side by side.

Environment: API_URL and API_REGION (set by ClientStack); INVOKER_ROLE_ARN in
assume-role mode (the role to assume in the API account and sign with); API_ID when
API_URL names a VPC endpoint without private DNS (sent as x-apigw-api-id);
STS_ENDPOINT_URL when STS is reached through a VPC endpoint by its own name;
TOKEN_API_ID in lambda-authorizer mode: calls carry an identity token for this API id
(a presigned STS GetCallerIdentity, see lambda_src/authorizer) instead of a signature;
API_CONNECT_TIMEOUT and API_READ_TIMEOUT in seconds, API_MAX_ATTEMPTS.

Idempotent requests are retried with exponential backoff and full jitter on 429,
502, 503, 504 and connection errors, each attempt signed afresh, all within the
function's remaining time: that bounds the whole call, not only each socket read.
Answers over MAX_RESPONSE_BYTES are refused. Uses only the standard library, botocore
and urllib3, which the Lambda Python runtime ships.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
import os
import random
import re
import signal
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any, NamedTuple

import urllib3
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SERVICE = "execute-api"
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHODS = METHODS_WITH_BODY | {"GET", "HEAD", "OPTIONS"}
EVENT_KEYS = ("method", "path", "query", "headers", "body", "compare_unsigned")
# Set by the signer or the HTTP client (a caller's value would break the signature),
# or hop-by-hop headers, which describe one connection and are the client's to send;
# every X-Amz-* header is AWS's.
RESERVED_HEADERS = frozenset(
    {"host", "authorization", "content-length", "x-apigw-api-id"}
    | {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade", "expect"}
)
RESERVED_HEADER_PREFIX = "x-amz-"
# RFC 9110 tokens; values are visible ASCII, spaces and tabs: no line breaks, and
# nothing that http.client would send in another encoding than the one signed.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
ACCOUNT = re.compile(r"[0-9]{12}")
API_ID = re.compile(r"[a-z0-9]{10}")
# An API answer larger than this is an error, not read on. JSON escapes a control byte
# or an invalid UTF-8 byte as 6 characters, and compare_unsigned returns two answers:
# 2 x 6 x 256 KiB stays under the 6 MB that Lambda can return.
MAX_RESPONSE_BYTES = 256 * 1024
# Read in pieces: one read of MAX_RESPONSE_BYTES would allocate and clear that much per call.
READ_CHUNK_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ERROR_TEXT_LIMIT = 300
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 2.0
# Kept back from the function's remaining time, to answer before Lambda stops it.
TIME_RESERVE_SECONDS = 0.5
# Without a Lambda context (local runs), calls get this much time in all.
DEFAULT_BUDGET_SECONDS = 25.0
SETTINGS = {  # environment variable: (default, minimum, maximum)
    "API_CONNECT_TIMEOUT": (3.0, 0.1, 60.0),
    "API_READ_TIMEOUT": (10.0, 0.1, 900.0),
    "API_MAX_ATTEMPTS": (3, 1, 10),
}
ASSUMED_ROLE_REFRESH = datetime.timedelta(minutes=5)
SESSION_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_+=,.@-]")

# One pool for the life of the execution environment: warm invocations reuse its
# kept-alive TLS connection instead of paying a new handshake.
HTTP = urllib3.PoolManager(retries=False)
# assume-role mode: the invoker role's credentials, reused until shortly before they expire.
_assumed: dict[str, tuple[Credentials, datetime.datetime]] = {}
_sts_client: Any = None
_sleep = time.sleep


class InvalidInput(ValueError):
    """The event or the function's configuration is wrong; the message says how."""


class OutOfTime(TimeoutError):
    """The function's time ran out during a call. A TimeoutError, so that urllib3
    handles it as it handles a socket timeout: it closes the connection."""


# The value types are NamedTuples: four frozen dataclasses took 2.4 ms of the cold
# start here, four NamedTuples 0.4 ms.


class Credentials(NamedTuple):
    """What SigV4Auth reads of credentials. Importing botocore.credentials for its
    class of the same three fields took 11 ms here, a tenth of the cold start."""

    access_key: str
    secret_key: str
    token: str | None = None


class Target(NamedTuple):
    base_url: str
    region: str
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 3
    # Sent as x-apigw-api-id when base_url is a VPC endpoint's own DNS name.
    api_id: str | None = None
    # lambda-authorizer mode: the API id that identity tokens are minted for.
    token_api_id: str | None = None


class IdentityToken(NamedTuple):
    """What a call carries instead of a signature in lambda-authorizer mode."""

    value: str
    expires_at: float


class ApiRequest(NamedTuple):
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes | None

    def url(self, target: Target) -> str:
        path = urllib.parse.quote(self.path, safe="/-_.~")
        # Encoded as SigV4 canonicalizes it (%20, never +), so the signature covers
        # exactly the bytes API Gateway receives.
        query = urllib.parse.urlencode(self.query, safe="", quote_via=urllib.parse.quote)
        return f"{target.base_url}{path}" + (f"?{query}" if query else "")


def handler(event: Any, context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + _budget_seconds(context)
    try:
        target = target_from_environment(os.environ)
        request, compare_unsigned = parse_event(event)
        credentials: Credentials | IdentityToken = signing_credentials(os.environ, context)
        if target.token_api_id:
            credentials = identity_token(credentials, target)
    except InvalidInput as error:
        return {"ok": False, "error": str(error)}
    signed = call_api(request, target, credentials, deadline)
    if not compare_unsigned:
        return signed
    unsigned = call_api(request, target, None, deadline)
    return {"ok": signed["ok"], "signed": signed, "unsigned": unsigned}


def _budget_seconds(context: Any) -> float:
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return DEFAULT_BUDGET_SECONDS
    return max(0.0, remaining_ms() / 1000 - TIME_RESERVE_SECONDS)


def target_from_environment(environ: Any) -> Target:
    base_url = environ.get("API_URL", "")
    parts = urllib.parse.urlsplit(base_url)
    is_local_test = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not (parts.scheme == "https" or is_local_test) or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            f"environment variable API_URL is {base_url!r}: expected the stage's https invoke URL, "
            "such as https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod (set by ClientStack)"
        )
    region = environ.get("API_REGION", "")
    if not REGION.fullmatch(region):
        raise InvalidInput(
            f"environment variable API_REGION is {region!r}: expected the API's region, such as eu-west-1 "
            "(set by ClientStack)"
        )
    api_id, token_api_id = (environ.get(name) or None for name in ("API_ID", "TOKEN_API_ID"))
    for name, value in (("API_ID", api_id), ("TOKEN_API_ID", token_api_id)):
        if value is not None and not API_ID.fullmatch(value):
            raise InvalidInput(
                f"environment variable {name} is {value!r}: expected the API's 10-character id, such as a1b2c3d4e5 "
                "(set by ClientStack)"
            )
    connect_timeout, read_timeout, max_attempts = (_setting(environ, name) for name in SETTINGS)
    return Target(
        base_url=base_url.rstrip("/"),
        region=region,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=int(max_attempts),
        api_id=api_id,
        token_api_id=token_api_id,
    )


def _setting(environ: Any, name: str) -> float:
    default, minimum, maximum = SETTINGS[name]
    value = environ.get(name, "")
    if value == "":
        return default
    try:
        number = type(default)(value)
    except ValueError:
        number = None
    if number is None or not minimum <= number <= maximum:
        kind = "whole number" if isinstance(default, int) else "number"
        raise InvalidInput(f"environment variable {name} is {value!r}: expected a {kind} from {minimum} to {maximum}")
    return number


def signing_credentials(environ: Any, context: Any) -> Credentials:
    """The function's own credentials, or in assume-role mode the invoker role's."""
    own = credentials_from_environment(environ)
    role_arn = environ.get("INVOKER_ROLE_ARN")
    if not role_arn:
        return own
    cached = _assumed.get(role_arn)
    if cached is not None and cached[1] - _now() > ASSUMED_ROLE_REFRESH:
        return cached[0]
    session_name = invoker_session_name(context, environ.get("AWS_LAMBDA_FUNCTION_NAME", "requestor"))
    try:
        answer = _sts(environ).assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    except Exception as error:  # botocore's ClientError and connection errors alike
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        logger.warning("assume role failed", extra={"roleArn": role_arn, "errorCode": code})
        raise InvalidInput(f"could not assume INVOKER_ROLE_ARN {role_arn}: {error}") from None
    credentials = Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
    _assumed[role_arn] = (credentials, answer["Expiration"])
    return credentials


def invoker_session_name(context: Any, function_name: str) -> str:
    """`<this account>-<function name>`: the invoker role's trust policy admits only
    session names that start with the caller's own account, so the API's logs and
    backend can tell which client account called, and no client can pose as another."""
    function_arn = getattr(context, "invoked_function_arn", "")
    account = function_arn.split(":")[4] if function_arn.count(":") >= 6 else ""
    if not ACCOUNT.fullmatch(account):
        raise InvalidInput(
            "assume-role mode needs the Lambda context's invoked_function_arn, whose account names the session"
        )
    return f"{account}-{SESSION_NAME_UNSAFE.sub('-', function_name)}"[:64]


TOKEN_PREFIX = "iam-identity-v1."
TOKEN_LIFETIME_SECONDS = 900
# Reused for 8 of its 15 minutes, so that API Gateway's cache of the authorizer's
# answer (keyed on the token) serves the next calls; the authorizer refuses tokens
# older than 10 minutes, so that a cached Allow never outlives the 15.
TOKEN_RENEWAL_SECONDS = 420
_tokens: dict[tuple[str, str], IdentityToken] = {}


def identity_token(credentials: Credentials, target: Target) -> IdentityToken:
    """A presigned STS GetCallerIdentity for `target.token_api_id`: proof of who the
    caller is, good for that API only (its id is a signed header) and for 15 minutes."""
    key = (credentials.access_key, target.token_api_id)
    cached = _tokens.get(key)
    if cached is not None and cached.expires_at - time.time() > TOKEN_RENEWAL_SECONDS:
        return cached
    host = urllib.parse.urlsplit(target.base_url).hostname or ""
    domain = host.split(f".execute-api.{target.region}.", 1)[1] if f".execute-api.{target.region}." in host else "amazonaws.com"
    presign = AWSRequest(
        method="GET",
        url=f"https://sts.{target.region}.{domain}/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={"x-identity-audience": target.token_api_id},
    )
    SigV4QueryAuth(credentials, "sts", target.region, expires=TOKEN_LIFETIME_SECONDS).add_auth(presign)
    encoded = base64.urlsafe_b64encode(presign.url.encode()).decode().rstrip("=")
    token = IdentityToken(f"{TOKEN_PREFIX}{encoded}", time.time() + TOKEN_LIFETIME_SECONDS)
    _tokens[key] = token
    return token


def _sts(environ: Any) -> Any:
    global _sts_client
    if _sts_client is None:
        # Imported here: resource-policy mode never pays for botocore's session machinery.
        import botocore.config
        import botocore.session

        region = environ.get("AWS_REGION") or environ.get("API_REGION")
        # STS_ENDPOINT_URL: a VPC endpoint of STS, called by its own DNS name (set by ClientStack).
        endpoint_url = environ.get("STS_ENDPOINT_URL") or None
        if endpoint_url is not None and not endpoint_url.startswith("https://"):
            raise InvalidInput(f"environment variable STS_ENDPOINT_URL is {endpoint_url!r}: expected an https URL")
        # Short timeouts and one retry: the call to the API must still fit in the function's time.
        config = botocore.config.Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 2})
        _sts_client = botocore.session.get_session().create_client(
            "sts", region_name=region, config=config, endpoint_url=endpoint_url
        )
    return _sts_client


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def credentials_from_environment(environ: Any) -> Credentials:
    """The function's own role credentials, which Lambda puts in the environment."""
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise InvalidInput(
            "no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): "
            "run this handler as a Lambda function or export credentials"
        )
    return Credentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN"))


def parse_event(event: Any) -> tuple[ApiRequest, bool]:
    """The request the event asks for, and whether to send it unsigned too."""
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise InvalidInput(f"event must be a JSON object, not {type(event).__name__}")
    unknown = sorted(set(event) - set(EVENT_KEYS))
    if unknown:
        raise InvalidInput(f"event has unknown keys {unknown}; allowed keys: {', '.join(EVENT_KEYS)}")
    compare_unsigned = event.get("compare_unsigned", False)
    if not isinstance(compare_unsigned, bool):
        raise InvalidInput("event.compare_unsigned must be true or false")
    method = _parse_method(event.get("method", "GET"))
    headers = _parse_headers(event.get("headers", {}))
    body = _parse_body(event.get("body"), method, headers)
    request = ApiRequest(
        method=method,
        path=_parse_path(event.get("path", "/")),
        query=_parse_query(event.get("query", {})),
        headers=headers,
        body=body,
    )
    return request, compare_unsigned


def call_api(
    request: ApiRequest, target: Target, credentials: Credentials | IdentityToken | None, deadline: float
) -> dict[str, Any]:
    """Send the request, signed when credentials are given, retrying what is safe to
    retry while time is left; report any failure as such."""
    url = request.url(target)
    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        answer, failure = _attempt(request, url, target, credentials, deadline)
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
            "signed": credentials is not None,
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


class Answer(NamedTuple):
    status: int
    content_type: str
    data: bytes


def _attempt(
    request: ApiRequest, url: str, target: Target, credentials: Credentials | IdentityToken | None, deadline: float
) -> tuple[Answer | None, Exception | str | None]:
    headers = dict(request.headers)
    if target.api_id:
        headers["x-apigw-api-id"] = target.api_id  # signed with the rest
    if isinstance(credentials, IdentityToken):
        headers["Authorization"] = credentials.value
    elif credentials is not None:
        # Signed for each attempt: a signature is valid for five minutes only.
        signable = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
        SigV4Auth(credentials, SERVICE, target.region).add_auth(signable)
        headers = dict(signable.headers.items())
    remaining = max(0.01, deadline - time.monotonic())
    timeout = urllib3.Timeout(connect=min(target.connect_timeout, remaining), read=min(target.read_timeout, remaining))
    try:
        with _time_limit(remaining):
            response = HTTP.request(
                request.method, url, body=request.body, headers=headers, redirect=False, timeout=timeout,
                preload_content=False,
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


def _parse_method(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or value.upper() not in METHODS:
        raise InvalidInput(f"event.method is {value!r}: expected one of {', '.join(sorted(METHODS))}")
    return value.upper()


def _parse_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidInput(f"event.path is {value!r}: expected a path starting with '/', such as /items/123")
    if "?" in value or "#" in value:
        raise InvalidInput("event.path must not contain '?' or '#': put query parameters in event.query")
    if any(segment in (".", "..") for segment in value.split("/")):
        raise InvalidInput("event.path must not contain '.' or '..' segments")
    return _unicode_text("event.path", value)


def _unicode_text(field: str, value: str) -> str:
    """`value`, if it can be sent as UTF-8: JSON's \\ud800 escapes give lone surrogates, which cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} has a lone surrogate (such as \\ud800), which is not text that can be sent") from None
    return value


def _parse_query(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise InvalidInput('event.query must be an object of names to values, such as {"a": "1", "tag": ["x", "y"]}')
    pairs = []
    for name, values in value.items():
        for item in values if isinstance(values, list) else [values]:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise InvalidInput(f"event.query.{name} must be a string, a number, or a list of them")
            pairs.append((_unicode_text("event.query", name), _unicode_text(f"event.query.{name!r}", str(item))))
    return tuple(pairs)


def _parse_headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput("event.headers must be an object of header names to string values")
    seen: set[str] = set()
    for name, header_value in value.items():
        if not HEADER_NAME.fullmatch(name):
            raise InvalidInput(f"event.headers has the name {name!r}: expected letters, digits and !#$%&'*+.^_`|~-")
        if not isinstance(header_value, str) or not HEADER_VALUE.fullmatch(header_value):
            raise InvalidInput(
                f"event.headers.{name} must be a string of printable ASCII characters, spaces and tabs (no line breaks)"
            )
        if name.lower() in RESERVED_HEADERS or name.lower().startswith(RESERVED_HEADER_PREFIX):
            raise InvalidInput(f"event.headers.{name} is set by the signer or the HTTP client and must not be given")
        if name.lower() in seen:
            raise InvalidInput(f"event.headers has {name} twice (header names are case-insensitive)")
        seen.add(name.lower())
    return dict(value)


def _parse_body(value: Any, method: str, headers: dict[str, str]) -> bytes | None:
    if value is None:
        return None
    if method not in METHODS_WITH_BODY:
        raise InvalidInput(f"event.body is not allowed with {method}; use POST, PUT, PATCH or DELETE")
    has_content_type = any(name.lower() == "content-type" for name in headers)
    if isinstance(value, (dict, list)):
        if not has_content_type:
            headers["Content-Type"] = "application/json"
        return json.dumps(value).encode()
    if isinstance(value, str):
        if not has_content_type:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return _unicode_text("event.body", value).encode()
    raise InvalidInput("event.body must be a JSON object or array, or a string")


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
