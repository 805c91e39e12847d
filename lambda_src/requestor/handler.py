"""Requestor: calls the API in another account, signed with SigV4.

The Lambda entry point (handler.handler). The event says which request to send
(events.py); the environment which API, and the limits of the call (settings.py); the
function's role or the invoker role signs (credentials.py, signing.py), or in
lambda-authorizer mode an identity token stands in for the signature
(identity_token.py); transport.py sends it, with retries, within the function's time.

Result: {"ok": bool, "statusCode": int, "body": JSON or text, "attempts": int}, plus
"error" when the call failed; with "compare_unsigned" the signed and the unsigned
results side by side; a wrong event or setting gives {"ok": false, "error": "..."}.

Environment: API_URL and API_REGION (set by ClientStack); INVOKER_ROLE_ARN in
assume-role mode (the role to assume in the API account and sign with); API_ID when
API_URL names a VPC endpoint without private DNS (sent as x-apigw-api-id);
STS_ENDPOINT_URL when STS is reached through a VPC endpoint by its own name;
TOKEN_API_ID in lambda-authorizer mode: calls carry an identity token for this API id
(a presigned STS GetCallerIdentity, see lambda_src/authorizer) instead of a signature;
API_CONNECT_TIMEOUT and API_READ_TIMEOUT in seconds, API_MAX_ATTEMPTS.

Uses only the standard library, botocore and urllib3, which the Lambda Python runtime
ships.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from typing import Any

if __package__:  # imported as lambda_src.requestor.handler, as the tests do
    from . import credentials, events, identity_token, settings, signing, transport
else:  # Lambda runs handler.handler with this directory first on sys.path (or index.py inline)
    import credentials
    import events
    import identity_token
    import settings
    import signing
    import transport

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# Kept back from the function's remaining time, to answer before Lambda stops it.
TIME_RESERVE_SECONDS = 0.5
# Without a Lambda context (local runs), calls get this much time in all.
DEFAULT_BUDGET_SECONDS = 25.0


def handler(event: Any, context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + _budget_seconds(context)
    try:
        target = settings.target_from_environment(os.environ)
        request, compare_unsigned = events.parse_event(event)
        authorize = _authorizer(target, credentials.signing_credentials(os.environ, context))
    except (settings.InvalidSetting, events.InvalidEvent, credentials.Unavailable) as error:
        return {"ok": False, "error": str(error)}
    signed = transport.call_api(request, target, authorize, deadline)
    if not compare_unsigned:
        return signed
    unsigned = transport.call_api(request, target, None, deadline)
    return {"ok": signed["ok"], "signed": signed, "unsigned": unsigned}


def _authorizer(target: settings.Target, signer: credentials.Credentials) -> transport.Authorize:
    """What authorizes each attempt: a SigV4 signature, or in lambda-authorizer mode
    the identity token for the API (one token for all attempts of the invocation)."""
    if target.token_api_id:
        return functools.partial(identity_token.bearer, identity_token.token_for(signer, target))
    return functools.partial(signing.sign, signer, target.region)


def _budget_seconds(context: Any) -> float:
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return DEFAULT_BUDGET_SECONDS
    return max(0.0, remaining_ms() / 1000 - TIME_RESERVE_SECONDS)
