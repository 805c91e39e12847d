"""Every context key of the app, declared once: its name, what its value is, its default,
the modes that read it, and what it means.

The rest is derived from these declarations: the unknown-key, empty-value and
missing-key checks, the keys a switch turns on (`client_org_units`, `pipeline_account`),
the defaults the parsers apply (stacks/config.py, stacks/context_values.py), and the
configuration reference (docs/configuration.md, written by `make docs`; a test keeps it
equal).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Where a key is read: every configuration, or the setting that reads it, with when that
# is. Each is a section of the configuration reference, in this order.
EVERY_MODE = "every mode"
ASSUME_ROLE_MODE = "assume-role"
HTTP_API = "HTTP API"
PRIVATE_API = "private API"
CENTRAL_AUTHORIZER = "lambda-authorizer"
ORG_ROLLOUT = "organization rollout"
PIPELINE = "pipeline"
CUSTOM_DOMAIN = "custom domain"
MODES = {
    EVERY_MODE: "Read in every configuration.",
    ASSUME_ROLE_MODE: "Read with `access_mode=assume-role`, and with `api_type=http` (which implies it).",
    HTTP_API: "Read with `api_type=http`.",
    PRIVATE_API: "Read with `endpoint_type=private`.",
    CENTRAL_AUTHORIZER: "Read with `access_mode=lambda-authorizer`.",
    ORG_ROLLOUT: "Read with `client_org_units`; refused without it.",
    PIPELINE: "Read with `pipeline_account`; refused without it.",
    CUSTOM_DOMAIN: "Read with `custom_domain_name` ([custom domains](modes/custom-domains.md)); refused without it.",
}

# Context keys that are CDK's or its CLI's, not the app's: feature flags (@...),
# the CLI's own (aws:cdk:...), lookups' cache entries (name:account=...) and these.
CDK_CLI_KEYS = frozenset({"cli-telemetry", "notices", "acknowledged-issue-numbers"})


@dataclass(frozen=True)
class ContextKey:
    name: str
    # What the value is, as the reference names it ("account id", "list of account ids").
    type: str
    modes: tuple[str, ...]
    # One line: what the key does, and what is refused with it.
    description: str
    # The value the app uses when the key is not set; None: no value (the feature is off).
    default: Any = None
    # A default that is not a literal value, as the reference words it ("api_region").
    default_means: str = ""
    # Keys without a default: what the value holds, for the message that names it missing.
    required: str = ""
    # A key that must be set for this one to be accepted (the switch of its setting).
    turned_on_by: str | None = None
    example: str = ""
    # The values accepted, when there are few; the reference shows them as its type.
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A key added without saying what it is fails at import, and so does every test.
        if not self.description.strip() or "\n" in self.description:
            raise ValueError(f"context key {self.name!r} needs a one-line description")
        unknown = set(self.modes) - set(MODES)
        if self.choices and self.default not in self.choices:
            raise ValueError(f"context key {self.name!r}: its default {self.default!r} is not one of {self.choices}")
        if not self.modes or unknown:
            raise ValueError(f"context key {self.name!r}: modes must be among {tuple(MODES)}, not {sorted(unknown)}")

    @property
    def default_text(self) -> str:
        """The default as the reference shows it."""
        if self.required:
            return "(required)"
        if self.default_means:
            return self.default_means
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "`true`" if self.default else "`false`"
        return f"`{self.default}`"


def _key(name: str, type: str, modes: str | tuple[str, ...], description: str, **details: Any) -> ContextKey:
    return ContextKey(name, type, (modes,) if isinstance(modes, str) else modes, description, **details)


def _choice(name: str, choices: tuple[str, ...], modes: str, description: str, **details: Any) -> ContextKey:
    """A key whose value is one of `choices`; the first is its default."""
    return _key(name, f"one of {', '.join(choices)}", modes, description, choices=choices, default=choices[0], **details)


CONTEXT_KEYS: tuple[ContextKey, ...] = (
    _key(
        "service_name", "name", EVERY_MODE,
        "your service's name: every name the app makes starts with it (API, roles, authorizer function, StackSet, "
        "SCP, Sids, descriptions); lowercase words joined by `-`, at most 24 characters, and short enough for IAM's "
        "64-character role names with the stage and region (synth checks)",
        default="orders", example="inventory",
    ),
    _key(
        "api_account", "account id", EVERY_MODE, "the 12-digit account of ApiStack",
        required="the API's 12-digit AWS account id, such as \"111122223333\"", example="111122223333",
    ),
    _key(
        "api_region", "region", EVERY_MODE, "the region of ApiStack",
        required="the API's region, such as \"eu-west-1\"", example="eu-west-1",
    ),
    _key(
        "client_accounts", "list of account ids", EVERY_MODE,
        "accounts whose requestor may call the API; may include `api_account` (a same-account caller, admitted the "
        "same way); refused with `client_org_units` (the StackSet finds the OUs' accounts)",
        required="the accounts whose requestor may call the API, such as [\"444455556666\"]; or client_org_units instead",
        example="444455556666,777788889999",
    ),
    _key(
        "client_region", "region", EVERY_MODE, "the region of the client stacks (a private API: `api_region` only)",
        default_means="`api_region`", example="us-east-1",
    ),
    _key("stage", "stage name", EVERY_MODE, "the API's stage", default="prod", example="prod"),
    _key(
        "api_id", "API id", EVERY_MODE,
        "the id of an API deployed by another copy of the app or another tool; ApiStack's consumers then use it as "
        "it is and read nothing when they deploy",
        default_means="none: read from ApiStack when each consumer deploys", example="k3x9q2m7pa",
    ),
    _key("throttle_rate", "number", EVERY_MODE, "stage throttling: steady requests per second (at most 10000)",
         default=50, example="200"),
    _key("throttle_burst", "whole number", EVERY_MODE, "stage throttling: the burst (at most 5000)",
         default=100, example="400"),
    _key(
        "create_cloudwatch_role", "true or false", EVERY_MODE,
        "REST API: create the account-wide API Gateway CloudWatch role that stage logs need; `false` where the "
        "account already has one (an HTTP API needs none: refused with `api_type=http`)",
        default=True, example="false",
    ),
    _key(
        "allowed_principal_arns", "list of role ARNs or patterns", EVERY_MODE,
        "more IAM role ARNs or ARN patterns (`*`, `?`) to admit besides the requestor roles; a pattern whose role "
        "name has no literal prefix (`role/*`, `role/*e*`) is refused; with `client_org_units`, only roles in "
        "accounts of those OUs are admitted",
        example="arn:aws:iam::444455556666:role/orders-*",
    ),
    _key(
        "org_id", "organization id", EVERY_MODE,
        "admit the requestor role of any account in this AWS Organization instead of listing accounts",
        example="o-a1b2c3d4e5",
    ),
    _key(
        "org_paths", "list of organization paths", EVERY_MODE,
        "with `org_id`: only accounts under these organization paths", example="o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*",
    ),
    _choice(
        "access_mode", ("resource-policy", "assume-role", "lambda-authorizer"), EVERY_MODE,
        "`resource-policy`: the API's resource policy admits the requestor roles; `assume-role`: they assume an "
        "invoker role in the API account (no resource policy); `lambda-authorizer`: a central authorizer in "
        "`authorizer_account` admits them by their IAM identity",
        example="assume-role",
    ),
    _choice(
        "api_type", ("rest", "http"), EVERY_MODE,
        "`rest`: an API Gateway REST API; `http`: an HTTP API (implies `access_mode=assume-role`; `resource-policy` "
        "is refused)",
        example="http",
    ),
    _choice(
        "endpoint_type", ("regional", "private"), EVERY_MODE,
        "`regional`, or `private`: a private REST API reachable only from `client_vpc_ids` (needs `api_type=rest` "
        "and `client_region` = `api_region`)",
        example="private",
    ),
    _key(
        "backend_function_arn", "Lambda function ARN", EVERY_MODE,
        "an existing Lambda function in `api_account` and `api_region` to serve the routes instead of the service's "
        "backend code (no code deployed; API Gateway's permission is scoped to this API)",
        example="arn:aws:lambda:eu-west-1:111122223333:function:inventory",
    ),
    _key(
        "denied_principals", "list of role ARNs, patterns or account ids", EVERY_MODE,
        "callers cut off now, whatever admits them: role ARNs or patterns (with their 12-digit account) and account "
        "ids; an explicit Deny in every mode",
        example="777788889999,arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1",
    ),
    _key(
        "alarm_email", "email address", EVERY_MODE,
        "an address subscribed to each account's alarm topic (AWS mails a confirmation link)",
        example="oncall@example.com",
    ),
    _key(
        "invoker_role_arn", "role ARN", (ASSUME_ROLE_MODE, HTTP_API),
        "the role the requestors assume (ApiStack's `InvokerRoleArn` output); refused in the other modes",
        default_means="`arn:aws:iam::<api_account>:role/<service_name>-api-invoker-<stage>-<api_region>`",
    ),
    _key(
        "client_vpc_ids", "list of VPC ids", PRIVATE_API,
        "one VPC per client account, in the order of `client_accounts`; the API admits requests from these VPCs only",
        default_means="(required then)", example="vpc-0a1b2c3d4e5f67890",
    ),
    _key(
        "client_subnet_ids", "list of subnet ids, or an object by VPC id", PRIVATE_API,
        "the private subnets the requestor runs in; with several client accounts a JSON object by VPC id",
        default_means="(required then)", example='subnet-0a1b2c3d4e5f67890 or {"vpc-...": ["subnet-..."]}',
    ),
    _key(
        "create_vpc_endpoint", "true or false", PRIVATE_API,
        "ClientStack creates an `execute-api` interface endpoint (and in assume-role mode an STS endpoint) for the "
        "requestor alone, without private DNS; `false`: the VPC has an `execute-api` endpoint already",
        default=False, example="true",
    ),
    _key(
        "vpc_endpoint_dns_name", "DNS name, or an object by VPC id", PRIVATE_API,
        "the DNS name of the VPC's existing `execute-api` endpoint when it has no private DNS (by VPC id with "
        "several accounts)",
        example="vpce-0a1b2c3d4e5f67890-abcd1234.execute-api.eu-west-1.vpce.amazonaws.com",
    ),
    _key(
        "vpc_endpoint_security_group_id", "security group id, or an object by VPC id", PRIVATE_API,
        "the security group of the VPC's existing `execute-api` endpoint; the requestor may then send HTTPS to it "
        "only (by VPC id with several accounts)",
        default_means="none: HTTPS to any address", example="sg-0a1b2c3d4e5f67890",
    ),
    _key(
        "authorizer_account", "account id", CENTRAL_AUTHORIZER,
        "the security account that owns the authorizer (AuthorizerStack); not one of `client_accounts` (its "
        "administrators decide who gets in and what the backend is told about each caller)",
        default_means="(required then)", example="999988887777",
    ),
    _key(
        "authorizer_region", "region", CENTRAL_AUTHORIZER,
        "the authorizer's region; only `api_region` is accepted (another region is not tested)",
        default_means="`api_region`",
    ),
    _key(
        "authorizer_id", "authorizer id", CENTRAL_AUTHORIZER,
        "the authorizer of that other API (its `AuthorizerId` output); with `api_id` only, and needed with it",
        default_means="none: read from ApiStack when AuthorizerStack deploys", example="abc123",
    ),
    _key(
        "client_org_units", "list of OU ids", ORG_ROLLOUT,
        "roll the client side out to every account of these OUs with a StackSet, and guard the requestor role's "
        "name with an SCP; needs `org_id`; the API then admits exactly these OUs (no `org_paths`, no ClientStack "
        "per account)",
        example="ou-ab12-cdefgh34",
    ),
    _key(
        "stackset_account", "account id", ORG_ROLLOUT,
        "where ClientStackSet is deployed: the management account or a delegated StackSets administrator",
        default_means="(required then)", turned_on_by="client_org_units", example="111122223333",
    ),
    _choice(
        "stackset_call_as", ("SELF", "DELEGATED_ADMIN"), ORG_ROLLOUT,
        "`SELF` from the management account, `DELEGATED_ADMIN` from a delegated administrator",
        turned_on_by="client_org_units", example="DELEGATED_ADMIN",
    ),
    _key(
        "policy_account", "account id", ORG_ROLLOUT,
        "the account that may manage Organizations policies (OrgGuardStack)",
        default_means="`stackset_account`", turned_on_by="client_org_units",
    ),
    _key(
        "stackset_max_concurrent_percentage", "whole number", ORG_ROLLOUT,
        "the StackSet's operation preference: accounts deployed at once, in percent (1 to 100)",
        default=25, turned_on_by="client_org_units",
    ),
    _key(
        "stackset_failure_tolerance_percentage", "whole number", ORG_ROLLOUT,
        "the StackSet's operation preference: accounts that may fail, in percent (0 to 100)",
        default=0, turned_on_by="client_org_units",
    ),
    _key(
        "pipeline_account", "account id", PIPELINE,
        "the tooling account the pipeline runs in; turns the pipeline on (the other pipeline keys are refused "
        "without it); not one of `client_accounts`, not `authorizer_account`",
        default_means="none: `make deploy` deploys the stacks", example="999988887777",
    ),
    _key(
        "pipeline_region", "region", PIPELINE, "the pipeline's region, in the partition of `api_region`",
        default_means="`api_region`", turned_on_by="pipeline_account", example="eu-central-1",
    ),
    _key(
        "pipeline_connection_arn", "CodeConnections connection ARN", PIPELINE,
        "a CodeConnections connection of `pipeline_account` to the repository's host (connections serve every "
        "region)",
        default_means="(required then)", turned_on_by="pipeline_account",
        example="arn:aws:codeconnections:eu-west-1:999988887777:connection/<uuid>",
    ),
    _key(
        "pipeline_repository", "owner/name", PIPELINE, "the repository, `owner/name` (no URL, no `.git`)",
        default_means="(required then)", turned_on_by="pipeline_account", example="my-org/orders-api",
    ),
    _key("pipeline_branch", "branch name", PIPELINE, "the branch it delivers",
         default="main", turned_on_by="pipeline_account", example="release/2026"),
    _key(
        "pipeline_approval", "true or false", PIPELINE,
        "a person approves (ManualApproval) before the pipeline deploys anything (before ApiStack)",
        default=False, turned_on_by="pipeline_account", example="true",
    ),
    _key(
        "pipeline_acts_as_org_admin", "true or false", PIPELINE,
        "with `client_org_units`: required `true`, to say you accept that the pipeline deploys the organization's "
        "stacks; refused without `client_org_units`",
        default=False, default_means="(required then)", turned_on_by="pipeline_account", example="true",
    ),
    _key(
        "custom_domain_name", "DNS name", CUSTOM_DOMAIN,
        "a custom domain name for the API, lowercase (no wildcard, no trailing dot): a private API's is shared with "
        "the client accounts through AWS RAM, a regional REST or HTTP API's is regional; the requestor calls it",
        example="orders.internal.example.com",
    ),
    _key(
        "custom_domain_certificate_arn", "ACM certificate ARN", CUSTOM_DOMAIN,
        "an ACM certificate for the name in `api_account` and `api_region`",
        default_means="(required then)", turned_on_by="custom_domain_name",
        example="arn:aws:acm:eu-west-1:111122223333:certificate/<id>",
    ),
    _key(
        "custom_domain_hosted_zone_id", "hosted zone id", CUSTOM_DOMAIN,
        "a regional API only: the Route 53 hosted zone (in `api_account`) that holds the name, where ApiStack adds "
        "the A alias record; leave it out to create the record yourself",
        turned_on_by="custom_domain_name", example="Z0123456789ABCDEFGHIJ",
    ),
    _key(
        "custom_domain_share_outside_org", "true or false", CUSTOM_DOMAIN,
        "a private API only: the RAM share may name accounts outside your AWS Organization "
        "(`AllowExternalPrincipals`; each then accepts an invitation)",
        default=False, turned_on_by="custom_domain_name", example="true",
    ),
    _key(
        "vpc_endpoint_id", "VPC endpoint id, or an object by VPC id", (CUSTOM_DOMAIN, PRIVATE_API),
        "a private API's domain without `create_vpc_endpoint`: each client VPC's existing `execute-api` endpoint, "
        "for the domain access association (by VPC id with several accounts)",
        default_means="(required then)", turned_on_by="custom_domain_name", example="vpce-0a1b2c3d4e5f67890",
    ),
)

KEYS: dict[str, ContextKey] = {key.name: key for key in CONTEXT_KEYS}
KNOWN_KEYS = tuple(KEYS)
REQUIRED_KEYS = {key.name: key.required for key in CONTEXT_KEYS if key.required}


def default(name: str) -> Any:
    """The value a key takes when it is not set, as declared."""
    return KEYS[name].default


def turned_on_by(switch: str) -> tuple[str, ...]:
    """The keys refused unless `switch` is set."""
    return tuple(key.name for key in CONTEXT_KEYS if key.turned_on_by == switch)


def is_unset(value: Any) -> bool:
    return value is None


def reject_unknown_keys(keys: list[str] | tuple[str, ...], error: Callable[[str, str | None], Exception]) -> None:
    for key in keys:
        if key in KEYS or key in CDK_CLI_KEYS or key.startswith("@") or ":" in key:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
        raise error(key, close[0] if close else None)
