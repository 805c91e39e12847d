"""The app's configuration: CDK context turned into one validated, typed object.

Context values come from cdk.json (JSON types) or from `-c key=value` (always
strings), so every parser accepts both forms.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import region_info

from stacks.routes import Route

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
STAGE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
API_ID_PATTERN = re.compile(r"^[a-z0-9]{10}$")
IAM_ROLE_NAME_LIMIT = 64

# The requestor role's name is the contract between the two stacks: ClientStack
# creates the role under this name and ApiStack's resource policy admits exactly
# this name in each client account.
REQUESTOR_ROLE_PREFIX = "orders-api-requestor"

KNOWN_KEYS = ("api_account", "api_region", "client_accounts", "client_region", "stage", "api_id")


class ConfigError(ValueError):
    """A context value is wrong; the message names the key and says how to fix it."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        self.key = key
        found = "is not set" if value is None else f"is {value!r}"
        super().__init__(
            f"context key '{key}' {found}: expected {expected}. "
            f"Fix it in cdk.json or pass -c {key}=<value>."
        )


@dataclass(frozen=True)
class Region:
    name: str
    partition: str
    domain_suffix: str


@dataclass(frozen=True)
class AppConfig:
    api_account: str
    api_region: Region
    client_accounts: tuple[str, ...]
    client_region: Region
    stage: str
    api_id: str | None

    @property
    def requestor_role_name(self) -> str:
        return requestor_role_name(self.stage, self.client_region.name)

    def requestor_role_arn(self, client_account: str) -> str:
        return f"arn:{self.api_region.partition}:iam::{client_account}:role/{self.requestor_role_name}"

    @property
    def api_url(self) -> str:
        """The stage's invoke URL; only known once phase one has produced api_id."""
        return (
            f"https://{self._require_api_id()}.execute-api.{self.api_region.name}."
            f"{self.api_region.domain_suffix}/{self.stage}"
        )

    def execute_api_arn(self, route: Route) -> str:
        """The ARN of one route of this API's stage, in the API's account and region."""
        return (
            f"arn:{self.api_region.partition}:execute-api:{self.api_region.name}:"
            f"{self.api_account}:{self._require_api_id()}/{self.stage}/{route.arn_suffix}"
        )

    def _require_api_id(self) -> str:
        if self.api_id is None:
            raise ConfigError("api_id", None, "the REST API id that ApiStack printed as its ApiId output")
        return self.api_id

    @classmethod
    def from_context(cls, get: Callable[[str], Any], keys: list[str] | tuple[str, ...] = ()) -> AppConfig:
        """Build the config from a context getter such as `app.node.try_get_context`.

        `keys` lists every context key that is set, so that a misspelt key (which
        would silently fall back to a default) is reported.
        """
        _reject_misspelt_keys(keys)
        api_region = _parse_region("api_region", get("api_region"))
        client_region_value = get("client_region")
        client_region = (
            api_region if _is_unset(client_region_value) else _parse_region("client_region", client_region_value)
        )
        if client_region.partition != api_region.partition:
            raise ConfigError(
                "client_region",
                client_region.name,
                f"a region in the same partition as api_region {api_region.name!r} "
                f"({api_region.partition}); IAM cannot cross partitions",
            )
        stage = _parse_stage(get("stage"), client_region.name)
        api_id_value = get("api_id")
        return cls(
            api_account=_parse_account("api_account", get("api_account")),
            api_region=api_region,
            client_accounts=_parse_accounts(get("client_accounts")),
            client_region=client_region,
            stage=stage,
            api_id=None if _is_unset(api_id_value) else _parse_api_id(api_id_value),
        )


def requestor_role_name(stage: str, client_region: str) -> str:
    # Role names are unique per account, not per region: the stage and region keep
    # two deployments in one client account apart.
    return f"{REQUESTOR_ROLE_PREFIX}-{stage}-{client_region}"


def _is_unset(value: Any) -> bool:
    return value is None or value == ""


def _reject_misspelt_keys(keys: list[str] | tuple[str, ...]) -> None:
    # Only keys close to one of ours are reported: CDK itself sets many others.
    for key in keys:
        if key in KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
        if close:
            raise ConfigError(key, key, f"one of the app's keys; did you mean '{close[0]}'")


def _parse_account(key: str, value: Any) -> str:
    if not isinstance(value, str) or not ACCOUNT_PATTERN.match(value):
        raise ConfigError(key, value, "a 12-digit AWS account id as a string, such as \"111122223333\"")
    return value


def _parse_accounts(value: Any) -> tuple[str, ...]:
    key = "client_accounts"
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ConfigError(key, value, "a list of 12-digit account ids, or a comma-separated string of them")
    if not items or items == [""]:
        raise ConfigError(key, value, "at least one 12-digit account id")
    accounts = tuple(_parse_account(key, item) for item in items)
    duplicates = sorted({account for account in accounts if accounts.count(account) > 1})
    if duplicates:
        raise ConfigError(key, value, f"each account once (repeated: {', '.join(duplicates)})")
    return accounts


def _parse_region(key: str, value: Any) -> Region:
    if not isinstance(value, str) or not REGION_PATTERN.match(value):
        raise ConfigError(key, value, "an AWS region name such as \"eu-west-1\"")
    info = region_info.RegionInfo.get(value)
    if info.partition is None:
        raise ConfigError(key, value, "a region known to aws-cdk-lib (check the spelling, or upgrade aws-cdk-lib)")
    return Region(name=value, partition=info.partition, domain_suffix=info.domain_suffix)


def _parse_stage(value: Any, client_region: str) -> str:
    key = "stage"
    if _is_unset(value):
        value = "prod"
    if not isinstance(value, str) or not STAGE_PATTERN.match(value):
        raise ConfigError(key, value, "1 to 128 letters, digits, '-' or '_', such as \"prod\"")
    spare = IAM_ROLE_NAME_LIMIT - len(requestor_role_name("", client_region))
    if len(value) > spare:
        raise ConfigError(
            key,
            value,
            f"at most {spare} characters, because it is part of the requestor role name "
            f"'{requestor_role_name('<stage>', client_region)}' and IAM role names have at most "
            f"{IAM_ROLE_NAME_LIMIT} characters",
        )
    return value


def _parse_api_id(value: Any) -> str:
    if not isinstance(value, str) or not API_ID_PATTERN.match(value):
        raise ConfigError(
            "api_id", value, "the 10 lowercase letters and digits of the REST API id, from ApiStack's ApiId output"
        )
    return value
