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
from stacks.shared.compliance import record_acknowledgments


class DeliveryStages:
    """Where build_stacks puts each stack (its api, authorizer, client and stack_set
    methods), and the stages the pipeline deploys in order: `api_stage`, then
    `authorizer_stage` (or None), then the `client_stages` as a wave."""

    def __init__(self, scope: Construct, config: AppConfig) -> None:
        self._scope = scope
        self._api_account = config.api_account
        self._created: list[cdk.Stage] = []
        self.api_stage = self._stage("Api")
        self.authorizer_stage: cdk.Stage | None = None
        # Stages of the client wave, by stage id: a client account's, or the StackSet's.
        self.client_stages: dict[str, cdk.Stage] = {}

    def api(self) -> Construct:
        return self.api_stage

    def authorizer(self, account: str) -> Construct:
        if account == self._api_account:
            return self.api_stage
        self.authorizer_stage = self._stage("Authorizer")
        return self.authorizer_stage

    def client(self, account: str) -> Construct:
        return self._wave_stage(account, f"Client-{account}")

    def stack_set(self, account: str) -> Construct:
        return self._wave_stage(account, "StackSet")

    def _wave_stage(self, account: str, stage_id: str) -> Construct:
        if account == self._api_account:
            return self.api_stage
        self.client_stages[stage_id] = self._stage(stage_id)
        return self.client_stages[stage_id]

    def _stage(self, stage_id: str) -> cdk.Stage:
        stage = cdk.Stage(self._scope, stage_id)
        record_acknowledgments(stage)
        self._created.append(stage)
        return stage

    @property
    def consumers_first(self) -> list[cdk.Stage]:
        """Every stage in the order its stacks were built, the API's last: written in this
        order, each consumer has added its outputs to ApiStack before ApiStack is written,
        in the order `cdk deploy`'s app adds them."""
        return [stage for stage in self._created if stage is not self.api_stage] + [self.api_stage]
