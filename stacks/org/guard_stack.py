"""The guard that makes admission by organization safe: with org_id the API admits the
requestor role by its name in any member account, so nobody but the StackSet rollout
may create, change or use a role (or function) of that name in the OUs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from stacks.config import AppConfig

# Service-managed StackSets run in each member account as this role
# (AWS's CloudFormationStackSetsOrgAdminServiceRolePolicy assumes arn:aws:iam::*:role/stacksets-exec-*).
STACKSETS_EXECUTION_ROLE = "stacksets-exec-*"
# Every way to create or take over the requestor role, or the function that runs as it.
PROTECTED_ACTIONS = {
    "CreateOrDeleteTheRole": ["iam:CreateRole", "iam:DeleteRole"],
    "ChangeWhoMayAssumeIt": ["iam:UpdateAssumeRolePolicy"],
    "ChangeItsPermissions": [
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
    ],
    "ChangeItsSettingsOrTags": ["iam:UpdateRole", "iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole"],
    "PassIt": ["iam:PassRole"],
}
# Every way to change a StackSet instance's stack (StackSet-<name>-<id>) but the
# StackSet's own: through it the requestor role could be changed as the execution role.
PROTECTED_STACK_ACTIONS = [
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DeleteStack",
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:SetStackPolicy",
    "cloudformation:UpdateTerminationProtection",
    "cloudformation:ContinueUpdateRollback",
    "cloudformation:CancelUpdateStack",
    "cloudformation:RollbackStack",
    "cloudformation:SignalResource",
    "cloudformation:TagResource",
    "cloudformation:UntagResource",
    # Moving resources out of the instance's stack into another.
    "cloudformation:CreateStackRefactor",
    "cloudformation:ExecuteStackRefactor",
]
PROTECTED_FUNCTION_ACTIONS = [
    "lambda:CreateFunction",
    "lambda:DeleteFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:PublishVersion",
    "lambda:CreateAlias",
    "lambda:UpdateAlias",
    "lambda:AddPermission",
    "lambda:PutFunctionConcurrency",
]


def guard_policy(partition: str, requestor_role_prefix: str, stack_set_name: str) -> dict[str, Any]:
    # Any path: a role of that name under a path would take the name too (names are
    # unique in an account whatever the path).
    role = f"arn:{partition}:iam::*:role/*{requestor_role_prefix}-*"
    function = f"arn:{partition}:lambda:*:*:function:{requestor_role_prefix}-*"
    exception = {"ArnNotLike": {"aws:PrincipalArn": f"arn:{partition}:iam::*:role/{STACKSETS_EXECUTION_ROLE}"}}
    statements = [
        {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": role, "Condition": exception}
        for sid, actions in PROTECTED_ACTIONS.items()
    ]
    statements.append(
        {"Sid": "ChangeTheFunction", "Effect": "Deny", "Action": PROTECTED_FUNCTION_ACTIONS, "Resource": function, "Condition": exception}
    )
    # The exception is a role name: nobody may make or change a role of that name. The
    # StackSets service manages it through its service-linked role, which SCPs do not affect.
    statements.append(
        {
            "Sid": "ProtectTheStackSetsExecutionRole",
            "Effect": "Deny",
            "Action": [action for actions in PROTECTED_ACTIONS.values() for action in actions],
            "Resource": f"arn:{partition}:iam::*:role/*{STACKSETS_EXECUTION_ROLE}",
        }
    )
    # A role of that name that was there before the guard (or before its account joined
    # the OUs) is exempt like the real one: nobody in the OUs may assume it. The
    # StackSets service assumes it from the administrator account, where this SCP does
    # not apply, through its service-linked role, which SCPs never restrict.
    statements.append(
        {
            "Sid": "AssumeTheStackSetsExecutionRole",
            "Effect": "Deny",
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Resource": f"arn:{partition}:iam::*:role/*{STACKSETS_EXECUTION_ROLE}",
        }
    )
    statements.append(
        {
            "Sid": "ChangeTheStackSetsInstanceStacks",
            "Effect": "Deny",
            "Action": PROTECTED_STACK_ACTIONS,
            "Resource": f"arn:{partition}:cloudformation:*:*:stack/StackSet-{stack_set_name}-*",
            "Condition": exception,
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


class OrgGuardStack(Stack):
    """A service control policy on the rollout's OUs, created from the account that may
    manage Organizations policies (`org_rollout.policy_account`). Exposes `policy`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.policy = organizations.CfnPolicy(
            self,
            "RequestorRoleGuard",
            name=config.names.guard_policy,
            description=f"Only the StackSet rollout may create, change or use the {config.names.title} API requestor role",
            type="SERVICE_CONTROL_POLICY",
            content=guard_policy(config.api_region.partition, config.names.requestor_role_prefix, config.names.stack_set),
            target_ids=list(config.org_rollout.org_units),
        )
        CfnOutput(self, "GuardPolicyId", value=self.policy.attr_id)
