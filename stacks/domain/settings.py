"""The custom domain's context keys: how each is read and checked.

`custom_domain_name` turns the others on. A private API's domain is a private custom
domain name, shared with the client accounts; a regional API's is a regional custom
domain name. Either way the requestor calls the domain and signs for its host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.context_keys import turned_on_by
from stacks.context_values import (
    PRIVATE,
    ClientNetwork,
    ConfigError,
    MissingKeysError,
    Region,
    is_unset,
    parse_bool,
    values_by_vpc,
)

# Lowercase labels of letters, digits and inner hyphens, at least two, not all-numeric
# at the end: the name the requestor signs for must be the one it sends, byte for byte.
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_NAME_PATTERN = re.compile(rf"(?:{LABEL}\.)+(?=[a-z0-9-]*[a-z])({LABEL})")
DOMAIN_NAME_LIMIT = 253
CERTIFICATE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CERTIFICATE_ARN_PATTERN = re.compile(
    rf"arn:(?P<partition>[a-z-]+):acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{{12}}):certificate/{CERTIFICATE_ID}"
)
HOSTED_ZONE_ID_PATTERN = re.compile(r"Z[0-9A-Z]{1,31}")
VPC_ENDPOINT_ID_PATTERN = re.compile(r"vpce-[0-9a-f]{17}")


@dataclass(frozen=True)
class CustomDomain:
    """The API's custom domain name and its ACM certificate (in the API's account and
    region). Regional: `hosted_zone_id`, the public or private hosted zone where the
    alias record is made (None: the record is the owner's to create). Private: each
    client VPC's existing execute-api endpoint by VPC id, where the client stack does
    not create one (`create_vpc_endpoint`), and whether the RAM share may name accounts
    outside the organization (`share_outside_org`).

    `arn` and `invoke_arn`: the private domain's ARNs (apigateway and execute-api), set
    by app.py for the client stacks as references to ApiStack's domain."""

    name: str
    certificate_arn: str
    hosted_zone_id: str | None = None
    endpoint_ids: dict[str, str] = field(default_factory=dict)
    share_outside_org: bool = False
    arn: str | None = None
    invoke_arn: str | None = None

    @property
    def url(self) -> str:
        """The requestor's base URL: the domain's root is mapped to the API's stage."""
        return f"https://{self.name}"


def parse_custom_domain(
    get: Callable[[str], Any],
    api_account: str,
    api_region: Region,
    endpoint_type: str,
    client_networks: dict[str, ClientNetwork],
    create_vpc_endpoint: bool,
    api_id: str | None,
) -> CustomDomain | None:
    name_value = get("custom_domain_name")
    if is_unset(name_value):
        for key in turned_on_by("custom_domain_name"):
            if not is_unset(get(key)):
                raise ConfigError(key, get(key), "no value unless custom_domain_name is set")
        return None
    name = parse_domain_name(name_value)
    if is_unset(get("custom_domain_certificate_arn")):
        raise MissingKeysError(
            "custom_domain_name",
            {"custom_domain_certificate_arn": certificate_expected(name, api_account, api_region)},
        )
    certificate_arn = parse_certificate_arn(get("custom_domain_certificate_arn"), name, api_account, api_region)
    zone_value = get("custom_domain_hosted_zone_id")
    share_value = get("custom_domain_share_outside_org")
    if endpoint_type == PRIVATE:
        if api_id is not None:
            raise ConfigError(
                "api_id",
                api_id,
                f"no value with custom_domain_name and endpoint_type {PRIVATE}: each client stack reads the domain's "
                "ARN from this app's ApiStack when it deploys, as it reads the API's id",
            )
        if not is_unset(zone_value):
            raise ConfigError(
                "custom_domain_hosted_zone_id",
                zone_value,
                f"no value with endpoint_type {PRIVATE}: each client stack makes a private hosted zone of "
                f"{name} on its own VPC",
            )
        return CustomDomain(
            name,
            certificate_arn,
            endpoint_ids=parse_endpoint_ids(get, client_networks, create_vpc_endpoint),
            share_outside_org=parse_bool("custom_domain_share_outside_org", share_value),
        )
    for key in ("vpc_endpoint_id", "custom_domain_share_outside_org"):
        if not is_unset(get(key)):
            raise ConfigError(key, get(key), f"no value unless endpoint_type is {PRIVATE} (a regional domain is not shared)")
    hosted_zone_id = None
    if not is_unset(zone_value):
        if not isinstance(zone_value, str) or not HOSTED_ZONE_ID_PATTERN.fullmatch(zone_value):
            raise ConfigError(
                "custom_domain_hosted_zone_id",
                zone_value,
                f"the id of the Route 53 hosted zone that holds {name} (in api_account {api_account}), such as "
                "Z0123456789ABCDEFGHIJ; leave it out to create the record yourself",
            )
        hosted_zone_id = zone_value
    return CustomDomain(name, certificate_arn, hosted_zone_id)


def parse_domain_name(value: Any) -> str:
    key = "custom_domain_name"
    if (
        not isinstance(value, str)
        or len(value) > DOMAIN_NAME_LIMIT
        or not DOMAIN_NAME_PATTERN.fullmatch(value)
    ):
        raise ConfigError(
            key,
            value,
            "a DNS name in lowercase, such as orders.api.example.com: labels of letters, digits and inner '-', "
            "separated by dots, no wildcard, no trailing dot, at most 253 characters",
        )
    return value


def certificate_expected(name: str, api_account: str, api_region: Region) -> str:
    return (
        f"the ARN of an ACM certificate for {name} in api_account {api_account} and api_region {api_region.name}, "
        f"such as arn:{api_region.partition}:acm:{api_region.name}:{api_account}:certificate/"
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789 (a regional or private domain's certificate is in the API's region)"
    )


def parse_certificate_arn(value: Any, name: str, api_account: str, api_region: Region) -> str:
    parts = CERTIFICATE_ARN_PATTERN.fullmatch(value) if isinstance(value, str) else None
    in_place = (
        parts is not None
        and parts["partition"] == api_region.partition
        and parts["region"] == api_region.name
        and parts["account"] == api_account
    )
    if not in_place:
        raise ConfigError("custom_domain_certificate_arn", value, certificate_expected(name, api_account, api_region))
    return value


def parse_endpoint_ids(
    get: Callable[[str], Any], client_networks: dict[str, ClientNetwork], create_vpc_endpoint: bool
) -> dict[str, str]:
    """Each client VPC's execute-api endpoint, which the domain access association is
    made from: the client stack's own (create_vpc_endpoint) or one vpc_endpoint_id names."""
    key = "vpc_endpoint_id"
    value = get(key)
    if create_vpc_endpoint:
        if not is_unset(value):
            raise ConfigError(key, value, "no value with create_vpc_endpoint true: the association is made from the endpoint the client stack creates")
        return {}
    if is_unset(value):
        raise ConfigError(
            key,
            value,
            "the id of each client VPC's execute-api endpoint (an object by VPC id with several client accounts), such "
            "as vpce-0a1b2c3d4e5f67890, for the domain's access association; or -c create_vpc_endpoint=true",
        )
    vpc_ids = tuple(network.vpc_id for network in client_networks.values())
    ids = values_by_vpc(key, value, vpc_ids, '{"vpc-...": "vpce-..."}')
    for vpc_id, endpoint_id in ids.items():
        if not isinstance(endpoint_id, str) or not VPC_ENDPOINT_ID_PATTERN.fullmatch(endpoint_id):
            raise ConfigError(key, endpoint_id, "the id of the VPC's execute-api endpoint, such as vpce-0a1b2c3d4e5f67890")
        named = next(n.endpoint_dns_name for n in client_networks.values() if n.vpc_id == vpc_id)
        if named is not None and not named.startswith(f"{endpoint_id}-"):
            raise ConfigError(
                key,
                endpoint_id,
                f"the endpoint vpc_endpoint_dns_name names for {vpc_id} ({named.split('-', 2)[0]}-{named.split('-', 2)[1]})",
            )
    return ids
