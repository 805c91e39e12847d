"""A synthesized pipeline app, read as the pipeline tests read it: PipelineStack's
CodePipeline, its stages and actions, and the stacks of its deploy stages."""

from __future__ import annotations

import functools
import json
import pathlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aws_cdk import cx_api

import app as cdk_app
from stacks.config import AppConfig
from tests.conftest import MODES, NO_BUNDLING, suite_context, synthesize

# The pipeline's settings of the suite; the connection in the pipeline account and region.
PIPELINE = {
    "pipeline_account": "999988887777",
    "pipeline_connection_arn": "arn:aws:codeconnections:eu-west-1:999988887777:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    "pipeline_repository": "my-org/orders-api",
}
# The pipeline the suite reads most (two client accounts, another branch, an approval),
# and its variants: the central authorizer's stage; the organization rollout, whose guard
# and StackSet deploy with the API; a pipeline in another region than the stacks.
CONFIGURATION = {"client_accounts": ["444455556666", "555566667777"], "pipeline_branch": "release/2026", "pipeline_approval": True}
OTHER_REGION = "eu-central-1"
VARIANTS: dict[str, dict[str, Any]] = {
    "lambda-authorizer": {**MODES["lambda-authorizer"], "authorizer_account": "777788889999"},
    "org-rollout": {**MODES["org-rollout"], "pipeline_approval": True, "pipeline_acts_as_org_admin": True},
    "another-region": {
        "pipeline_region": OTHER_REGION,
        "pipeline_connection_arn": f"arn:aws:codeconnections:{OTHER_REGION}:999988887777:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    },
}
# Each judged by the four gates (tests/gates.py).
PIPELINE_CONFIGURATIONS = {"pipeline": CONFIGURATION, **{f"pipeline-{name}": context for name, context in VARIANTS.items()}}
DEPLOY_ROLE = re.compile(r":iam::(?P<account>[0-9]{12}):role/cdk-hnb659fds-deploy-role-(?P=account)-(?P<region>[a-z0-9-]+)$")


@dataclass(frozen=True)
class PipelineAssembly:
    config: AppConfig
    assembly: cx_api.CloudAssembly

    @property
    def out_dir(self) -> pathlib.Path:
        return pathlib.Path(self.assembly.directory)

    @cached_property
    def template(self) -> dict[str, Any]:
        return self.assembly.get_stack_by_name("PipelineStack").template

    @cached_property
    def stage_stacks(self) -> dict[str, dict[str, Any]]:
        """The deploy stages' templates, by stack name (assets by their source)."""
        return {
            stack.stack_name: with_asset_sources(stack)
            for stack in self.assembly.stacks_recursively
            if stack.stack_name != "PipelineStack"
        }

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: r for key, r in self.template["Resources"].items() if r["Type"] == resource_type}

    @property
    def pipeline(self) -> dict[str, Any]:
        (pipeline,) = self.resources("AWS::CodePipeline::Pipeline").values()
        return pipeline["Properties"]

    @property
    def stage_names(self) -> list[str]:
        return [stage["Name"] for stage in self.pipeline["Stages"]]

    def actions(self, stage_name: str) -> list[dict[str, Any]]:
        (stage,) = [stage for stage in self.pipeline["Stages"] if stage["Name"] == stage_name]
        return stage["Actions"]

    def actions_of(self, provider: str) -> list[dict[str, Any]]:
        return [a for stage in self.pipeline["Stages"] for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == provider]

    def build_spec(self, action: dict[str, Any]) -> dict[str, Any]:
        """The buildspec of the CodeBuild project a CodeBuild action runs."""
        project = self.template["Resources"][action["Configuration"]["ProjectName"]["Ref"]]
        return json.loads(project["Properties"]["Source"]["BuildSpec"])

    def project_role(self, action: dict[str, Any]) -> str:
        project = self.template["Resources"][action["Configuration"]["ProjectName"]["Ref"]]
        return project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]

    def statements_of(self, role: str) -> list[dict[str, Any]]:
        """Every statement of the identity policies attached to `role` (a logical id)."""
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]


def deploy_target(action: dict[str, Any]) -> tuple[str, str]:
    """The account and region of a CloudFormation deploy action, from the deploy role it assumes."""
    return deploy_role_of(action["RoleArn"])


def deploy_role_of(role_arn: Any) -> tuple[str, str]:
    """The account and region of a bootstrap deploy role, from its ARN as the template writes it."""
    text = role_arn["Fn::Sub"] if "Fn::Sub" in role_arn else "".join(p for p in role_arn["Fn::Join"][1] if isinstance(p, str))
    found = DEPLOY_ROLE.search(text)
    assert found, text
    return found["account"], found["region"]


@functools.cache
def _pipeline(overrides: str) -> PipelineAssembly:
    app = cdk_app.new_app(context=suite_context(**{**NO_BUNDLING, **PIPELINE, **json.loads(overrides)}))
    config = cdk_app.load_config(app)
    cdk_app.build_pipeline(app, config)
    return PipelineAssembly(config=config, assembly=app.synth())


def synthesize_pipeline(**overrides: Any) -> PipelineAssembly:
    """The pipeline app on the suite's configuration with the pipeline's keys, changed by
    `overrides`: synthesized once per session, assets not bundled."""
    return _pipeline(json.dumps(overrides, sort_keys=True))


def synthesize_direct(**overrides: Any) -> dict[str, dict[str, Any]]:
    """The same configuration's stacks as `cdk deploy` gets them (no pipeline), by stack
    name (assets by their source)."""
    return {stack.stack_name: with_asset_sources(stack) for stack in synthesize(gated=True, **overrides).deployment.assembly.stacks}


def with_asset_sources(stack: cx_api.CloudFormationStackArtifact) -> dict[str, Any]:
    """The stack's template with the hash of each asset left unbundled replaced by the
    folder it would be bundled from (outside the assembly). The suite bundles only where
    a test reads the bundle; such a hash stands for where the asset is, not for its content."""
    manifest = pathlib.Path(stack.assembly.directory) / f"{stack.id}.assets.json"
    text = json.dumps(stack.template)
    for asset_hash, asset in json.loads(manifest.read_text())["files"].items():
        if pathlib.Path(asset["source"]["path"]).is_absolute():
            text = text.replace(asset_hash, f"unbundled:{asset['source']['path']}")
    return json.loads(text)
