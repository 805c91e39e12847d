"""A synthesized pipeline app, read as the pipeline tests read it: PipelineStack's
CodePipeline, its stages and actions, and the stacks of its deploy stages."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aws_cdk import cx_api
from cfnlint.api import ManualArgs, lint

import app as cdk_app
from stacks.config import AppConfig
from tests.conftest import suite_context
from tests.test_compliance import checkov_scan

# The pipeline's settings of the suite; the connection in the pipeline account and region.
PIPELINE = {
    "pipeline_account": "999988887777",
    "pipeline_connection_arn": "arn:aws:codeconnections:eu-west-1:999988887777:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    "pipeline_repository": "my-org/orders-api",
}
DEPLOY_ROLE = re.compile(r":iam::(?P<account>[0-9]{12}):role/cdk-hnb659fds-deploy-role-(?P=account)-(?P<region>[a-z0-9-]+)$")


@dataclass(frozen=True)
class PipelineAssembly:
    config: AppConfig
    out_dir: pathlib.Path
    assembly: cx_api.CloudAssembly

    @cached_property
    def template(self) -> dict[str, Any]:
        return self.assembly.get_stack_by_name("PipelineStack").template

    @cached_property
    def stage_stacks(self) -> dict[str, dict[str, Any]]:
        """The deploy stages' templates, by stack name."""
        return {stack.stack_name: stack.template for stack in self.assembly.stacks_recursively if stack.stack_name != "PipelineStack"}

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


def synthesize_pipeline(out_dir: pathlib.Path, **overrides: Any) -> PipelineAssembly:
    app = cdk_app.new_app(context=suite_context(**{**PIPELINE, **overrides}), outdir=str(out_dir))
    config = cdk_app.load_config(app)
    cdk_app.build_pipeline(app, config)
    return PipelineAssembly(config=config, out_dir=out_dir, assembly=app.synth())


def synthesize_direct(**overrides: Any) -> dict[str, dict[str, Any]]:
    """The same configuration's stacks as `cdk deploy` gets them (no pipeline), by stack name."""
    app = cdk_app.new_app(context=suite_context(**overrides))
    cdk_app.build_stacks(app, cdk_app.load_config(app))
    return {stack.stack_name: stack.template for stack in app.synth().stacks}


def lint_findings(out_dir: pathlib.Path) -> dict[str, list[str]]:
    """cfn-lint with no check ignored, on every template of the assembly and its stages'."""
    found = {}
    for path in sorted(out_dir.rglob("*.template.json")):
        matches = lint(path.read_text(), config=ManualArgs(regions=["eu-west-1"]))
        if matches:
            found[path.name] = [str(match) for match in matches]
    return found


def checkov_report(out_dir: pathlib.Path, scan_dir: pathlib.Path) -> dict[str, Any]:
    """checkov on every template of the assembly and its stages', gathered in `scan_dir`."""
    scan_dir.mkdir()
    for path in out_dir.rglob("*.template.json"):
        shutil.copy(path, scan_dir / path.name)
    return checkov_scan(scan_dir)
