"""A local stand-in for STS's GetCallerIdentity, as the central authorizer calls it:
it verifies the presigned request's SigV4 query signature, written here from the
specification rather than with botocore (which presigns the tokens under test), and
answers with the caller's ARN as STS does, or refuses as STS does. It replaces the
authorizer's connection pool, so nothing leaves the process."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import urllib3

from tests.gateway_double import Caller, canonical_query, signature

RESPONSE = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAEXAMPLE:session</UserId><Account>{account}</Account>
  </GetCallerIdentityResult><ResponseMetadata><RequestId>c6af9ac6</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"""
LIFETIME = datetime.timedelta(minutes=15)
REFUSED = b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"


@dataclass
class StsAnswer:
    status: int
    data: bytes


@dataclass
class FakeSts:
    """`outage`: None, "500" or "timeout". `now` lets a test move the clock."""

    region: str
    callers: list[Caller]
    outage: str | None = None
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)
    received: list[str] = field(default_factory=list)

    def request(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> StsAnswer:
        self.received.append(url)
        if self.outage == "timeout":
            raise urllib3.exceptions.ReadTimeoutError(None, url, "Read timed out.")
        if self.outage == "500":
            return StsAnswer(500, b"<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>")
        caller = self._verify(method, url, {name.lower(): value for name, value in (headers or {}).items()})
        if caller is None:
            return StsAnswer(403, REFUSED)
        return StsAnswer(200, RESPONSE.format(arn=caller.principal_arn, account=caller.account).encode())

    def _verify(self, method: str, url: str, headers: dict[str, str]) -> Caller | None:
        parts = urllib.parse.urlsplit(url)
        parameters = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        try:
            key, date, region, service, terminator = parameters["X-Amz-Credential"].split("/")
            signed_at = datetime.datetime.strptime(parameters["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
            signed_names = parameters["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return None
        caller = next((c for c in self.callers if c.access_key == key), None)
        if caller is None or parameters.get("X-Amz-Security-Token") != caller.session_token:
            return None
        # STS accepts a presigned GetCallerIdentity for 15 minutes, whatever X-Amz-Expires says.
        if (region, service, terminator) != (self.region, "sts", "aws4_request") or self.now() > signed_at + LIFETIME:
            return None
        if (parameters.get("Action"), parameters.get("Version")) != ("GetCallerIdentity", "2011-06-15"):
            return None
        wire_headers = {**headers, "host": parts.netloc}
        unsigned_query = "&".join(p for p in parts.query.split("&") if not p.startswith("X-Amz-Signature="))
        canonical_request = "\n".join(
            [
                method,
                parts.path,
                canonical_query(unsigned_query),
                "".join(f"{name}:{wire_headers.get(name, '').strip()}\n" for name in signed_names),
                parameters["X-Amz-SignedHeaders"],
                hashlib.sha256(b"").hexdigest(),
            ]
        )
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                parameters["X-Amz-Date"],
                f"{date}/{region}/sts/aws4_request",
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        expected = signature(caller.secret_key, date, region, "sts", string_to_sign)
        return caller if hmac.compare_digest(expected, parameters.get("X-Amz-Signature", "")) else None
