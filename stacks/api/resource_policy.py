"""The API's resource policy, and API Gateway's limit on its size."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace

from aws_cdk import aws_iam as iam

from stacks.config import Admission, ConfigError, DeniedPrincipals
from stacks.routes import Route

INVOKE = "execute-api:Invoke"
# API Gateway's quota for a REST API resource policy, in characters.
POLICY_SIZE_LIMIT = 8192
# API Gateway stores `execute-api:/` expanded to the full ARN; the size is measured
# on that longer form (the longest partition and region names, a 10-character id).
EXPANDED_RESOURCE_PREFIX = "arn:aws-us-gov:execute-api:ap-southeast-4:111122223333:a1b2c3d4e5/"


def resource_policy(
    stage_name: str, routes: Sequence[Route], admission: Admission, source_vpcs: Sequence[str] = ()
) -> iam.PolicyDocument:
    """Allow the admitted principals to invoke the routes of this API's stage, and
    deny everyone else (and, for a private API, every request from outside
    `source_vpcs`); stop with a clear error when API Gateway would refuse it."""
    document = _render(stage_name, routes, admission, source_vpcs)
    size = policy_size(document)
    over_the_limit = f"the API's resource policy would be {size} characters, over API Gateway's limit of {POLICY_SIZE_LIMIT}"
    if size > POLICY_SIZE_LIMIT and admission.org_id:
        raise ConfigError(
            "allowed_principal_arns",
            list(admission.extra_principal_arns),
            f"fewer ARN patterns (or fewer org_paths): {over_the_limit}",
        )
    if size > POLICY_SIZE_LIMIT:
        fit = _accounts_that_fit(stage_name, routes, admission, source_vpcs)
        raise ConfigError(
            "client_accounts",
            list(admission.requestor_accounts),
            f"at most {fit} accounts with this configuration: {over_the_limit}. To admit more accounts, "
            "admit your AWS Organization with -c org_id=o-... instead of listing them",
        )
    return document


def policy_size(document: iam.PolicyDocument) -> int:
    compact = json.dumps(document.to_json(), separators=(",", ":"))
    return len(compact.replace("execute-api:/", EXPANDED_RESOURCE_PREFIX))


def organization_conditions(admission: Admission) -> dict[str, dict[str, object]]:
    """With org_id: the conditions on Principal '*' that admit exactly `admission`, in
    a resource policy here and in the invoker role's trust policy."""
    conditions: dict[str, dict[str, object]] = {
        "ArnLike": {"aws:PrincipalArn": list(admission.principal_arns)},
        "StringEquals": {"aws:PrincipalOrgID": admission.org_id},
    }
    if admission.org_paths:
        conditions["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": list(admission.org_paths)}
    return conditions


def organization_denials(
    admission: Admission, deny: Callable[[str, dict[str, dict[str, object]]], iam.PolicyStatement]
) -> list[iam.PolicyStatement]:
    """With org_id: an explicit Deny of everyone the organization's Allow does not admit,
    for a resource policy here and the invoker role's trust. Same-account calls need
    only the caller's own Allow: without these, a principal of the API account could
    call (under the requestor's name, even with the API account outside the
    organization or its paths). With them the API account is admitted like any other:
    its requestor role only when it is in the organization's admitted paths."""
    # The paths start with the organization's id (context_values checks it): inside
    # them is inside the organization. ForAllValues holds for a principal without any
    # path (outside every organization) too, so that it is denied as well.
    outside = (
        ("DenyOutsideTheOrgPaths", {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": list(admission.org_paths)}})
        if admission.org_paths
        else ("DenyOutsideTheOrganization", {"StringNotEquals": {"aws:PrincipalOrgID": admission.org_id}})
    )
    return [deny("DenyEveryoneElse", {"ArnNotLike": {"aws:PrincipalArn": list(admission.principal_arns)}}), deny(*outside)]


def listed_account_conditions(admission: Admission) -> dict[str, dict[str, object]]:
    """Without org_id: the requestor role's name once and each listed account once, as
    conditions on Principal '*', so that hundreds of accounts fit."""
    return {
        "ArnLike": {"aws:PrincipalArn": admission.requestor_role_pattern},
        "StringEquals": {"aws:PrincipalAccount": list(admission.requestor_accounts)},
    }


def extra_principals(admission: Admission) -> tuple[list[iam.IPrincipal], dict[str, dict[str, object]]]:
    """allowed_principal_arns without org_id: their accounts' roots and the ARNs, in a
    statement of their own (an account named only by a pattern does not admit its
    requestor role)."""
    extra = list(admission.extra_principal_arns)
    accounts = dict.fromkeys(arn.split(":")[4] for arn in extra)
    roots = [iam.ArnPrincipal(f"arn:{admission.partition}:iam::{account}:root") for account in accounts]
    return roots, {"ArnLike": {"aws:PrincipalArn": extra}}


def _render(
    stage_name: str, routes: Sequence[Route], admission: Admission, source_vpcs: Sequence[str]
) -> iam.PolicyDocument:
    # `execute-api:/...` is API Gateway's shorthand for THIS API's ARN; an
    # `arn:...:execute-api:REGION:ACCOUNT:*` resource would cover every API in the account.
    routes_of_the_stage = [f"execute-api:/{stage_name}/{route.arn_suffix}" for route in routes]
    admitting = (
        _in_the_organization(routes_of_the_stage, admission)
        if admission.org_id
        else _listed_accounts(routes_of_the_stage, admission)
    )
    network = (
        # A private API's network boundary: aws:SourceVpc is set only for requests
        # that come through a VPC endpoint, so a request from anywhere else (the
        # internet included) is denied too. Nothing here widens the statements above.
        [_deny("DenyOutsideTheClientVpcs", {"StringNotEquals": {"aws:SourceVpc": list(source_vpcs)}})]
        if source_vpcs
        else []
    )
    return iam.PolicyDocument(statements=[*denied_statements(admission.denied, _deny), *admitting, *network])


def _in_the_organization(routes_of_the_stage: list[str], admission: Admission) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="AllowAdmittedPrincipals",
            principals=[iam.AnyPrincipal()],
            actions=[INVOKE],
            resources=routes_of_the_stage,
            conditions=organization_conditions(admission),
        ),
        *organization_denials(admission, _deny),
    ]


def _listed_accounts(routes_of_the_stage: list[str], admission: Admission) -> list[iam.PolicyStatement]:
    """Each listed account once (aws:PrincipalAccount) and the requestor role's name
    once, so that hundreds of accounts fit; tests/test_admission.py proves it admits
    and refuses exactly what one full role ARN per account would."""
    extra = list(admission.extra_principal_arns)
    extra_roots, extra_conditions = extra_principals(admission)
    in_the_api_account = [arn for arn in admission.principal_arns if arn.split(":")[4] == admission.api_account]
    return [
        iam.PolicyStatement(
            sid="AllowTheRequestorRoles",
            principals=[iam.AnyPrincipal()],
            actions=[INVOKE],
            resources=routes_of_the_stage,
            conditions=listed_account_conditions(admission),
        ),
        *(
            [
                iam.PolicyStatement(
                    sid="AllowTheListedPrincipals",
                    principals=extra_roots,
                    actions=[INVOKE],
                    resources=routes_of_the_stage,
                    conditions=extra_conditions,
                )
            ]
            if extra
            else []
        ),
        # An explicit refusal for every other name, in any account.
        _deny("DenyEveryoneElse", {"ArnNotLike": {"aws:PrincipalArn": [admission.requestor_role_pattern, *extra]}}),
        # Same-account calls need only the caller's own Allow: in the API's account, only
        # what is admitted there (a role of the requestor's name in it is not, unless listed).
        _deny(
            "DenyTheApiAccountsOtherPrincipals",
            {
                "StringEquals": {"aws:PrincipalAccount": admission.api_account},
                **({"ArnNotLike": {"aws:PrincipalArn": in_the_api_account}} if in_the_api_account else {}),
            },
        ),
    ]


def denied_statements(
    denied: DeniedPrincipals, deny: Callable[[str, dict[str, dict[str, object]]], iam.PolicyStatement]
) -> list[iam.PolicyStatement]:
    """The explicit Deny of `denied_principals`, one statement per kind (a statement's
    conditions must all hold), for a resource policy here and the invoker role's trust."""
    return [
        *([deny("DenyTheDeniedRoles", {"ArnLike": {"aws:PrincipalArn": list(denied.role_patterns)}})] if denied.role_arns else []),
        *(
            [deny("DenyTheDeniedAccounts", {"StringEquals": {"aws:PrincipalAccount": list(denied.accounts)}})]
            if denied.accounts
            else []
        ),
    ]


def _deny(sid: str, conditions: dict[str, dict[str, object]]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=[INVOKE],
        resources=["execute-api:/*"],
        conditions=conditions,
    )


def _accounts_that_fit(
    stage_name: str, routes: Sequence[Route], admission: Admission, source_vpcs: Sequence[str]
) -> int:
    """How many client accounts fit beside the rest of `admission`: each adds one
    account id, so the size grows linearly with the count."""

    def size_with(count: int) -> int:
        accounts = tuple(f"{n:012d}" for n in range(count))
        return policy_size(_render(stage_name, routes, replace(admission, requestor_accounts=accounts), source_vpcs))

    per_account = size_with(2) - size_with(1)
    return (POLICY_SIZE_LIMIT - size_with(1)) // per_account + 1
