"""A local stand-in for API Gateway's IAM authorization, on 127.0.0.1.

No emulator enforces IAM auth (see FIELD_NOTES), so this double does what API
Gateway does for an AWS_IAM method: it verifies the SigV4 signature of the exact
request it received, written here from the SigV4 specification rather than with
botocore (which signs the requests under test), admits or denies the verified
principal, and hands the backend a Lambda proxy event whose
`requestContext.identity` is that principal. Errors carry API Gateway's messages.

As an HTTP API (`api_type="http"`) it verifies the same signatures, hands the backend
a payload format 2.0 event (the caller in `requestContext.authorizer.iam`) and words
its refusals as HTTP APIs do: 404 "Not Found" for no route, 403 "Forbidden" for every
refusal of IAM authorization, which HTTP APIs do not explain.

As a custom domain (`host`, with `tls`: a certificate and key for that name) it serves
HTTPS, answers only requests for that Host, and maps the domain's root to the stage
(no stage in the path), as the app's base path mappings do.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import ssl
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stacks.routes import SERVICE, Route

MISSING_TOKEN = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)
UNRESERVED = "-_.~"
DRIP_INTERVAL = 0.05
HTTP_API_FORBIDDEN = "Forbidden"
HTTP_API_NOT_FOUND = "Not Found"
# The requestor's event for the declared health route: what the tests whose subject is
# not the example backend call, so that they follow stacks/routes.py.
HEALTH_REQUEST = {"method": SERVICE.health.method, "path": SERVICE.health.path}


def echo_backend(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A backend that answers 200 with what API Gateway told it about the caller: the
    verified principal and, with an authorizer, the authorizer's context."""
    request_context = event["requestContext"]
    authorizer = request_context.get("authorizer") or {}
    identity = request_context.get("identity") or authorizer.get("iam") or {}
    told = {"principal": identity.get("userArn"), "authorizer": authorizer or None}
    return {"statusCode": 200, "body": json.dumps(told)}


@dataclass(frozen=True)
class Caller:
    access_key: str
    secret_key: str
    session_token: str | None
    account: str
    principal_arn: str


ANONYMOUS = Caller(access_key="", secret_key="", session_token=None, account="", principal_arn="anonymous")


@dataclass(frozen=True)
class Redirect:
    """A fault: a redirect to `location` (a 302 by default), as something in front of
    an API might answer."""

    location: str
    status: int = 302


class Denied(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class GatewayDouble:
    """Serves `http://127.0.0.1:<port>/<stage>` while used as a context manager."""

    region: str
    stage: str
    callers: list[Caller]
    backend: Callable[[dict[str, Any], Any], dict[str, Any]]
    # The resource policy's decision on the caller's principal ARN (for an assumed
    # role, the role's ARN, as aws:PrincipalArn gives it).
    admitted: Callable[[str], bool] = lambda principal_arn: True
    # The caller's identity policy's decision on the route's execute-api ARN: a
    # cross-account call needs both Allows.
    identity_allows: Callable[[Caller, str], bool] = lambda caller, route_arn: True
    # The API's ARN: arn:aws:execute-api:<region>:<account>:<api id>.
    api_arn: str = "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5"
    routes: tuple[Route, ...] = SERVICE.routes
    # "rest" or "http": the event the backend gets and the words of the refusals.
    api_type: str = "rest"
    # A TOKEN Lambda authorizer for every method instead of SigV4 (lambda-authorizer
    # mode): called with the Authorization header as API Gateway calls it.
    authorizer: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    # False: every request passes as ANONYMOUS, signed or not, as on a method with
    # no authorization; the benchmark compares signed and unsigned calls on it.
    verify_signatures: bool = True
    # Answers to give after verifying the signature, one per request, before the
    # backend runs: a status code, a Redirect, "drop" (close the connection
    # unanswered), "stall" (never answer, until the double stops) or "drip" (a complete
    # 200 answer, sent one byte every DRIP_INTERVAL seconds, status line and headers
    # included).
    faults: list[int | str | Redirect] = field(default_factory=list)
    # A custom domain: the one Host it answers, and the certificate and key files it serves.
    host: str | None = None
    tls: tuple[str, str] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    # Of a dripped answer: how many bytes were sent before the client hung up, of how many.
    dripped: tuple[int, int] = (0, 0)

    def __enter__(self) -> GatewayDouble:
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        if self.host is not None:
            return f"https://{self.host}"
        return f"http://127.0.0.1:{self._server.server_port}/{self.stage}"

    @property
    def port(self) -> int:
        return self._server.server_port

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]] | str | Redirect:
        """What API Gateway would answer, or a fault; `headers` have lower-case names."""
        self.received.append({"method": method, "target": target, "headers": headers, "body": body})
        if self.host is not None and headers.get("host") != self.host:
            return 403, {"message": HTTP_API_FORBIDDEN}  # not this domain's name
        raw_path, _, raw_query = target.partition("?")
        matched = self._route(method, raw_path)
        if matched is None:
            return (404, {"message": HTTP_API_NOT_FOUND}) if self.api_type == "http" else (403, {"message": MISSING_TOKEN})
        route, path, path_parameters = matched
        if self.authorizer is not None:
            return self._answer_with_authorizer(route, path, path_parameters, raw_query, headers, body, method)
        try:
            if not self.verify_signatures:
                caller = ANONYMOUS
            else:
                caller = self._verify_signature(method, raw_path, raw_query, headers, body)
            route_arn = f"{self.api_arn}/{self.stage}/{method}{path}"
            if not (self.admitted(caller.principal_arn) and self.identity_allows(caller, route_arn)):
                raise Denied(
                    f"User: {caller.principal_arn} is not authorized to perform: execute-api:Invoke on resource: "
                    f"arn:aws:execute-api:{self.region}:********/{self.stage}/{route.arn_suffix}"
                )
        except Denied as denied:
            return 403, {"message": HTTP_API_FORBIDDEN if self.api_type == "http" else denied.message}
        if self.faults:
            fault = self.faults.pop(0)
            return fault if isinstance(fault, (str, Redirect)) else (fault, {"message": f"injected {fault}"})
        make_event = _http_api_event if self.api_type == "http" else _proxy_event
        event = make_event(self.stage, route, path, path_parameters, raw_query, headers, body, method, caller)
        response = self.backend(event, None)
        return response["statusCode"], json.loads(response["body"])

    def _answer_with_authorizer(
        self,
        route: Route,
        path: str,
        path_parameters: dict[str, str],
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        method: str,
    ) -> tuple[int, dict[str, Any]]:
        """As API Gateway does for a TOKEN authorizer: 401 without a token or when the
        authorizer says Unauthorized, 403 on a Deny, 500 when it fails otherwise."""
        token = headers.get("authorization")
        if not token:
            return 401, {"message": "Unauthorized"}
        method_arn = f"{self.api_arn}/{self.stage}/{route.arn_suffix}"
        try:
            decision = self.authorizer({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}, None)
        except Exception as error:
            return (401, {"message": "Unauthorized"}) if str(error) == "Unauthorized" else (500, {"message": None})
        (statement,) = decision["policyDocument"]["Statement"]
        covers = re.fullmatch(".*".join(map(re.escape, statement["Resource"].split("*"))), method_arn)
        if statement["Effect"] != "Allow" or not covers:
            return 403, {"message": "User is not authorized to access this resource with an explicit deny"}
        event = _proxy_event(self.stage, route, path, path_parameters, raw_query, headers, body, method, ANONYMOUS)
        event["requestContext"]["authorizer"] = {"principalId": decision["principalId"], **decision["context"]}
        event["requestContext"]["identity"] = {"sourceIp": "127.0.0.1", "userArn": None, "accountId": None}
        response = self.backend(event, None)
        return response["statusCode"], json.loads(response["body"])

    def _route(self, method: str, raw_path: str) -> tuple[Route, str, dict[str, str]] | None:
        stage_prefix = "" if self.host is not None else f"/{self.stage}"
        if raw_path != stage_prefix and not raw_path.startswith(stage_prefix + "/"):
            return None
        segments = [urllib.parse.unquote(s) for s in raw_path[len(stage_prefix) :].split("/")[1:]]
        path = "/" + "/".join(segments)
        for route in self.routes:
            template = route.path.strip("/").split("/") if route.path != "/" else [""]
            if route.method != method or len(template) != len(segments):
                continue
            parameters = {}
            for expected, actual in zip(template, segments):
                if expected.startswith("{"):
                    parameters[expected.strip("{}")] = actual
                elif expected != actual:
                    break
            else:
                return route, path, parameters
        return None

    def _verify_signature(
        self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> Caller:
        authorization = headers.get("authorization")
        if authorization is None:
            raise Denied(MISSING_TOKEN)
        parts = AUTHORIZATION.match(authorization)
        if parts is None:
            raise Denied(f"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature': {authorization}")
        caller = next((c for c in self.callers if c.access_key == parts["key"]), None)
        if caller is None or headers.get("x-amz-security-token") != caller.session_token:
            raise Denied(INVALID_TOKEN)
        if parts["region"] != self.region or parts["service"] != "execute-api":
            raise Denied(f"Credential should be scoped to a valid region, not '{parts['region']}'.")
        signed_names = parts["signed"].split(";")
        required = {"host", "x-amz-date"} | ({"x-amz-security-token"} if caller.session_token else set())
        if not required <= set(signed_names) or signed_names != sorted(signed_names):
            raise Denied(BAD_SIGNATURE)
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        except ValueError:
            raise Denied(BAD_SIGNATURE) from None
        if abs(datetime.datetime.now(datetime.UTC) - signed_at) > MAX_CLOCK_SKEW or amz_date[:8] != parts["date"]:
            raise Denied("Signature expired or not yet current.")
        # SigV4 trims header values and collapses runs of spaces but never lower-cases
        # them: a Host signed in another case than it was sent does not verify.
        canonical_request = "\n".join(
            [
                method,
                _canonical_uri(raw_path),
                canonical_query(raw_query),
                "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_names),
                parts["signed"],
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{parts['date']}/{self.region}/execute-api/aws4_request"
        string_to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        expected = signature(caller.secret_key, parts["date"], self.region, "execute-api", string_to_sign)
        if not hmac.compare_digest(expected, parts["signature"]):
            raise Denied(BAD_SIGNATURE)
        return caller


def _canonical_uri(raw_path: str) -> str:
    # Every service but S3 encodes the (already encoded) path once more.
    return "/".join(urllib.parse.quote(segment, safe=UNRESERVED) for segment in raw_path.split("/"))


def signature(secret_key: str, date: str, region: str, service: str, string_to_sign: str) -> str:
    """SigV4's signature of `string_to_sign`, from the secret key and the credential scope."""
    key = f"AWS4{secret_key}".encode()
    for item in (date, region, service, "aws4_request"):
        key = hmac.new(key, item.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_query(raw_query: str) -> str:
    pairs = []
    for pair in filter(None, raw_query.split("&")):
        name, _, value = pair.partition("=")
        pairs.append(
            (
                urllib.parse.quote(urllib.parse.unquote(name), safe=UNRESERVED),
                urllib.parse.quote(urllib.parse.unquote(value), safe=UNRESERVED),
            )
        )
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _proxy_event(
    stage: str,
    route: Route,
    path: str,
    path_parameters: dict[str, str],
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    method: str,
    caller: Caller,
) -> dict[str, Any]:
    query: dict[str, list[str]] = {}
    for name, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "identity": {
                "accountId": caller.account,
                "userArn": caller.principal_arn,
                "caller": caller.principal_arn.rsplit("/", 1)[-1],
                "accessKey": caller.access_key,
                "sourceIp": "127.0.0.1",
            },
        },
        "body": body.decode() if body else None,
        "isBase64Encoded": False,
    }


def _http_api_event(
    stage: str,
    route: Route,
    path: str,
    path_parameters: dict[str, str],
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    method: str,
    caller: Caller,
) -> dict[str, Any]:
    """An HTTP API's Lambda proxy event, payload format 2.0."""
    query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    return {
        "version": "2.0",
        "routeKey": f"{method} {route.path}",
        "rawPath": f"/{stage}{path}",
        "rawQueryString": raw_query,
        "headers": dict(headers),
        "queryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "requestContext": {
            "authorizer": {
                "iam": {
                    "accessKey": caller.access_key,
                    "accountId": caller.account,
                    "callerId": caller.principal_arn.rsplit("/", 1)[-1],
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": caller.principal_arn,
                    "userId": caller.principal_arn.rsplit("/", 1)[-1],
                }
            },
            "http": {"method": method, "path": f"/{stage}{path}", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route.path}",
            "stage": stage,
        },
        "body": body.decode() if body else None,
        "isBase64Encoded": False,
    }


def _handler_class(gateway: GatewayDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without it every kept-alive response stalls ~40 ms on delayed ACKs.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): ",".join(self.headers.get_all(name)) for name in set(self.headers.keys())}
            answered = gateway.answer(self.command, self.path, headers, body)
            if answered == "stall":
                gateway.stopping.wait()
            if answered == "drip":
                self._drip()
            if isinstance(answered, str):
                self.close_connection = True
                return
            location = answered.location if isinstance(answered, Redirect) else None
            status, answer = (answered.status, {"message": "moved"}) if location else answered
            payload = json.dumps(answer).encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _drip(self) -> None:
            payload = json.dumps({"message": "dripped"}).encode()
            answer = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            for sent in range(len(answer)):
                gateway.dripped = (sent, len(answer))
                if gateway.stopping.wait(DRIP_INTERVAL):
                    return
                try:
                    self.wfile.write(answer[sent : sent + 1])
                    self.wfile.flush()
                except OSError:  # the client hung up
                    return
            gateway.dripped = (len(answer), len(answer))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
