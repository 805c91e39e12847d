"""The requestor's event: which request to send, checked before anything is sent.

    {"method": "GET", "path": "/items/123", "query": {"a": "1", "tag": ["x", "y"]},
     "headers": {"Accept": "application/json"}, "body": {...} or "text",
     "compare_unsigned": false}

Every key is optional. `path` is literal: it is percent-encoded here, so "/items/a b"
is sent as "/items/a%20b".
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, NamedTuple

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
# Patterns, not compiled: re compiles them on first use, off the cold start of a
# call that sends no headers.
HEADER_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
HEADER_VALUE = r"[\t\x20-\x7e]*"


class InvalidEvent(ValueError):
    """The event is wrong; the message names the field and says how."""


class ApiRequest(NamedTuple):
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes | None

    def url(self, base_url: str) -> str:
        path = urllib.parse.quote(self.path, safe="/-_.~")
        # Encoded as SigV4 canonicalizes it (%20, never +), so the signature covers
        # exactly the bytes API Gateway receives.
        query = urllib.parse.urlencode(self.query, safe="", quote_via=urllib.parse.quote)
        return f"{base_url}{path}" + (f"?{query}" if query else "")


def parse_event(event: Any) -> tuple[ApiRequest, bool]:
    """The request the event asks for, and whether to send it unsigned too."""
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise InvalidEvent(f"event must be a JSON object, not {type(event).__name__}")
    unknown = sorted(set(event) - set(EVENT_KEYS))
    if unknown:
        raise InvalidEvent(f"event has unknown keys {unknown}; allowed keys: {', '.join(EVENT_KEYS)}")
    compare_unsigned = event.get("compare_unsigned", False)
    if not isinstance(compare_unsigned, bool):
        raise InvalidEvent("event.compare_unsigned must be true or false")
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


def _parse_method(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or value.upper() not in METHODS:
        raise InvalidEvent(f"event.method is {value!r}: expected one of {', '.join(sorted(METHODS))}")
    return value.upper()


def _parse_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidEvent(f"event.path is {value!r}: expected a path starting with '/', such as /items/123")
    if "?" in value or "#" in value:
        raise InvalidEvent("event.path must not contain '?' or '#': put query parameters in event.query")
    # urllib3 and the signer would both resolve them, so the request would go to
    # another path than the one asked for.
    if any(segment in (".", "..") for segment in value.split("/")):
        raise InvalidEvent("event.path must not contain '.' or '..' segments")
    return _unicode_text("event.path", value)


def _unicode_text(field: str, value: str) -> str:
    """`value`, if it can be sent as UTF-8: JSON's \\ud800 escapes give lone surrogates, which cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent(f"{field} has a lone surrogate (such as \\ud800), which is not text that can be sent") from None
    return value


def _parse_query(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise InvalidEvent('event.query must be an object of names to values, such as {"a": "1", "tag": ["x", "y"]}')
    pairs = []
    for name, values in value.items():
        for item in values if isinstance(values, list) else [values]:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise InvalidEvent(f"event.query.{name} must be a string, a number, or a list of them")
            pairs.append((_unicode_text("event.query", name), _unicode_text(f"event.query.{name!r}", str(item))))
    return tuple(pairs)


def _parse_headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidEvent("event.headers must be an object of header names to string values")
    seen: set[str] = set()
    for name, header_value in value.items():
        if not re.fullmatch(HEADER_NAME, name):
            raise InvalidEvent(f"event.headers has the name {name!r}: expected letters, digits and !#$%&'*+.^_`|~-")
        if not isinstance(header_value, str) or not re.fullmatch(HEADER_VALUE, header_value):
            raise InvalidEvent(
                f"event.headers.{name} must be a string of printable ASCII characters, spaces and tabs (no line breaks)"
            )
        if name.lower() in RESERVED_HEADERS or name.lower().startswith(RESERVED_HEADER_PREFIX):
            raise InvalidEvent(f"event.headers.{name} is set by the signer or the HTTP client and must not be given")
        if name.lower() in seen:
            raise InvalidEvent(f"event.headers has {name} twice (header names are case-insensitive)")
        seen.add(name.lower())
    return dict(value)


def _parse_body(value: Any, method: str, headers: dict[str, str]) -> bytes | None:
    if value is None:
        return None
    if method not in METHODS_WITH_BODY:
        raise InvalidEvent(f"event.body is not allowed with {method}; use POST, PUT, PATCH or DELETE")
    has_content_type = any(name.lower() == "content-type" for name in headers)
    if isinstance(value, (dict, list)):
        if not has_content_type:
            headers["Content-Type"] = "application/json"
        return json.dumps(value).encode()
    if isinstance(value, str):
        if not has_content_type:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return _unicode_text("event.body", value).encode()
    raise InvalidEvent("event.body must be a JSON object or array, or a string")
