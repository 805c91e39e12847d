"""client_org_units: the client side in every account of some organizational units, by
a service-managed StackSet with automatic deployment (new accounts get the requestor
by themselves, removed accounts lose it)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_cloudformation as cloudformation
from constructs import Construct

from stacks.client.client_stack import API_ID_PARAMETER
from stacks.config import AppConfig
from stacks.org.member_template import member_template


class ClientStackSet(Stack):
    """Deployed in `org_rollout.stackset_account` (the management account, or a
    delegated StackSets administrator with call_as DELEGATED_ADMIN). Exposes `stack_set`
    and `template` (the member template it deploys)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        rollout = config.org_rollout
        self.template = member_template(config, context)
        self.stack_set = cloudformation.CfnStackSet(
            self,
            "Requestors",
            stack_set_name=config.names.stack_set,
            description=f"SigV4-signing requestor for the {config.names.title} API, in every account of the OUs",
            permission_model="SERVICE_MANAGED",
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            call_as=rollout.call_as,
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                max_concurrent_percentage=rollout.max_concurrent_percentage,
                failure_tolerance_percentage=rollout.failure_tolerance_percentage,
                # Strict mode would cap concurrency at the failure tolerance plus one.
                concurrency_mode="SOFT_FAILURE_TOLERANCE",
                region_concurrency_type="PARALLEL",
            ),
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(rollout.org_units)
                    ),
                    regions=[config.client_region.name],
                )
            ],
            template_body=json.dumps(self.template, separators=(",", ":")),
            # The API's id, read from ApiStack when this stack deploys (or as given
            # with -c api_id); every update of this stack hands the instances the current one.
            parameters=[cloudformation.CfnStackSet.ParameterProperty(parameter_key=API_ID_PARAMETER, parameter_value=config.api_id)],
        )
        CfnOutput(self, "StackSetName", value=self.stack_set.stack_set_name)
