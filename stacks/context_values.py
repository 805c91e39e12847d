"""How each context value is read and checked: what it may be, and the error that
names the key when it is not.

Context values come from cdk.json (JSON types) or from `-c key=value` (always
strings), so every parser accepts both forms. stacks/config.py puts them together.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import region_info

from stacks.names import NAME_LIMIT, Names

# Matched with fullmatch (a trailing newline is not a match) and ASCII only (no
# Arabic-Indic or full-width digits, which Unicode's \d and \w would accept).
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
STAGE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
API_ID_PATTERN = re.compile(r"[a-z0-9]{10}")
ORG_ID_PATTERN = re.compile(r"o-[a-z0-9]{10,32}")
ORG_PATH_PATTERN = re.compile(r"o-[a-z0-9]{10,32}/r-[a-z0-9]{4,32}(/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})*/\*?")
ROLE_ARN_PATTERN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}|\*):role/(?P<name>[A-Za-z0-9_+=,.@/*?-]{1,512})"
)
MAX_THROTTLE_RATE = 10000
MAX_THROTTLE_BURST = 5000

# The service's name, which every name the app makes starts with (stacks/names.py):
# lowercase words joined by '-', short enough to leave room for the stage and region.
SERVICE_NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
SERVICE_NAME_LIMIT = 24
DEFAULT_SERVICE_NAME = "orders"

# The organization-wide rollout's keys; client_org_units turns the others on.
ORG_ROLLOUT_KEYS = (
    "client_org_units",
    "stackset_account",
    "stackset_call_as",
    "policy_account",
    "stackset_max_concurrent_percentage",
    "stackset_failure_tolerance_percentage",
)
# Delivery on CDK Pipelines (stacks/pipeline/settings.py); pipeline_account turns the others on.
PIPELINE_KEYS = (
    "pipeline_account",
    "pipeline_region",
    "pipeline_connection_arn",
    "pipeline_repository",
    "pipeline_branch",
    "pipeline_approval",
    "pipeline_acts_as_org_admin",
)
# A custom domain name for the API (stacks/domain/settings.py); custom_domain_name turns the others on.
CUSTOM_DOMAIN_KEYS = (
    "custom_domain_name",
    "custom_domain_certificate_arn",
    "custom_domain_hosted_zone_id",
    "custom_domain_share_outside_org",
    "vpc_endpoint_id",
)
KNOWN_KEYS = (
    "service_name",
    "api_account",
    "api_region",
    "client_accounts",
    "client_region",
    "stage",
    "api_id",
    "throttle_rate",
    "throttle_burst",
    "create_cloudwatch_role",
    "allowed_principal_arns",
    "org_id",
    "org_paths",
    "access_mode",
    "invoker_role_arn",
    "api_type",
    "endpoint_type",
    "client_vpc_ids",
    "client_subnet_ids",
    "create_vpc_endpoint",
    "vpc_endpoint_dns_name",
    "vpc_endpoint_security_group_id",
    "authorizer_account",
    "authorizer_region",
    "authorizer_id",
    "backend_function_arn",
    "denied_principals",
    "alarm_email",
    *ORG_ROLLOUT_KEYS,
    *PIPELINE_KEYS,
    *CUSTOM_DOMAIN_KEYS,
)
# Keys without a default, and what each holds: synth stops when any is missing.
REQUIRED_KEYS = {
    "api_account": "the API's 12-digit AWS account id, such as \"111122223333\"",
    "api_region": "the API's region, such as \"eu-west-1\"",
    "client_accounts": "the accounts whose requestor may call the API, such as [\"444455556666\"]; or client_org_units instead",
}
RESOURCE_POLICY = "resource-policy"
ASSUME_ROLE = "assume-role"
LAMBDA_AUTHORIZER = "lambda-authorizer"
ACCESS_MODES = (RESOURCE_POLICY, ASSUME_ROLE, LAMBDA_AUTHORIZER)
# The AccessMode outputs' description: every access mode, and the keys that make the
# README's other modes (the HTTP API, the private API, the organization-wide rollout).
ACCESS_MODE_DESCRIPTION = (
    f"How clients are admitted: {', '.join(ACCESS_MODES[:-1])} or {ACCESS_MODES[-1]} "
    "(the HTTP API, the private API and the organization rollout are chosen by api_type, "
    "endpoint_type and client_org_units)"
)
AUTHORIZER_ID_PATTERN = re.compile(r"[a-z0-9]{6}")
ORG_UNIT_PATTERN = re.compile(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}")
CALL_AS = ("SELF", "DELEGATED_ADMIN")
# AWS Organizations is a global service whose endpoint is in this region of each partition.
ORGANIZATIONS_REGION = {"aws": "us-east-1", "aws-cn": "cn-northwest-1", "aws-us-gov": "us-gov-west-1"}
REST = "rest"
HTTP = "http"
API_TYPES = (REST, HTTP)
REGIONAL = "regional"
PRIVATE = "private"
ENDPOINT_TYPES = (REGIONAL, PRIVATE)
VPC_ID_PATTERN = re.compile(r"vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?")
SUBNET_ID_PATTERN = re.compile(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?")
SECURITY_GROUP_ID_PATTERN = re.compile(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?")
LONG_LIST = 5


# Context keys that are CDK's or its CLI's, not the app's: feature flags (@...),
# the CLI's own (aws:cdk:...), lookups' cache entries (name:account=...) and these.
CDK_CLI_KEYS = frozenset({"cli-telemetry", "notices", "acknowledged-issue-numbers"})


def shown(value: Any) -> str:
    """A context value as the user wrote it: text quoted, lists comma-separated, objects as JSON."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(item) for item in value) or "an empty list"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


class ConfigError(ValueError):
    """A context value is wrong; the message names the key and says how to fix it.
    `expected` that starts with "no value" is a key to remove."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        self.key = key
        if value is None:
            found = "is not set"
        elif isinstance(value, str) and not value.strip():
            found = "is empty"
        elif isinstance(value, (list, tuple)) and len(value) > LONG_LIST:
            found = f"is a list of {len(value)} values"
        else:
            found = f"is {shown(value)}"
        fix = (
            f"Remove it from cdk.json (or the -c {key}=... argument)."
            if expected.startswith("no value")
            else f"Fix it in cdk.json or pass -c {key}=<value>."
        )
        super().__init__(f"context key '{key}' {found}: expected {expected}. {fix}")


class UnknownKeyError(ConfigError):
    """A context key that is neither the app's nor CDK's, which would otherwise be ignored."""

    def __init__(self, key: str, meant: str | None) -> None:
        self.key = key
        advice = (
            f"did you mean '{meant}'? Rename it to '{meant}' in cdk.json, or pass -c {meant}=<value>."
            if meant
            else "remove it from cdk.json (or the -c argument); the app's keys are in the README's Configuration."
        )
        ValueError.__init__(self, f"context key '{key}' is not a key of this app or of CDK: {advice}")


class MissingKeysError(ConfigError):
    """Several keys that a setting needs, reported at once."""

    def __init__(self, setting: str, missing: dict[str, str]) -> None:
        self.key = next(iter(missing))
        needed = "; ".join(f"'{key}' ({expected})" for key, expected in missing.items())
        ValueError.__init__(
            self, f"{setting} needs context keys that are not set: {needed}. Set them in cdk.json or pass -c key=<value>."
        )


@dataclass(frozen=True)
class Region:
    name: str
    partition: str
    domain_suffix: str


@dataclass(frozen=True)
class OrgRollout:
    """The client side rolled out to every account of some OUs by a service-managed
    StackSet, guarded by an SCP on the requestor role's name."""

    org_units: tuple[str, ...]
    stackset_account: str
    call_as: str
    policy_account: str
    # Where Organizations policies are managed: the partition's Organizations region.
    policy_region: str
    max_concurrent_percentage: int
    failure_tolerance_percentage: int


@dataclass(frozen=True)
class ClientNetwork:
    """Where a client account's requestor runs when the API is private: its VPC, which
    the API's resource policy admits, and the private subnets of that VPC."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    # The VPC's execute-api endpoint by its own DNS name, when it has no private DNS.
    endpoint_dns_name: str | None = None
    # The security group of the VPC's execute-api endpoint: the requestor's only way out.
    endpoint_security_group_id: str | None = None


def is_unset(value: Any) -> bool:
    return value is None


def reject_missing_keys(get: Callable[[str], Any]) -> None:
    """The keys without a default, every one that is missing named at once."""
    missing = {
        key: expected
        for key, expected in REQUIRED_KEYS.items()
        # With the rollout the StackSet finds the client accounts in the OUs.
        if is_unset(get(key)) and (key != "client_accounts" or is_unset(get("client_org_units")))
    }
    if missing:
        raise MissingKeysError("The app", missing)


def reject_empty_values(get: Callable[[str], Any]) -> None:
    # `-c stage=$STAGE` with STAGE unset must not quietly deploy the default stage.
    for key in KNOWN_KEYS:
        value = get(key)
        if isinstance(value, str) and not value.strip():
            fix = "this key is required" if key in REQUIRED_KEYS else "leave the key out to use its default"
            raise ConfigError(key, value, f"a value ({fix})")


def reject_unknown_keys(keys: list[str] | tuple[str, ...]) -> None:
    for key in keys:
        if key in KNOWN_KEYS or key in CDK_CLI_KEYS or key.startswith("@") or ":" in key:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
        raise UnknownKeyError(key, close[0] if close else None)


def parse_account(key: str, value: Any) -> str:
    if not isinstance(value, str) or not ACCOUNT_PATTERN.fullmatch(value):
        raise ConfigError(key, value, "a 12-digit AWS account id as a string, such as \"111122223333\"")
    return value


def parse_list(key: str, value: Any, items_are: str) -> tuple[Any, ...]:
    """A JSON list, or a string as `-c` gives it: comma-separated, or a JSON list
    written out; unset is empty."""
    if is_unset(value):
        return ()
    value = json_text(key, value, "[", f"{items_are} separated by commas, such as a,b, or a JSON list")
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ConfigError(key, value, f"a list of {items_are}, or a comma-separated string of them")
    duplicates = sorted({str(item) for item in items if items.count(item) > 1})
    if duplicates:
        raise ConfigError(key, value, f"each value once (repeated: {', '.join(duplicates)})")
    return tuple(items)


def json_text(key: str, value: Any, opener: str, expected: str) -> Any:
    """`value` decoded when it is JSON written out as `-c` gives it (starting with
    `opener`), else as it is."""
    if not isinstance(value, str) or not value.lstrip().startswith(opener):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ConfigError(key, value, expected) from None


def parse_accounts(value: Any, *, required: bool = True) -> tuple[str, ...]:
    key = "client_accounts"
    items = parse_list(key, value, "12-digit account ids")
    if not items and required:
        raise ConfigError(key, value, "at least one 12-digit account id")
    return tuple(parse_account(key, item) for item in items)


EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def parse_alarm_email(value: Any) -> str | None:
    if is_unset(value):
        return None
    if not isinstance(value, str) or not EMAIL_PATTERN.fullmatch(value):
        raise ConfigError("alarm_email", value, "an email address such as oncall@example.com (one; more can subscribe to the topic)")
    return value


@dataclass(frozen=True)
class DeniedPrincipals:
    """Callers cut off whatever admits them: role ARNs (or patterns) and whole accounts."""

    role_arns: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.role_arns or self.accounts)

    @property
    def role_patterns(self) -> tuple[str, ...]:
        """Each denied role by its account and name, under any path: a role's name is
        unique in its account, and the logs show assumed-role ARNs, which have no path."""
        patterns = []
        for arn in self.role_arns:
            prefix, _, name = arn.rpartition("/")
            root = prefix.split(":role", 1)[0] + ":role"
            patterns += [f"{root}/{name}", f"{root}/*/{name}"]
        return tuple(dict.fromkeys(patterns))


def parse_denied_principals(value: Any, partition: str) -> DeniedPrincipals:
    key = "denied_principals"
    roles, accounts = [], []
    for item in parse_list(key, value, "role ARNs or 12-digit account ids"):
        if isinstance(item, str) and ACCOUNT_PATTERN.fullmatch(item):
            accounts.append(item)
            continue
        parts = ROLE_ARN_PATTERN.fullmatch(item) if isinstance(item, str) else None
        if parts is None or parts["partition"] != partition or parts["account"] == "*":
            raise ConfigError(
                key,
                item,
                f"a 12-digit account id (to cut off the whole account) or an IAM role ARN in partition {partition} "
                f"with its account, such as arn:{partition}:iam::444455556666:role/orders-api-requestor-prod-eu-west-1 "
                "(* and ? are wildcards in the name)",
            )
        roles.append(item)
    return DeniedPrincipals(tuple(roles), tuple(accounts))


def parse_role_arns(value: Any, partition: str, org_id: str | None, *, rolled_out: bool = False) -> tuple[str, ...]:
    key = "allowed_principal_arns"
    arns = parse_list(key, value, "IAM role ARNs")
    for arn in arns:
        parts = ROLE_ARN_PATTERN.fullmatch(arn) if isinstance(arn, str) else None
        if parts is None or parts["partition"] != partition:
            raise ConfigError(
                key,
                arn,
                f"an IAM role ARN or pattern in partition {partition}, such as "
                f"arn:{partition}:iam::444455556666:role/orders-* (* and ? are wildcards)",
            )
        if parts["account"] == "*" and org_id is None:
            raise ConfigError(key, arn, "a 12-digit account in the ARN; a wildcard account needs org_id")
        if parts["account"] == "*" and rolled_out:
            raise ConfigError(
                key,
                arn,
                "an ARN in an account of client_org_units (its 12-digit id): the guard covers only the requestor role, "
                "and the API admits no account outside those OUs",
            )
        if not any(character.isalnum() for character in parts["name"]):
            raise ConfigError(
                key,
                arn,
                "a role name or path with a letter or digit: a pattern of wildcards and punctuation admits "
                f"almost every role {'of the organization' if parts['account'] == '*' else 'of the account'}. "
                f"Name the roles, such as arn:{partition}:iam::{parts['account']}:role/orders-*",
            )
        if parts["name"][0] in "*?":
            raise ConfigError(
                key,
                arn,
                "a role name or path that starts with literal text: a pattern that starts with a wildcard admits every "
                f"role whose name merely contains its letters, almost every role "
                f"{'of the organization' if parts['account'] == '*' else 'of the account'}. Start it with the roles' "
                f"common prefix, such as arn:{partition}:iam::{parts['account']}:role/orders-*",
            )
    return arns


def parse_org_id(value: Any) -> str | None:
    if is_unset(value):
        return None
    if not isinstance(value, str) or not ORG_ID_PATTERN.fullmatch(value):
        raise ConfigError("org_id", value, "an AWS Organizations id such as o-a1b2c3d4e5")
    return value


def parse_org_paths(value: Any, org_id: str | None) -> tuple[str, ...]:
    key = "org_paths"
    paths = parse_list(key, value, "organization entity paths")
    if paths and org_id is None:
        raise ConfigError(key, value, "no value unless org_id is set too")
    for path in paths:
        if not isinstance(path, str) or not ORG_PATH_PATTERN.fullmatch(path) or not path.startswith(f"{org_id}/"):
            raise ConfigError(
                key, path, f"an entity path in {org_id}, such as {org_id}/r-ab12/ou-ab12-11111111/*"
            )
    return paths


def parse_number(
    key: str, value: Any, *, default: float, maximum: float, whole: bool = False, zero: bool = False
) -> float:
    if is_unset(value):
        return default
    kind = "whole number" if whole else "number"
    try:
        number = (int if whole else float)(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    in_range = number is not None and (0 <= number if zero else 0 < number) and number <= maximum
    if not in_range or (isinstance(value, float) and whole):
        raise ConfigError(key, value, f"a {kind} {'from 0' if zero else 'greater than 0'} and at most {maximum}")
    return number


def parse_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if is_unset(value):
        return choices[0]
    if value not in choices:
        raise ConfigError(key, value, f"one of {', '.join(choices)}")
    return value


def parse_access_mode(value: Any, api_type: str) -> str:
    if api_type == REST:
        return parse_choice("access_mode", value, ACCESS_MODES)
    # An HTTP API has no resource policy: the clients can only assume a role in its account.
    if is_unset(value) or value == ASSUME_ROLE:
        return ASSUME_ROLE
    if value == LAMBDA_AUTHORIZER:
        raise ConfigError(
            "access_mode",
            value,
            f"{ASSUME_ROLE} (or no value) with api_type {HTTP}: the central authorizer is built for REST APIs only "
            f"(a TOKEN authorizer on every method). Use api_type {REST} for access_mode {LAMBDA_AUTHORIZER}",
        )
    raise ConfigError(
        "access_mode",
        value,
        f"{ASSUME_ROLE} (or no value) with api_type {HTTP}: HTTP APIs have no resource policy, so the "
        f"clients assume a role in the API account. Use api_type {REST} for access_mode {RESOURCE_POLICY}",
    )


def parse_endpoint_type(value: Any, api_type: str) -> str:
    endpoint_type = parse_choice("endpoint_type", value, ENDPOINT_TYPES)
    if endpoint_type == PRIVATE and api_type == HTTP:
        raise ConfigError(
            "endpoint_type",
            value,
            f"{REGIONAL} with api_type {HTTP}: HTTP APIs have no private endpoints. Use api_type {REST} for a private API",
        )
    return endpoint_type


def parse_client_networks(
    get: Callable[[str], Any], endpoint_type: str, client_accounts: tuple[str, ...], region: Region
) -> dict[str, ClientNetwork]:
    """client_vpc_ids: one VPC per client account, in the same order. client_subnet_ids
    (and vpc_endpoint_dns_name and vpc_endpoint_security_group_id, if given): as they
    are with one client account, else an object of them by VPC id."""
    private_only = ("client_vpc_ids", "client_subnet_ids", "vpc_endpoint_dns_name", "vpc_endpoint_security_group_id")
    if endpoint_type != PRIVATE:
        for key in private_only:
            if not is_unset(get(key)):
                raise ConfigError(key, get(key), f"no value unless endpoint_type is {PRIVATE}")
        return {}
    vpc_value, subnet_value = get("client_vpc_ids"), get("client_subnet_ids")
    missing = {
        key: expected
        for key, value, expected in (
            ("client_vpc_ids", vpc_value, "one VPC id per client account, in the order of client_accounts"),
            ("client_subnet_ids", subnet_value, "the private subnets the requestor runs in"),
        )
        if is_unset(value)
    }
    if missing:
        raise MissingKeysError(f"endpoint_type {PRIVATE}", missing)
    vpc_ids = parse_list("client_vpc_ids", vpc_value, "VPC ids")
    if len(vpc_ids) != len(client_accounts):
        raise ConfigError(
            "client_vpc_ids",
            vpc_value,
            f"one VPC id per client account, in the order of client_accounts ({len(client_accounts)} with "
            f"endpoint_type {PRIVATE}), such as vpc-0a1b2c3d4e5f67890",
        )
    for vpc_id in vpc_ids:
        if not isinstance(vpc_id, str) or not VPC_ID_PATTERN.fullmatch(vpc_id):
            raise ConfigError("client_vpc_ids", vpc_id, "a VPC id such as vpc-0a1b2c3d4e5f67890")
    subnets = subnets_by_vpc(subnet_value, vpc_ids)
    names = endpoint_names_by_vpc(get("vpc_endpoint_dns_name"), vpc_ids, region)
    groups = endpoint_groups_by_vpc(get("vpc_endpoint_security_group_id"), vpc_ids)
    return {
        account: ClientNetwork(vpc_id, subnets[vpc_id], names[vpc_id], groups[vpc_id])
        for account, vpc_id in zip(client_accounts, vpc_ids)
    }


def values_by_vpc(key: str, value: Any, vpc_ids: tuple[str, ...], example: str) -> dict[str, Any]:
    """One value per client VPC: as it is with one client account, else an object by VPC id."""
    value = json_text(key, value, "{", f"a JSON object by VPC id, such as {example}")
    if isinstance(value, dict):
        if set(value) != set(vpc_ids):
            raise ConfigError(key, value, f"an object with an entry for exactly the VPCs {', '.join(vpc_ids)}")
        return {vpc_id: value[vpc_id] for vpc_id in vpc_ids}
    if len(vpc_ids) == 1:
        return {vpc_ids[0]: value}
    raise ConfigError(key, value, f"an object by VPC id with several client accounts, such as {example}")


def subnets_by_vpc(value: Any, vpc_ids: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    key = "client_subnet_ids"
    given = values_by_vpc(key, value, vpc_ids, '{"vpc-...": ["subnet-...", "subnet-..."]}')
    by_vpc = {vpc_id: parse_list(key, subnets, "subnet ids") for vpc_id, subnets in given.items()}
    for subnet_ids in by_vpc.values():
        if not subnet_ids:
            raise ConfigError(key, value, f"the private subnets the requestor runs in, with endpoint_type {PRIVATE}")
        for subnet_id in subnet_ids:
            if not isinstance(subnet_id, str) or not SUBNET_ID_PATTERN.fullmatch(subnet_id):
                raise ConfigError(key, subnet_id, "a subnet id such as subnet-0a1b2c3d4e5f67890")
    return by_vpc


def endpoint_names_by_vpc(value: Any, vpc_ids: tuple[str, ...], region: Region) -> dict[str, str | None]:
    key = "vpc_endpoint_dns_name"
    if is_unset(value):
        return dict.fromkeys(vpc_ids)
    pattern = re.compile(
        rf"vpce-[0-9a-f]{{17}}-[0-9a-z]{{8}}\.execute-api\.{re.escape(region.name)}\.vpce\.{re.escape(region.domain_suffix)}"
    )
    names = values_by_vpc(key, value, vpc_ids, '{"vpc-...": "vpce-....execute-api.<region>.vpce.amazonaws.com"}')
    for name in names.values():
        if not isinstance(name, str) or not pattern.fullmatch(name):
            raise ConfigError(
                key,
                name,
                f"the DNS name of the VPC's execute-api endpoint, such as "
                f"vpce-0a1b2c3d4e5f67890-abcd1234.execute-api.{region.name}.vpce.{region.domain_suffix}",
            )
    return names


def endpoint_groups_by_vpc(value: Any, vpc_ids: tuple[str, ...]) -> dict[str, str | None]:
    key = "vpc_endpoint_security_group_id"
    if is_unset(value):
        return dict.fromkeys(vpc_ids)
    groups = values_by_vpc(key, value, vpc_ids, '{"vpc-...": "sg-..."}')
    for group in groups.values():
        if not isinstance(group, str) or not SECURITY_GROUP_ID_PATTERN.fullmatch(group):
            raise ConfigError(key, group, "the id of the security group of the VPC's execute-api endpoint, such as sg-0a1b2c3d4e5f67890")
    return groups


def parse_authorizer(
    get: Callable[[str], Any],
    access_mode: str,
    api_region: Region,
    org_id: str | None,
    endpoint_type: str,
    api_id: str | None,
    client_accounts: tuple[str, ...],
) -> tuple[str | None, str | None]:
    """authorizer_account and authorizer_id, for access_mode lambda-authorizer only.
    authorizer_id goes with api_id: both name an API deployed elsewhere, or neither
    (both are read from ApiStack when AuthorizerStack deploys)."""
    keys = ("authorizer_account", "authorizer_region", "authorizer_id")
    if access_mode != LAMBDA_AUTHORIZER:
        for key in keys:
            if not is_unset(get(key)):
                raise ConfigError(key, get(key), f"no value unless access_mode is {LAMBDA_AUTHORIZER}")
        return None, None
    if org_id is not None:
        raise ConfigError(
            "org_id",
            org_id,
            f"no value with access_mode {LAMBDA_AUTHORIZER}: GetCallerIdentity does not prove a caller's "
            "organization. List client_accounts (and allowed_principal_arns) instead",
        )
    for arn in parse_list("allowed_principal_arns", get("allowed_principal_arns"), "IAM role ARNs"):
        if "/" in str(arn).split(":role/", 1)[-1]:
            raise ConfigError(
                "allowed_principal_arns",
                arn,
                f"role ARNs without a path with access_mode {LAMBDA_AUTHORIZER}: GetCallerIdentity names an "
                "assumed role without its path, so the authorizer admits roles by name only",
            )
    if endpoint_type == PRIVATE:
        raise ConfigError("endpoint_type", endpoint_type, f"{REGIONAL} with access_mode {LAMBDA_AUTHORIZER} (not built yet)")
    region_value = get("authorizer_region")
    if not is_unset(region_value) and region_value != api_region.name:
        raise ConfigError(
            "authorizer_region",
            region_value,
            f"api_region {api_region.name!r} (or no value): an authorizer in another region is not tested here",
        )
    account = parse_account("authorizer_account", get("authorizer_account"))
    if account in client_accounts:
        raise ConfigError(
            "authorizer_account",
            account,
            "an account that is not one of client_accounts: the authorizer's administrators decide who gets in "
            "and what the backend is told about each caller, so a client account must not own it. Use the "
            "security account",
        )
    authorizer_id = get("authorizer_id")
    if not is_unset(authorizer_id) and (
        not isinstance(authorizer_id, str) or not AUTHORIZER_ID_PATTERN.fullmatch(authorizer_id)
    ):
        raise ConfigError("authorizer_id", authorizer_id, "ApiStack's AuthorizerId output, 6 lowercase letters and digits")
    if is_unset(authorizer_id) != (api_id is None):
        missing = "authorizer_id" if is_unset(authorizer_id) else "api_id"
        raise ConfigError(
            missing,
            None,
            f"a value with {'api_id' if missing == 'authorizer_id' else 'authorizer_id'} in access_mode "
            f"{LAMBDA_AUTHORIZER}: both name the API and its authorizer of another deployment (its ApiId and "
            "AuthorizerId outputs). Give both, or neither to read them from this app's ApiStack when deploying",
        )
    return account, None if is_unset(authorizer_id) else authorizer_id


def parse_org_rollout(
    get: Callable[[str], Any], org_id: str | None, endpoint_type: str, stage: str, api_region: Region
) -> OrgRollout | None:
    """client_org_units and what goes with them; None when the client side is deployed
    account by account."""
    units = parse_list("client_org_units", get("client_org_units"), "organizational unit ids")
    if not units:
        for key in ORG_ROLLOUT_KEYS[1:]:
            if not is_unset(get(key)):
                raise ConfigError(key, get(key), "no value unless client_org_units is set")
        return None
    missing = {
        key: expected
        for key, expected in (
            ("org_id", "the AWS Organizations id of the OUs, such as o-a1b2c3d4e5: the API admits their accounts through it"),
            ("stackset_account", "where ClientStackSet is deployed: the management account or a delegated StackSets administrator"),
        )
        if is_unset(get(key))
    }
    if missing:
        raise MissingKeysError("client_org_units", missing)
    if endpoint_type == PRIVATE:
        raise ConfigError("client_org_units", units, f"no value with endpoint_type {PRIVATE}: each account needs its own VPC settings")
    for unit in units:
        if not isinstance(unit, str) or not ORG_UNIT_PATTERN.fullmatch(unit):
            raise ConfigError("client_org_units", unit, "an organizational unit id such as ou-ab12-cdefgh34")
    if "_" in stage:
        raise ConfigError("stage", stage, "letters, digits and '-' only with client_org_units: it names the StackSet")
    if api_region.partition not in ORGANIZATIONS_REGION:
        raise ConfigError(
            "api_region", api_region.name, f"a region in the {', '.join(ORGANIZATIONS_REGION)} partitions with client_org_units (Organizations and its StackSets)"
        )
    # The API admits exactly the guarded OUs (their accounts' org paths); the root would
    # admit the management account, which no SCP guards and no StackSet deploys to.
    if not is_unset(get("org_paths")):
        raise ConfigError("org_paths", get("org_paths"), "no value with client_org_units: the API admits exactly those OUs")
    # The StackSet finds the client accounts in the OUs: listed ones would get neither a
    # requestor nor admission.
    if not is_unset(get("client_accounts")):
        raise ConfigError(
            "client_accounts",
            get("client_accounts"),
            "no value with client_org_units: the StackSet deploys a requestor to every account of those OUs and the "
            "API admits exactly them. Remove client_accounts; or, to deploy to the listed accounts one by one, remove "
            "client_org_units and the stackset_ and policy_account keys instead",
        )
    stackset_account = parse_account("stackset_account", get("stackset_account"))
    call_as = parse_choice("stackset_call_as", get("stackset_call_as"), CALL_AS)
    policy_value = get("policy_account")
    return OrgRollout(
        org_units=units,
        stackset_account=stackset_account,
        call_as=call_as,
        policy_account=stackset_account if is_unset(policy_value) else parse_account("policy_account", policy_value),
        policy_region=ORGANIZATIONS_REGION[api_region.partition],
        max_concurrent_percentage=int(
            parse_number("stackset_max_concurrent_percentage", get("stackset_max_concurrent_percentage"), default=25, maximum=100, whole=True)
        ),
        failure_tolerance_percentage=int(
            parse_number(
                "stackset_failure_tolerance_percentage",
                get("stackset_failure_tolerance_percentage"),
                default=0,
                maximum=100,
                whole=True,
                zero=True,
            )
        ),
    )


def parse_invoker_role_arn(value: Any, default: str, api_account: str) -> str:
    if is_unset(value):
        return default
    parts = ROLE_ARN_PATTERN.fullmatch(value) if isinstance(value, str) else None
    is_exact_role_in_api_account = (
        parts is not None
        and parts["account"] == api_account
        and default.startswith(f"arn:{parts['partition']}:")
        and not any(wildcard in value for wildcard in "*?")
    )
    if not is_exact_role_in_api_account:
        raise ConfigError(
            "invoker_role_arn",
            value,
            f"the ARN of ApiStack's invoker role in api_account {api_account}, "
            f"its InvokerRoleArn output, such as {default}",
        )
    return value


def parse_bool(key: str, value: Any, *, default: bool) -> bool:
    if is_unset(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(key, value, "true or false")


def parse_cloudwatch_role(value: Any, api_type: str) -> bool:
    key = "create_cloudwatch_role"
    if api_type == HTTP and not is_unset(value):
        raise ConfigError(key, value, f"no value with api_type {HTTP}: an HTTP API's access logs need no API Gateway CloudWatch role")
    return parse_bool(key, value, default=True)


def parse_region(key: str, value: Any) -> Region:
    if not isinstance(value, str) or not REGION_PATTERN.fullmatch(value):
        raise ConfigError(key, value, "an AWS region name such as \"eu-west-1\"")
    info = region_info.RegionInfo.get(value)
    if info.partition is None:
        raise ConfigError(key, value, "a region known to aws-cdk-lib (check the spelling, or upgrade aws-cdk-lib)")
    return Region(name=value, partition=info.partition, domain_suffix=info.domain_suffix)


def parse_service_name(value: Any) -> str:
    key = "service_name"
    if is_unset(value):
        return DEFAULT_SERVICE_NAME
    if not isinstance(value, str) or len(value) > SERVICE_NAME_LIMIT or not SERVICE_NAME_PATTERN.fullmatch(value):
        raise ConfigError(
            key,
            value,
            f"1 to {SERVICE_NAME_LIMIT} lowercase letters and digits, words joined by '-', starting with a letter, "
            "such as \"inventory\" (it starts every name the app makes: roles, functions, the API)",
        )
    return value


def parse_stage(value: Any) -> str:
    key = "stage"
    if is_unset(value):
        value = "prod"
    if not isinstance(value, str) or not STAGE_PATTERN.fullmatch(value):
        raise ConfigError(key, value, "1 to 128 letters, digits, '-' or '_', such as \"prod\"")
    return value


def check_name_lengths(names: Names) -> None:
    """The stage is what is left to fit: its limit depends on the service and regions."""
    too_long = names.too_long()
    if not too_long:
        return
    what, attribute = too_long[0]
    spare = NAME_LIMIT - (len(getattr(names, attribute)) - len(names.stage))
    raise ConfigError(
        "stage",
        names.stage,
        f"at most {spare} characters with service_name {names.service} and these regions: it is part of {what} "
        f"{getattr(dataclasses.replace(names, stage='<stage>'), attribute)}, and IAM role and Lambda function "
        f"names have at most {NAME_LIMIT} characters",
    )


def parse_backend_function_arn(value: Any, api_account: str, api_region: Region) -> str | None:
    """An existing function in the API's account and region, by ARN (a version or alias
    may follow): API Gateway's permission to invoke it must be made in its account."""
    if is_unset(value):
        return None
    pattern = re.compile(
        rf"arn:{re.escape(api_region.partition)}:lambda:{re.escape(api_region.name)}:{api_account}:function:"
        r"[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?"
    )
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(
            "backend_function_arn",
            value,
            f"the ARN of a Lambda function in api_account {api_account} and api_region {api_region.name}, such as "
            f"arn:{api_region.partition}:lambda:{api_region.name}:{api_account}:function:inventory-backend "
            "(ApiStack grants API Gateway the right to invoke it, which only its own account can)",
        )
    return value


def parse_api_id(value: Any) -> str:
    if not isinstance(value, str) or not API_ID_PATTERN.fullmatch(value):
        raise ConfigError(
            "api_id", value, "the 10 lowercase letters and digits of the REST API id, from ApiStack's ApiId output"
        )
    return value
