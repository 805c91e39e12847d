"""The pipeline's deploy stages, which app.build_stacks fills with the same stacks as
`cdk deploy` gets: the API account's first (ApiStack, and the organization's guard),
then the security account's authorizer, then the client accounts as one wave (each
account a stage of its own, deployed in parallel) or the StackSet.

A stack in the API account deploys in the API's stage whatever it is: CloudFormation
orders stacks of one account that reference each other by a dependency, and a
dependency cannot cross a pipeline's stages.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import AppConfig


class DeliveryStages:
    """Where build_stacks puts each stack, and the order the pipeline deploys them in:
    `api`, then `authorizer` (or None), then the `clients` wave."""

    def __init__(self, scope: Construct, config: AppConfig) -> None:
        self._scope = scope
        self._api_account = config.api_account
        self.api_stage = cdk.Stage(scope, "Api")
        self.authorizer_stage: cdk.Stage | None = None
        # Stages of the client wave, by stage id: a client account's, or the StackSet's.
        self.client_stages: dict[str, cdk.Stage] = {}

    def api(self) -> Construct:
        return self.api_stage

    def authorizer(self, account: str) -> Construct:
        if account == self._api_account:
            return self.api_stage
        self.authorizer_stage = cdk.Stage(self._scope, "Authorizer")
        return self.authorizer_stage

    def client(self, account: str) -> Construct:
        return self._wave_stage(account, f"Client-{account}")

    def stack_set(self, account: str) -> Construct:
        return self._wave_stage(account, "StackSet")

    def _wave_stage(self, account: str, stage_id: str) -> Construct:
        if account == self._api_account:
            return self.api_stage
        self.client_stages[stage_id] = cdk.Stage(self._scope, stage_id)
        return self.client_stages[stage_id]

    @property
    def in_order(self) -> list[cdk.Stage]:
        """Every stage, in the order the pipeline deploys them."""
        first = [self.api_stage] + ([self.authorizer_stage] if self.authorizer_stage else [])
        return first + list(self.client_stages.values())
