"""Which API the requestor calls and within which limits: the function's environment,
as ClientStack sets it, checked before anything is sent."""

from __future__ import annotations

import functools
import re
import urllib.parse
from typing import Any, NamedTuple

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
API_ID = r"[a-z0-9]{10}"
SETTINGS = {  # environment variable: (default, minimum, maximum)
    "API_CONNECT_TIMEOUT": (3.0, 0.1, 60.0),
    "API_READ_TIMEOUT": (10.0, 0.1, 900.0),
    "API_MAX_ATTEMPTS": (3, 1, 10),
}
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidSetting(ValueError):
    """An environment variable is wrong; the message names it and says how."""


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

    @property
    def host(self) -> str:
        """The Host header, as botocore's signer and urllib3 derive it from the URL: the
        host name, and the port unless it is the scheme's default."""
        parts = urllib.parse.urlsplit(self.base_url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
        return host if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{parts.port}"


# What target_from_environment reads.
ENVIRONMENT = ("API_URL", "API_REGION", "API_ID", "TOKEN_API_ID", *SETTINGS)


def target_from_environment(environ: Any) -> Target:
    # Checked once per environment, not on every warm invocation: a function's
    # environment does not change while it runs, and reading it is cheaper than checking it.
    return _target(tuple(environ.get(name, "") for name in ENVIRONMENT))


@functools.lru_cache(maxsize=4)
def _target(values: tuple[str, ...]) -> Target:
    environ = dict(zip(ENVIRONMENT, values))
    base_url = environ.get("API_URL", "")
    parts = urllib.parse.urlsplit(base_url)
    is_local_test = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    has_extras = parts.query or parts.fragment or parts.username is not None
    if not (parts.scheme == "https" or is_local_test) or not parts.hostname or has_extras:
        raise InvalidSetting(
            f"environment variable API_URL is {base_url!r}: expected the stage's https invoke URL, "
            "such as https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod (set by ClientStack)"
        )
    region = environ.get("API_REGION", "")
    if not re.fullmatch(REGION, region):
        raise InvalidSetting(
            f"environment variable API_REGION is {region!r}: expected the API's region, such as eu-west-1 "
            "(set by ClientStack)"
        )
    api_id, token_api_id = (environ.get(name) or None for name in ("API_ID", "TOKEN_API_ID"))
    for name, value in (("API_ID", api_id), ("TOKEN_API_ID", token_api_id)):
        if value is not None and not re.fullmatch(API_ID, value):
            raise InvalidSetting(
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
        raise InvalidSetting(f"environment variable {name} is {value!r}: expected a {kind} from {minimum} to {maximum}")
    return number
