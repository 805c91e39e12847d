"""Central Lambda authorizer (TOKEN type): admits callers of the API by their
IAM identity, proven without any shared secret.

The caller sends `Authorization: iam-identity-v1.<base64url of a presigned STS
GetCallerIdentity URL>`, signed with its own credentials and over the header
`x-identity-audience: <the API's id>`. The authorizer checks the URL before it sends
anything (https, exactly STS's host, path /, one GetCallerIdentity, the SigV4 query
parameters and nothing else, both headers signed, at most 900 s), then sends it to STS
with this API's id in that header: STS answers with the caller's ARN only if the
signature holds, so a token minted for another API, or forged, or expired, proves
nothing. The caller's role is then admitted by name, as the resource policy admits
the requestor roles (patterns with a role path are refused in this mode).

Any malformed token, STS refusal or outage answers Unauthorized (401); an unadmitted
caller gets a Deny (403). Nothing else raises, and nothing but an admitted caller is
ever allowed. Standard library, urllib3 and botocore (the deny list's SSM client) only:
what the Lambda Python runtime ships.

A caller on the deny list (DENIED_PARAMETER: an SSM parameter holding a JSON list of
role ARNs or patterns and 12-digit account ids) gets a Deny even with a valid token;
the list is read at most every DENY_LIST_TTL_SECONDS, so a change bites within that,
plus API Gateway's cache of earlier answers. If it cannot be read, nobody is let in.
Each decision is logged as a structured record (decision, reason, caller; never the
token).

Environment: API_ID, API_ACCOUNT, API_REGION, STAGE, PARTITION (aws), PARTITION_DOMAIN
(amazonaws.com), ADMITTED_PRINCIPALS (a JSON list of role ARNs and ArnLike patterns),
DENIED_PARAMETER (the deny list's SSM parameter name).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import logging
import os
import re
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
from typing import Any

import urllib3
from botocore.config import Config
from botocore.session import get_session

logger = logging.getLogger()
logger.setLevel(logging.INFO)

TOKEN_PREFIX = "iam-identity-v1."
MAX_TOKEN_LENGTH = 8192
API_ID_HEADER = "x-identity-audience"
# Exactly the X-Amz-Expires the requestor presigns with (its TOKEN_LIFETIME_SECONDS):
# any other value would let one credential mint up to 900 distinct accepted tokens,
# each a key of its own in API Gateway's cache. Compared as text: no int() of
# whatever digits Unicode knows.
EXPIRES_SECONDS = "900"
AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# STS's global endpoint exists in the aws partition only; elsewhere only the regional one.
GLOBAL_STS_PARTITION = "aws"
# The query as botocore presigns it, in its order: one spelling per token, so that
# API Gateway's cache (keyed on the token) cannot be bypassed by respelling one.
PARAMETERS = ("Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
SESSION_TOKEN, SIGNATURE = "X-Amz-Security-Token", "X-Amz-Signature"
# STS accepts a presigned URL for 15 minutes after X-Amz-Date whatever X-Amz-Expires
# says, and API Gateway keeps an Allow for 5 minutes: a token older than 10 minutes
# is refused, so that no Allow outlives 15 minutes after signing.
MAX_TOKEN_AGE_SECONDS = 600
MAX_CLOCK_SKEW_SECONDS = 60
ASSUMED_ROLE_ARN = re.compile(r"arn:(?P<partition>[a-z-]+):sts::(?P<account>[0-9]{12}):assumed-role/(?P<role>[^/]+)/.+")
IAM_ROLE_ARN = re.compile(r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role/.+")
STS_NAMESPACE = "{https://sts.amazonaws.com/doc/2011-06-15/}"
# STS is on the way of every call that misses the authorizer's cache: short timeouts.
STS_TIMEOUT = urllib3.Timeout(connect=1.0, read=2.0)
HTTP = urllib3.PoolManager(retries=False)
# How long a deny list read from SSM is used before it is read again: a principal added
# to it is refused within this, plus API Gateway's cache of the authorizer's answers.
DENY_LIST_TTL_SECONDS = 60
# One attempt, short: STS (at most 3 s) and this must fit the function's timeout.
SSM_CONFIG = Config(connect_timeout=1, read_timeout=1, retries={"mode": "standard", "max_attempts": 1})
ACCOUNT_ID = re.compile(r"[0-9]{12}")
# A role ARN or pattern with its account; the name is what follows the last "/".
DENIED_ROLE_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role/(?:[A-Za-z0-9_+=,.@*?/-]*/)?(?P<name>[A-Za-z0-9_+=,.@*?-]{1,128})"
)
# How long the last list read serves while SSM cannot be read (the faults alarm fires).
DENY_LIST_STALE_SECONDS = 300
DENY_LIST_RETRY_SECONDS = 10
_retry_at = 0.0
# (read at, as time.monotonic(); role patterns; accounts), or None before the first read.
_deny_list: tuple[float, list[re.Pattern[str]], frozenset[str]] | None = None
_ssm: Any = None


class Unauthorized(Exception):
    """The token proves nothing; API Gateway answers 401 to this exact message.
    `reason` is for the log only."""

    def __init__(self, reason: str = "malformed token") -> None:
        super().__init__("Unauthorized")
        self.reason = reason


def handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        settings = _settings(os.environ)
        token = event.get("authorizationToken") if isinstance(event, dict) else None
        url = presigned_url(token, settings)
        caller_arn, caller_account = ask_sts(url, settings["api_id"])
        denied_roles, denied_accounts = deny_list(settings["denied_parameter"])
    except Unauthorized as refused:
        logger.info("decision", extra={"decision": "unauthorized", "reason": refused.reason})
        raise
    except Exception:  # a fault of ours or the environment's: never an Allow
        logger.exception("authorizer fault")
        raise Unauthorized() from None
    role_arn = role_of(caller_arn)
    denied = caller_account in denied_accounts or (
        role_arn is not None and any(pattern.fullmatch(role_arn) for pattern in denied_roles)
    )
    admitted = role_arn is not None and any(pattern.fullmatch(role_arn) for pattern in settings["admitted"])
    reason = "on the deny list" if denied else "admitted" if admitted else "not admitted"
    decision = {"decision": "allow" if admitted and not denied else "deny", "reason": reason}
    logger.info("decision", extra={**decision, "callerArn": caller_arn, "callerAccount": caller_account})
    return policy(role_arn or caller_arn, caller_arn, caller_account, admitted and not denied, settings)


def deny_list(parameter: str) -> tuple[list[re.Pattern[str]], frozenset[str]]:
    """The denied role patterns and accounts, read from SSM at most every
    DENY_LIST_TTL_SECONDS. If a read fails, the last list read is used for at most
    DENY_LIST_STALE_SECONDS more (logged as an error); without one, or with a malformed
    list, nobody is let in."""
    global _deny_list, _ssm, _retry_at
    now = time.monotonic()
    age = None if _deny_list is None else now - _deny_list[0]
    stale_allowed = age is not None and age < DENY_LIST_TTL_SECONDS + DENY_LIST_STALE_SECONDS
    if age is not None and (age < DENY_LIST_TTL_SECONDS or (stale_allowed and now < _retry_at)):
        return _deny_list[1], _deny_list[2]
    try:
        if _ssm is None:
            _ssm = get_session().create_client("ssm", config=SSM_CONFIG)
        value = _ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except Exception as error:
        logger.error("deny list unreadable", extra={"parameter": parameter, "error": type(error).__name__})
        if stale_allowed:
            _retry_at = now + DENY_LIST_RETRY_SECONDS  # not an SSM call per request meanwhile
            return _deny_list[1], _deny_list[2]
        raise Unauthorized("deny list unreadable") from None
    try:
        roles, accounts = _parsed_deny_list(value)
    except ValueError as error:
        logger.error("deny list malformed", extra={"parameter": parameter, "error": str(error)})
        raise Unauthorized("deny list malformed") from None
    _deny_list = (time.monotonic(), roles, accounts)
    return roles, accounts


def _parsed_deny_list(value: str) -> tuple[list[re.Pattern[str]], frozenset[str]]:
    """Account ids, and role ARNs (or patterns) matched by account and name: a role's
    name is unique in its account whatever its path, and an assumed-role ARN has none."""
    entries = json.loads(value)
    if not isinstance(entries, list):
        raise ValueError("not a JSON list")
    accounts, roles = set(), []
    for entry in entries:
        role = DENIED_ROLE_ARN.fullmatch(entry) if isinstance(entry, str) else None
        if isinstance(entry, str) and ACCOUNT_ID.fullmatch(entry):
            accounts.add(entry)
        elif role:
            roles.append(_arn_like(f"arn:{role['partition']}:iam::{role['account']}:role/{role['name']}"))
        else:
            raise ValueError(f"an entry is neither a 12-digit account id nor a role ARN: {str(entry)[:100]!r}")
    return roles, frozenset(accounts)


def _settings(environ: Any) -> dict[str, Any]:
    admitted = json.loads(environ["ADMITTED_PRINCIPALS"])
    return {
        "api_id": environ["API_ID"],
        "api_account": environ["API_ACCOUNT"],
        "region": environ["API_REGION"],
        "stage": environ["STAGE"],
        "partition": environ["PARTITION"],
        "domain": environ["PARTITION_DOMAIN"],
        "admitted": [_arn_like(pattern) for pattern in admitted],
        "denied_parameter": environ["DENIED_PARAMETER"],
    }


def _arn_like(pattern: str) -> re.Pattern[str]:
    """IAM's ArnLike, for fullmatch: * for any run of characters, ? for one, the whole
    ARN, case-sensitive. IAM role names are unique whatever their case, so ignoring it
    would refuse no other role; but the resource policy's and the invoker role's
    ArnLike compare case-sensitively, and a deny list must refuse the same callers in
    every mode: a denied role is named as IAM spells it (docs/operating.md: cutting a caller off)."""
    return re.compile(".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")))


def presigned_url(token: Any, settings: dict[str, Any]) -> str:
    """The presigned GetCallerIdentity URL in the token, if it is one and nothing else."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized()
    encoded = token[len(TOKEN_PREFIX) :]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", encoded):
        raise Unauthorized()
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise Unauthorized() from None
    if base64.urlsafe_b64encode(url.encode()).decode().rstrip("=") != encoded:
        raise Unauthorized()  # a second spelling of the same bytes
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # such as an unclosed "[" of an IPv6 host
        raise Unauthorized() from None
    hosts = {f"sts.{settings['region']}.{settings['domain']}"}
    if settings["partition"] == GLOBAL_STS_PARTITION:
        hosts.add(f"sts.{settings['domain']}")
    # netloc, not hostname: no user info, no port, nothing around the host.
    if parts.scheme != "https" or parts.netloc not in hosts or parts.path != "/" or parts.fragment:
        raise Unauthorized()
    try:
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Unauthorized() from None
    names = [name for name, _ in pairs]
    parameters = dict(pairs)
    if names not in ([*PARAMETERS, SIGNATURE], [*PARAMETERS, SESSION_TOKEN, SIGNATURE]):
        raise Unauthorized()
    # What is sent is rebuilt from what was checked, in the one spelling allowed.
    canonical = f"{parts.scheme}://{parts.netloc}/?{urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe='')}"
    if canonical != url:
        raise Unauthorized()
    signed_headers = parameters["X-Amz-SignedHeaders"].split(";")
    if (
        parameters["Action"] != "GetCallerIdentity"
        or parameters["Version"] != "2011-06-15"
        or parameters["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256"
        or not {"host", API_ID_HEADER} <= set(signed_headers)
        or parameters["X-Amz-Expires"] != EXPIRES_SECONDS
        or not _recent(parameters["X-Amz-Date"])
    ):
        raise Unauthorized()
    return canonical


def _recent(amz_date: str) -> bool:
    if not AMZ_DATE.fullmatch(amz_date):
        return False  # strptime would take any Unicode digits
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return False
    age = (_now() - signed_at).total_seconds()
    return -MAX_CLOCK_SKEW_SECONDS <= age <= MAX_TOKEN_AGE_SECONDS


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def ask_sts(url: str, api_id: str) -> tuple[str, str]:
    """Who signed the URL, as STS says: (caller ARN, account). STS verifies the
    signature over this API's id; any refusal or fault is Unauthorized."""
    try:
        response = HTTP.request(
            "GET", url, headers={API_ID_HEADER: api_id}, timeout=STS_TIMEOUT, redirect=False, preload_content=True
        )
    except urllib3.exceptions.HTTPError:
        logger.error("sts unreachable")  # every caller gets 401 meanwhile: the faults alarm
        raise Unauthorized("sts unreachable") from None
    if response.status >= 500:
        logger.error("sts failed", extra={"status": response.status})
        raise Unauthorized(f"sts failed ({response.status})")
    if response.status != 200:
        raise Unauthorized(f"sts refused the token ({response.status})")
    try:
        result = ElementTree.fromstring(response.data).find(f"{STS_NAMESPACE}GetCallerIdentityResult")
        arn = result.findtext(f"{STS_NAMESPACE}Arn")
        account = result.findtext(f"{STS_NAMESPACE}Account")
    except (ElementTree.ParseError, AttributeError):
        raise Unauthorized("sts answer unreadable") from None
    if not arn or not account:
        raise Unauthorized("sts answer unreadable")
    return arn, account


def role_of(caller_arn: str) -> str | None:
    """The IAM role behind a caller: its own ARN for a role, the role of an assumed-role
    session. An assumed-role ARN has no role path, so roles are admitted by name
    (unique in an account); the configuration refuses patterns with a path here."""
    session = ASSUMED_ROLE_ARN.fullmatch(caller_arn)
    if session:
        return f"arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
    return caller_arn if IAM_ROLE_ARN.fullmatch(caller_arn) else None


def policy(
    principal_id: str, caller_arn: str, caller_account: str, admitted: bool, settings: dict[str, Any]
) -> dict[str, Any]:
    """Allow or Deny this stage's routes, every one of them: API Gateway caches the
    answer by token and reuses it for the caller's next calls to any route."""
    stage_routes = (
        f"arn:{settings['partition']}:execute-api:{settings['region']}:{settings['api_account']}:"
        f"{settings['api_id']}/{settings['stage']}/*"
    )
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow" if admitted else "Deny", "Resource": stage_routes}
            ],
        },
        "context": {"callerArn": caller_arn, "callerAccount": caller_account},
    }
