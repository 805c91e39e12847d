"""PipelineStack, in the pipeline account: CDK Pipelines delivers every account's stacks
from one branch of one repository, in order, and keeps itself up to date.

A push runs: source, `make synth SETUP=synth` (the project's own, with the pinned CLI
and only the Python packages synth needs, each checked against requirements.lock's
hashes, on the repository's cdk.json), the pipeline's own update
(self-mutation), the assets, then the stages of stacks/pipeline/stages.py; with pipeline_approval, a
person's approval before anything deploys; the cross-account check last.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import pipelines
from constructs import Construct

from stacks.config import AppConfig
from stacks.pipeline.check import CrossAccountCheck, checked_account
from stacks.pipeline.hardening import harden
from stacks.pipeline.stages import DeliveryStages
from stacks.shared.log_groups import log_group

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]
# The CodeBuild image and runtimes the synth runs on: Python >= 3.11 as the Makefile needs, and Node 20.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
RUNTIMES = {"python": "3.12", "nodejs": "20"}
# The build runs no tests: it installs what synth needs, not the test tools.
SYNTH_COMMAND = "make synth SETUP=synth"


# The asset publishing builds install cdk-assets with npm: pinned, not `latest`. 4.x
# (bundled, so a pin would fix every dependency) reads asset manifests up to schema 54,
# and aws-cdk-lib 2.275 writes 55; 3.3.1 takes the newest cloud-assembly-schema and its
# AWS SDK within their semver ranges. Checked by running each on this app's manifests.
CDK_ASSETS_VERSION = "3.3.1"


def pinned_cli_version() -> str:
    """The CDK CLI of package.json: the pipeline's own update and its assets use the same one."""
    return json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]


class PipelineStack(Stack):
    """Exposes `pipeline` (the CodePipeline), `source`, `build_logs` and `check` (the CrossAccountCheck, or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, stages: DeliveryStages, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.pipeline
        # Every build's log, kept with the other logs of the app: a release's evidence.
        self.build_logs = log_group(self, "BuildLogs", removal_policy=RemovalPolicy.RETAIN)
        self.source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=config.names.pipeline,
            synth=pipelines.ShellStep(
                "Synth", input=self.source, commands=[SYNTH_COMMAND], primary_output_directory="cdk.out"
            ),
            # Every account's deploy reads the artifacts: they are encrypted with a key of
            # the pipeline's that each target account's deploy role may use.
            cross_account_keys=True,
            enable_key_rotation=True,
            self_mutation=True,
            cli_version=pinned_cli_version(),
            cdk_assets_cli_version=CDK_ASSETS_VERSION,
            docker_enabled_for_synth=False,
            # One CodeBuild project publishes every asset, not one project per asset.
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
                partial_build_spec=codebuild.BuildSpec.from_object({"phases": {"install": {"runtime-versions": RUNTIMES}}}),
                logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_logs)),
            ),
        )
        account = checked_account(config)
        self.check = (
            CrossAccountCheck(self, "Check", config=config, account=account, source=self.source) if account else None
        )
        if self.check is None:
            Annotations.of(self).add_info(
                "No cross-account check after the StackSet: the pipeline does not know the OUs' accounts. "
                "Once the StackSet's instances are deployed, run `make smoke PROFILE=<a member account> "
                "STACK=ClientStackSet` from a checkout whose cdk.json has no pipeline keys."
            )
        # CDK Pipelines writes each stage's templates as it adds the stage, and a consumer's
        # reference adds an output to ApiStack, in an earlier stage: the consumers'
        # stages are written first, so that ApiStack's template has every output.
        for stage in stages.consumers_first:
            stage.synth()
        api = self.pipeline.add_stage(stages.api_stage)
        authorizer = self.pipeline.add_stage(stages.authorizer_stage) if stages.authorizer_stage else None
        # A client side in the API account deploys with the API: no wave, and what guards
        # the client side guards the API's stage.
        wave = self.pipeline.add_wave("Clients") if stages.client_stages else None
        for stage in stages.client_stages.values():
            wave.add_stage(stage)
        # Before the first deploy: ApiStack holds who may call (its resource policy, the
        # deny list), so an approval after it would gate only the clients.
        if settings.approval:
            api.add_pre(pipelines.ManualApprovalStep("ApproveTheRelease"))
        if self.check:
            (wave or authorizer or api).add_post(self.check.step)
        self.pipeline.build_pipeline()
        harden(self.pipeline)
