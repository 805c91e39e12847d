"""SigV4 for execute-api, by botocore's signer (which Lambda's runtime ships): the
headers to send with one request, the signature's included."""

from __future__ import annotations

from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

SERVICE = "execute-api"


class _Signable(AWSRequest):
    """An AWSRequest whose body is the bytes given (or None), as botocore's own `body`
    returns them for bytes, without preparing the whole request (copying its headers,
    re-parsing its URL) each time the signer hashes the body."""

    @property
    def body(self) -> bytes | None:
        return self.data


def sign(credentials: Any, region: str, method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
    """`headers` and X-Amz-Date, X-Amz-Security-Token (temporary credentials) and
    Authorization, for a request to `url`: the signature covers every header given and
    the body. With a Host header given the signer uses it instead of deriving one
    from the URL, so that the Host signed is the one sent. Valid for five minutes:
    sign each attempt."""
    request = _Signable(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return dict(request.headers.items())
