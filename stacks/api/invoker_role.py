"""assume-role mode: a role in the API account that the client requestor roles assume
to call the API, for organizations that allow no resource policies."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.api.resource_policy import (
    denied_statements,
    extra_principals,
    listed_account_conditions,
    organization_conditions,
    organization_denials,
)
from stacks.config import Admission, ConfigError
from stacks.names import Names
from stacks.routes import Route
from stacks.shared.compliance import TRUSTED_BY_CONDITIONS, acknowledge_path_parameters, skip_checkov


# IAM's default quota on a role's trust policy, in characters (whitespace not counted).
TRUST_POLICY_SIZE_LIMIT = 2048
# Each session is named after the account it comes from, so the API sees which client
# called (the session name is in the caller's ARN) and no client can take a name that
# says another account. IAM replaces the variable with the caller's account: any
# single-valued global condition key may be used as a policy variable.
SESSION_NAMED_BY_ITS_ACCOUNT = {"StringLike": {"sts:RoleSessionName": "${aws:PrincipalAccount}-*"}}


def _deny_assuming(sid: str, conditions: dict[str, dict[str, object]]) -> iam.PolicyStatement:
    # New sessions only: one already issued lasts its hour (docs/operating.md: cutting a caller off).
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        conditions=conditions,
    )


def _trusted(admission: Admission) -> iam.IPrincipal:
    """The requestor roles: by name in any account of the organization, or by name in
    each listed account (the account written once, so that a hundred fit)."""
    conditions = organization_conditions(admission) if admission.org_id else listed_account_conditions(admission)
    return iam.PrincipalWithConditions(iam.AnyPrincipal(), {**conditions, **SESSION_NAMED_BY_ITS_ACCOUNT})


class InvokerRole(Construct):
    """Trusted only by the admitted principals (the requestor roles), allowed to
    invoke only the routes of this API's stage. Exposes `role`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        admission: Admission,
        api: CfnResource,
        stage_name: str,
        routes: Sequence[Route],
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=names.invoker_role,
            assumed_by=_trusted(admission),
            max_session_duration=Duration.hours(1),
            description=f"Assumed by the client accounts' requestor roles to invoke the {names.title} API",
        )
        skip_checkov(self.role, TRUSTED_BY_CONDITIONS)
        if admission.extra_principal_arns and not admission.org_id:
            roots, conditions = extra_principals(admission)
            self.role.assume_role_policy.add_statements(
                iam.PolicyStatement(
                    principals=roots, actions=["sts:AssumeRole"], conditions={**conditions, **SESSION_NAMED_BY_ITS_ACCOUNT}
                )
            )
        # As in the resource policy: whoever the organization's Allow does not admit,
        # the API account's own principals included, is refused explicitly.
        organization = organization_denials(admission, _deny_assuming) if admission.org_id else []
        for statement in [*denied_statements(admission.denied, _deny_assuming), *organization]:
            self.role.assume_role_policy.add_statements(statement)
        size = len(json.dumps(self.role.assume_role_policy.to_json(), separators=(",", ":")))
        if size > TRUST_POLICY_SIZE_LIMIT:
            raise ConfigError(
                "allowed_principal_arns" if admission.org_id else "client_accounts",
                list(admission.extra_principal_arns if admission.org_id else admission.requestor_accounts),
                f"fewer accounts (or allowed_principal_arns, denied_principals): the invoker role's trust policy would "
                f"be {size} characters, over IAM's default limit of {TRUST_POLICY_SIZE_LIMIT} (each account adds 15). "
                "Admit your AWS Organization with -c org_id=o-... instead, or raise the account's IAM quota "
                "'Role trust policy length' and this limit with it",
            )
        # The same ARNs for a REST and an HTTP API: <api id>/<stage>/<METHOD>/<path>.
        stack = Stack.of(self)

        def route_arn(route: Route) -> str:
            return stack.format_arn(
                service="execute-api",
                resource=api.ref,
                resource_name=f"{stage_name}/{route.arn_suffix}",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )

        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=names.invoke_sid,
                actions=["execute-api:Invoke"],
                resources=[route_arn(route) for route in routes],
            )
        )
        if admission.denied.accounts:
            # Sessions already issued last their hour; this refuses them at once. A session's
            # name starts with its caller's account, which IAM shows in aws:userid.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="DenyTheDeniedAccountsSessions",
                    effect=iam.Effect.DENY,
                    actions=["execute-api:Invoke"],
                    resources=["*"],
                    conditions={"StringLike": {"aws:userid": [f"*:{account}-*" for account in admission.denied.accounts]}},
                )
            )
        acknowledge_path_parameters(self.role, routes, route_arn)
