"""The app's configuration: CDK context turned into one validated, typed object,
which app.py hands to each stack. How each value is read and checked is in
stacks/context_values.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.context_keys import default
from stacks.context_values import (
    DeniedPrincipals,
    ACCESS_MODE_DESCRIPTION,
    ACCESS_MODES,
    API_ID_PATTERN,
    ASSUME_ROLE,
    HTTP,
    MAX_THROTTLE_BURST,
    MAX_THROTTLE_RATE,
    PRIVATE,
    REGIONAL,
    RESOURCE_POLICY,
    REST,
    LAMBDA_AUTHORIZER,
    ClientNetwork,
    ConfigError,
    OrgRollout,
    Region,
    is_unset,
    parse_access_mode,
    parse_account,
    parse_alarm_email,
    parse_denied_principals,
    parse_accounts,
    parse_api_id,
    parse_backend_function_arn,
    parse_authorizer,
    parse_bool,
    parse_choice,
    parse_client_networks,
    parse_cloudwatch_role,
    parse_endpoint_type,
    parse_invoker_role_arn,
    parse_number,
    parse_org_id,
    parse_org_paths,
    parse_org_rollout,
    parse_region,
    parse_role_arns,
    parse_service_name,
    parse_stage,
    check_name_lengths,
    reject_empty_values,
    reject_missing_keys,
    reject_unknown_keys,
)
from stacks.domain.settings import CustomDomain, parse_custom_domain
from stacks.names import Names
from stacks.pipeline.settings import PipelineSettings, parse_pipeline
from stacks.routes import SERVICE, Route, Service

__all__ = [
    "ACCESS_MODE_DESCRIPTION",
    "ACCESS_MODES",
    "API_ID_PATTERN",
    "ASSUME_ROLE",
    "HTTP",
    "PRIVATE",
    "REGIONAL",
    "RESOURCE_POLICY",
    "REST",
    "LAMBDA_AUTHORIZER",
    "Admission",
    "AppConfig",
    "ClientNetwork",
    "ConfigError",
    "DeniedPrincipals",
]


@dataclass(frozen=True)
class Admission:
    """Who the API's resource policy admits: the requestor role in each of
    `requestor_accounts` ("*": any account of the organization) and the
    `extra_principal_arns`, matched with ArnLike on aws:PrincipalArn; within an AWS
    Organization (and some of its paths) when `org_id` is set."""

    partition: str
    api_account: str
    requestor_role_name: str
    requestor_accounts: tuple[str, ...]
    extra_principal_arns: tuple[str, ...] = ()
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()
    # Refused whatever the rest admits.
    denied: DeniedPrincipals = DeniedPrincipals()

    @property
    def principal_arns(self) -> tuple[str, ...]:
        requestors = tuple(
            f"arn:{self.partition}:iam::{account}:role/{self.requestor_role_name}" for account in self.requestor_accounts
        )
        return requestors + self.extra_principal_arns

    @property
    def accounts(self) -> tuple[str, ...]:
        named = (arn.split(":")[4] for arn in self.principal_arns)
        return tuple(dict.fromkeys(account for account in named if account != "*"))

    @property
    def requestor_role_pattern(self) -> str:
        """The requestor role's ARN in any account (no path: its ARN has none)."""
        return f"arn:{self.partition}:iam::*:role/{self.requestor_role_name}"


@dataclass(frozen=True)
class AppConfig:
    service_name: str
    api_account: str
    api_region: Region
    client_accounts: tuple[str, ...]
    client_region: Region
    stage: str
    # The API's id as given in the context (-c api_id), or None: then ApiStack's
    # consumers get a reference that CloudFormation resolves when they deploy.
    api_id: str | None
    throttle_rate: float = default("throttle_rate")
    throttle_burst: int = default("throttle_burst")
    create_cloudwatch_role: bool = default("create_cloudwatch_role")
    allowed_principal_arns: tuple[str, ...] = ()
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()
    access_mode: str = default("access_mode")
    invoker_role_arn: str | None = None
    api_type: str = default("api_type")
    endpoint_type: str = default("endpoint_type")
    # With endpoint_type private: each client account's network, by account.
    client_networks: dict[str, ClientNetwork] = field(default_factory=dict)
    create_vpc_endpoint: bool = default("create_vpc_endpoint")
    # access_mode lambda-authorizer: the security account, and the authorizer's id as
    # given in the context (with api_id), else read from ApiStack like api_id.
    authorizer_account: str | None = None
    authorizer_id: str | None = None
    # client_org_units: the client side rolled out by a StackSet to OUs, with a guard.
    org_rollout: OrgRollout | None = None
    # An existing function in the API account to answer the routes, instead of the service's backend code.
    backend_function_arn: str | None = None
    # Cut off now, whatever admits them: an explicit Deny in every mode.
    denied_principals: DeniedPrincipals = DeniedPrincipals()
    # Subscribed to each account's alarm topic.
    alarm_email: str | None = None
    # The API's routes, health route and backend code, as stacks/routes.py declares them.
    service: Service = SERVICE
    # With pipeline_account: the stacks are delivered by a pipeline in that account.
    pipeline: PipelineSettings | None = None
    # With custom_domain_name: the name the requestors call instead of the execute-api URL.
    custom_domain: CustomDomain | None = None

    def __post_init__(self) -> None:
        # Here rather than where stacks/routes.py makes SERVICE, at import: a mistake is then
        # reported like the context's, and every configuration, the tests' too, is checked.
        self.service.check(backend_code=self.backend_function_arn is None)

    @property
    def names(self) -> Names:
        return Names(self.service_name, self.stage, self.api_region.name, self.client_region.name)

    @property
    def authorizer_function_arn(self) -> str:
        """The central authorizer's function, in authorizer_account (and api_region)."""
        name = self.names.authorizer_function
        return f"arn:{self.api_region.partition}:lambda:{self.api_region.name}:{self.authorizer_account}:function:{name}"

    @property
    def client_vpc_ids(self) -> tuple[str, ...]:
        return tuple(network.vpc_id for network in self.client_networks.values())

    @property
    def admission(self) -> Admission:
        # In an organization the requestor role is admitted by name in any member
        # account; otherwise by its full ARN in each client account.
        return Admission(
            partition=self.api_region.partition,
            api_account=self.api_account,
            requestor_role_name=self.names.requestor_role,
            requestor_accounts=("*",) if self.org_id else self.client_accounts,
            extra_principal_arns=self.allowed_principal_arns,
            org_id=self.org_id,
            org_paths=self.org_paths,
            denied=self.denied_principals,
        )

    @property
    def resource_policy_admission(self) -> Admission | None:
        """Who the REST API's resource policy admits: the requestor roles, or in
        assume-role mode the invoker role (a private API needs a resource policy
        whatever the mode); None when the API has no resource policy."""
        if self.access_mode == RESOURCE_POLICY:
            return self.admission
        if self.endpoint_type == PRIVATE:
            return Admission(
                self.api_region.partition,
                self.api_account,
                self.names.invoker_role,
                (self.api_account,),
                denied=self.denied_principals,
            )
        return None

    @property
    def requestor_url(self) -> str:
        """Where the requestors call the stage: the custom domain when there is one, else the invoke URL."""
        return self.custom_domain.url if self.custom_domain is not None else self.api_url

    @property
    def api_url(self) -> str:
        """The stage's invoke URL, for a configuration that has an api_id (literal or reference)."""
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
            raise ValueError("no api_id: app.py hands ApiStack's consumers a reference to it")
        return self.api_id

    @classmethod
    def from_context(cls, get: Callable[[str], Any], keys: list[str] | tuple[str, ...] = ()) -> AppConfig:
        """Build the config from a context getter such as `app.node.try_get_context`.

        `keys` lists every context key that is set, so that a misspelt key (which
        would silently fall back to a default) is reported.
        """
        reject_unknown_keys(keys)
        reject_empty_values(get)
        reject_missing_keys(get)
        api_region = parse_region("api_region", get("api_region"))
        client_region_value = get("client_region")
        client_region = (
            api_region if is_unset(client_region_value) else parse_region("client_region", client_region_value)
        )
        if client_region.partition != api_region.partition:
            raise ConfigError(
                "client_region",
                client_region.name,
                f"a region in the same partition as api_region {api_region.name!r} "
                f"({api_region.partition}); IAM cannot cross partitions",
            )
        service_name = parse_service_name(get("service_name"))
        stage = parse_stage(get("stage"))
        names = Names(service_name, stage, api_region.name, client_region.name)
        check_name_lengths(names)
        api_id_value = get("api_id")
        org_id = parse_org_id(get("org_id"))
        api_account = parse_account("api_account", get("api_account"))
        api_type = parse_choice("api_type", get("api_type"))
        access_mode = parse_access_mode(get("access_mode"), api_type)
        endpoint_type = parse_endpoint_type(get("endpoint_type"), api_type)
        if endpoint_type == PRIVATE and client_region != api_region:
            raise ConfigError(
                "client_region",
                client_region.name,
                f"api_region {api_region.name!r} with endpoint_type {PRIVATE}: a private API is reached through "
                "VPC endpoints of its own region",
            )
        org_rollout = parse_org_rollout(get, org_id, endpoint_type, stage, api_region)
        # With the rollout the StackSet finds the client accounts in the OUs.
        client_accounts = parse_accounts(get("client_accounts"), required=org_rollout is None)
        api_id = None if is_unset(api_id_value) else parse_api_id(api_id_value)
        authorizer_account, authorizer_id = parse_authorizer(
            get, access_mode, api_region, org_id, endpoint_type, api_id, client_accounts
        )
        # With the rollout the API admits the accounts of its OUs only, wherever they nest.
        org_paths = (
            tuple(f"{org_id}/*/{unit}/*" for unit in org_rollout.org_units)
            if org_rollout
            else parse_org_paths(get("org_paths"), org_id)
        )
        client_networks = parse_client_networks(get, endpoint_type, client_accounts, client_region)
        create_vpc_endpoint = parse_bool("create_vpc_endpoint", get("create_vpc_endpoint"))
        if create_vpc_endpoint and endpoint_type != PRIVATE:
            raise ConfigError("create_vpc_endpoint", get("create_vpc_endpoint"), f"false unless endpoint_type is {PRIVATE}")
        for key, attribute in (
            ("vpc_endpoint_dns_name", "endpoint_dns_name"),
            ("vpc_endpoint_security_group_id", "endpoint_security_group_id"),
        ):
            if create_vpc_endpoint and any(getattr(network, attribute) for network in client_networks.values()):
                raise ConfigError(
                    key, get(key), "no value with create_vpc_endpoint true: they describe an endpoint of the VPC's own"
                )
        invoker_role_arn = None
        if access_mode == ASSUME_ROLE:
            default_invoker = f"arn:{api_region.partition}:iam::{api_account}:role/{names.invoker_role}"
            invoker_role_arn = parse_invoker_role_arn(get("invoker_role_arn"), default_invoker, api_account)
        elif not is_unset(get("invoker_role_arn")):
            raise ConfigError(
                "invoker_role_arn",
                get("invoker_role_arn"),
                f"no value unless access_mode is {ASSUME_ROLE} (which api_type {HTTP} implies): in access_mode "
                f"{access_mode} the requestors assume no role",
            )
        return cls(
            service_name=service_name,
            api_account=api_account,
            api_region=api_region,
            client_accounts=client_accounts,
            client_region=client_region,
            stage=stage,
            api_id=api_id,
            throttle_rate=parse_number("throttle_rate", get("throttle_rate"), maximum=MAX_THROTTLE_RATE),
            throttle_burst=int(
                parse_number("throttle_burst", get("throttle_burst"), maximum=MAX_THROTTLE_BURST, whole=True)
            ),
            create_cloudwatch_role=parse_cloudwatch_role(get("create_cloudwatch_role"), api_type),
            allowed_principal_arns=parse_role_arns(
                get("allowed_principal_arns"), api_region.partition, org_id, rolled_out=org_rollout is not None
            ),
            org_id=org_id,
            org_paths=org_paths,
            access_mode=access_mode,
            invoker_role_arn=invoker_role_arn,
            api_type=api_type,
            endpoint_type=endpoint_type,
            client_networks=client_networks,
            create_vpc_endpoint=create_vpc_endpoint,
            authorizer_account=authorizer_account,
            authorizer_id=authorizer_id,
            org_rollout=org_rollout,
            backend_function_arn=parse_backend_function_arn(get("backend_function_arn"), api_account, api_region),
            denied_principals=parse_denied_principals(get("denied_principals"), api_region.partition),
            alarm_email=parse_alarm_email(get("alarm_email")),
            pipeline=parse_pipeline(get, api_region, client_accounts, authorizer_account, org_rollout),
            custom_domain=parse_custom_domain(
                get, api_account, api_region, endpoint_type, client_networks, create_vpc_endpoint, api_id
            ),
        )
