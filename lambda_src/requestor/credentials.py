"""Whose credentials sign: the function's own role's, which Lambda puts in the
environment, or in assume-role mode the invoker role's (INVOKER_ROLE_ARN), assumed
with them and reused until shortly before they expire."""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any, NamedTuple

ASSUMED_ROLE_REFRESH = datetime.timedelta(minutes=5)
ACCOUNT = r"[0-9]{12}"
SESSION_NAME_UNSAFE = r"[^A-Za-z0-9_+=,.@-]"

logger = logging.getLogger()
_assumed: dict[str, tuple[Credentials, datetime.datetime]] = {}
_sts_client: Any = None


class Unavailable(ValueError):
    """No credentials to sign with; the message says why."""


class Credentials(NamedTuple):
    """What botocore's signers read of credentials. Importing botocore.credentials for
    its class of the same three fields took 11 ms here, a tenth of the cold start.
    (NamedTuples, not frozen dataclasses: four of those took 2.4 ms of the cold start
    here, four NamedTuples 0.4 ms.)"""

    access_key: str
    secret_key: str
    token: str | None = None


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
        raise Unavailable(f"could not assume INVOKER_ROLE_ARN {role_arn}: {error}") from None
    credentials = Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
    _assumed[role_arn] = (credentials, answer["Expiration"])
    return credentials


def credentials_from_environment(environ: Any) -> Credentials:
    """The function's own role credentials, which Lambda puts in the environment."""
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise Unavailable(
            "no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): "
            "run this handler as a Lambda function or export credentials"
        )
    return Credentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN"))


def invoker_session_name(context: Any, function_name: str) -> str:
    """`<this account>-<function name>`: the invoker role's trust policy admits only
    session names that start with the caller's own account, so the API's logs and
    backend can tell which client account called, and no client can pose as another."""
    function_arn = getattr(context, "invoked_function_arn", "")
    account = function_arn.split(":")[4] if function_arn.count(":") >= 6 else ""
    if not re.fullmatch(ACCOUNT, account):
        raise Unavailable(
            "assume-role mode needs the Lambda context's invoked_function_arn, whose account names the session"
        )
    return f"{account}-{re.sub(SESSION_NAME_UNSAFE, '-', function_name)}"[:64]


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
            raise Unavailable(f"environment variable STS_ENDPOINT_URL is {endpoint_url!r}: expected an https URL")
        # Short timeouts and one retry: the call to the API must still fit in the function's time.
        config = botocore.config.Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 2})
        _sts_client = botocore.session.get_session().create_client(
            "sts", region_name=region, config=config, endpoint_url=endpoint_url
        )
    return _sts_client


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
