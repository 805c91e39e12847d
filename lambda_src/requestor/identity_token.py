"""lambda-authorizer mode: what a call carries instead of a signature. A token is a
presigned STS GetCallerIdentity for one API id (see lambda_src/authorizer): proof of
who the caller is, good for that API only (its id is a signed header) and for 15
minutes."""

from __future__ import annotations

import base64
import time
import urllib.parse
from typing import Any, NamedTuple

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest

TOKEN_PREFIX = "iam-identity-v1."
TOKEN_LIFETIME_SECONDS = 900
# Reused for 8 of its 15 minutes, so that API Gateway's cache of the authorizer's
# answer (keyed on the token) serves the next calls; the authorizer refuses tokens
# older than 10 minutes, so that a cached Allow never outlives the 15.
TOKEN_RENEWAL_SECONDS = 420
_tokens: dict[tuple[str, str], IdentityToken] = {}


class IdentityToken(NamedTuple):
    value: str
    expires_at: float


def token_for(credentials: Any, target: Any) -> IdentityToken:
    """The token for `target.token_api_id` in `target.region`, minted with `credentials`
    (access_key, secret_key, token) or reused while it has more than
    TOKEN_RENEWAL_SECONDS to live."""
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


def bearer(token: IdentityToken, method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
    """`headers` and the token as Authorization, as the authorizer reads it."""
    return {**headers, "Authorization": token.value}
