"""The deploy-time make targets stop at once, before any synth or deploy, when the
AWS profile is missing or unknown; what the user sets reaches them as data, never as
code for the shell or for make, and `make test` hands ARGS to pytest and to nothing else."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, SET_UP
from tools.check_profile import problem

OUTER_MAKE_AND_TARGET_SETTINGS = {
    "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PROFILE", "STACK", "STACKS", "ENVIRONMENT", "CDK_ARGS", "AWS_PROFILE", "TRUST",
    "EXECUTION_POLICIES", "FORCE", "PRINCIPAL", "PYTHON", "SETUP", "ARGS", "PYTEST_ADDOPTS",
}


def test_no_profile_says_how_to_give_one() -> None:
    assert problem("", "make deploy-api", ["dev"]) == (
        "Set PROFILE to the AWS profile of the account: make deploy-api PROFILE=<profile>"
    )


def test_an_unknown_profile_is_named_with_the_known_ones() -> None:
    message = problem("nonexistent", "make deploy-api", ["prod-api", "dev"])
    assert message.startswith("The AWS profile 'nonexistent' does not exist (profiles in your AWS config: dev, prod-api)")
    assert "aws configure --profile nonexistent" in message


def test_a_known_profile_passes() -> None:
    assert problem("dev", "make deploy-api", ["dev"]) is None


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["smoke"], "Set PROFILE to the AWS profile of the account: make smoke PROFILE=<profile>"),
        (["deploy-api", "PROFILE=nonexistent"], "The AWS profile 'nonexistent' does not exist (profiles in your AWS config: api-admin)"),
        (["bootstrap", "PROFILE=api-admin"], "Set ENVIRONMENT to the account and region to bootstrap"),
        (
            ["bootstrap", "PROFILE=api-admin", "ENVIRONMENT=aws://444455556666/eu-west-1", "TRUST=111122223333"],
            "Set EXECUTION_POLICIES with TRUST",
        ),
    ],
)
def test_make_stops_before_synth_or_deploy(tmp_path: pathlib.Path, arguments: list[str], expected: str) -> None:
    result = make(tmp_path, PROJECT_ROOT, *arguments)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "cdk" not in result.stdout  # nothing was synthesized or deployed


def make(
    tmp_path: pathlib.Path, project: pathlib.Path, *arguments: str, fake_cli: pathlib.Path | None = None
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config"
    config.write_text("[profile api-admin]\nregion = eu-west-1\n")
    # Nothing of the make that may run this suite, nor a profile in the shell, leaks in.
    inherited = {key: value for key, value in os.environ.items() if key not in OUTER_MAKE_AND_TARGET_SETTINGS}
    environment = {**inherited, "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    if fake_cli:
        environment.update(PATH=f"{fake_cli.parent}:{environment['PATH']}", NPX_LOG=str(tmp_path / "npx.log"))
    return subprocess.run(
        ["make", "--no-print-directory", *SET_UP, *arguments],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


# Records each command line the Makefile gives the CDK CLI; its synth writes an app of
# one ApiStack, and anything else fails as an AWS call would here.
FAKE_NPX = """#!{python}
import json, os, pathlib, sys
with open(os.environ["NPX_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["--no-install", "cdk"] and sys.argv[3] == "synth":
    pathlib.Path("cdk.out").mkdir()
    artifact = {{"type": "aws:cloudformation:stack", "environment": "aws://111122223333/eu-west-1"}}
    pathlib.Path("cdk.out/manifest.json").write_text(json.dumps({{"artifacts": {{"ApiStack": artifact}}}}))
    sys.exit(0)
sys.exit(3)
"""


class Project:
    """A project of the Makefile and the tools, whose CDK CLI is FAKE_NPX."""

    def __init__(self, tmp_path: pathlib.Path) -> None:
        self.tmp_path = tmp_path
        self.root = tmp_path / "project"
        self.root.mkdir()
        for name in ("Makefile", ".venv", "tools", "stacks"):
            (self.root / name).symlink_to(PROJECT_ROOT / name)
        (tmp_path / "bin").mkdir()
        self.npx = tmp_path / "bin" / "npx"
        self.npx.write_text(FAKE_NPX.format(python=sys.executable))
        self.npx.chmod(0o755)
        self.planted = tmp_path / "planted"

    def injection(self) -> str:
        """A value that runs `touch planted` wherever the shell or make would evaluate it."""
        touch = f"touch {self.planted}"
        return f"x\"; {touch}; echo \" '; {touch}; ' $({touch}) `{touch}` $(shell {touch}) ${{{touch}}} | {touch} *"

    def make(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return make(self.tmp_path, self.root, *arguments, fake_cli=self.npx)

    @property
    def cli_calls(self) -> list[list[str]]:
        log = self.tmp_path / "npx.log"
        return [json.loads(line)[2:] for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Project:
    return Project(tmp_path)


def test_an_injected_profile_is_only_a_name_that_does_not_exist(project: Project) -> None:
    result = project.make("smoke", f"PROFILE={project.injection()}")
    assert result.returncode == 2
    "EXECUTION_POLICIES", "FORCE", "PRINCIPAL", "PYTHON", "SETUP", "ARGS", "PYTEST_ADDOPTS",
