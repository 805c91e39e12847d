"""The deploy-time make targets stop at once, before any synth or deploy, when the
AWS profile is missing or unknown; what the user sets reaches them as data, never as
code for the shell or for make, and `make test` hands ARGS to pytest and to nothing else."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

import pytest

from tests.background import Run
from tests.conftest import PROJECT_ROOT, SET_UP, environment_without
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
    environment = environment_without(
        OUTER_MAKE_AND_TARGET_SETTINGS, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none")
    )
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
    assert f"The AWS profile '{project.injection()}' does not exist" in result.stderr
    assert not project.planted.exists()


@pytest.mark.parametrize(("target", "setting"), [("deploy-client", "STACK"), ("deploy-org", "STACKS"), ("smoke", "STACK")])
def test_an_injected_stack_is_only_a_stack_that_is_not_there(project: Project, target: str, setting: str) -> None:
    result = project.make(target, "PROFILE=api-admin", f"{setting}={project.injection()}")
    assert result.returncode == 2
    assert "Nothing to do:" in result.stderr
    assert not project.planted.exists()


def test_cdk_args_are_split_into_arguments_never_evaluated_or_globbed(project: Project) -> None:
    project.make("synth", f"CDK_ARGS=-c stage=dev {project.injection()}")
    assert project.cli_calls[0] == ["synth", "--quiet", "--no-notices", "-c", "stage=dev", *project.injection().split()]
    assert not project.planted.exists()


def test_the_bootstrap_settings_reach_the_cli_each_as_one_argument(project: Project) -> None:
    values = {name: f"{name.lower()} {project.injection()}" for name in ("ENVIRONMENT", "TRUST", "EXECUTION_POLICIES")}
    result = project.make("bootstrap", "PROFILE=api-admin", *(f"{name}={value}" for name, value in values.items()))
    assert result.returncode == 2
    assert project.cli_calls == [
        [
            "bootstrap", values["ENVIRONMENT"], "--profile", "api-admin", "--no-notices",
            "--trust", values["TRUST"], "--cloudformation-execution-policies", values["EXECUTION_POLICIES"],
        ]  # fmt: skip
    ]
    assert not project.planted.exists()


def test_an_injected_force_is_not_true_and_adds_nothing(project: Project) -> None:
    result = project.make("deploy-api", "PROFILE=api-admin", f"FORCE={project.injection()}")
    assert result.returncode == 2
    assert project.cli_calls[-1] == ["deploy", "--app", "cdk.out", "--profile", "api-admin", "--no-notices", "ApiStack", "--exclusively"]
    assert not project.planted.exists()


def test_an_injected_principal_is_refused_as_a_principal(project: Project) -> None:
    result = project.make("revoke", "PROFILE=api-admin", f"PRINCIPAL={project.injection()}")
    assert result.returncode == 2
    assert "revoke did not run: PRINCIPAL " in result.stderr
    assert not project.planted.exists()


def test_an_injected_python_is_only_a_command_that_does_not_exist(project: Project) -> None:
    (project.root / "requirements-dev.lock").write_text("")
    (project.root / ".venv").unlink()
    result = subprocess.run(
        ["make", "--no-print-directory", ".venv/.requirements-installed", f"PYTHON={project.injection()}"],
        cwd=project.root, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "No such file or directory" in result.stderr or "not found" in result.stderr
    assert not project.planted.exists()
    assert not (project.root / ".venv").exists()


def make_test(arguments: str) -> Run:
    """`make test ARGS=<arguments>` in this project as a user runs it, without this suite's own settings."""
    command = ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), *SET_UP, "-o", ".venv-checkov/.requirements-installed"]
    return Run([*command, "test", f"ARGS={arguments}"], lambda directory: environment_without(OUTER_MAKE_AND_TARGET_SETTINGS))


# What the arguments below would create if a shell or make ran them.
RAN = [pathlib.Path(tempfile.mkdtemp(prefix="make-test-arguments-")) / f"ran-{number}" for number in range(5)]
# Started when the session starts (tests/background.py).
BACKGROUND = {
    "quoted arguments": make_test("--collect-only -q -k 'known_profile or unknown_profile' tests/test_make_targets.py"),
    "commands as arguments": make_test(
        f"x; touch {RAN[0]} && touch {RAN[1]} $(touch {RAN[2]}) `touch {RAN[3]}` $(shell touch {RAN[4]})"
    ),
}


def test_make_test_hands_its_arguments_to_pytest_quoted_as_in_a_shell() -> None:
    result = BACKGROUND["quoted arguments"].result
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("tests/")] == [
        "tests/test_make_targets.py::test_an_unknown_profile_is_named_with_the_known_ones",
        "tests/test_make_targets.py::test_a_known_profile_passes",
    ]


def test_make_tests_arguments_are_never_run_as_commands() -> None:
    result = BACKGROUND["commands as arguments"].result
    # pytest got all of it as its arguments, found no test file named "x;" and stopped
    # with its usage error, which make passes on.
    assert "ERROR: file or directory not found: x;" in result.stderr
    assert result.returncode == 2 and result.stderr.endswith(f"] Error {pytest.ExitCode.USAGE_ERROR.value}\n")
    assert [path.name for path in RAN if path.exists()] == []
