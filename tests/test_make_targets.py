"""The deploy-time make targets stop at once, before any synth or deploy, when the
AWS profile is missing or unknown; `make test` hands ARGS to pytest and to nothing else."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT
from tools.check_profile import problem

OUTER_MAKE_AND_TARGET_SETTINGS = {
    "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PROFILE", "STACK", "STACKS", "ENVIRONMENT", "CDK_ARGS", "AWS_PROFILE", "TRUST",
    "EXECUTION_POLICIES", "FORCE", "ARGS", "PYTEST_ADDOPTS",
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
    config = tmp_path / "config"
    config.write_text("[profile api-admin]\nregion = eu-west-1\n")
    # Nothing of the make that may run this suite, nor a profile in the shell, leaks in.
    inherited = {key: value for key, value in os.environ.items() if key not in OUTER_MAKE_AND_TARGET_SETTINGS}
    environment = {**inherited, "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    result = subprocess.run(
        ["make", "--no-print-directory", *arguments], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "cdk" not in result.stdout  # nothing was synthesized or deployed


def make_test(arguments: str) -> subprocess.CompletedProcess[str]:
    """`make test ARGS=<arguments>` as a user runs it, without this suite's own settings."""
    inherited = {key: value for key, value in os.environ.items() if key not in OUTER_MAKE_AND_TARGET_SETTINGS}
    return subprocess.run(
        ["make", "--no-print-directory", "test", f"ARGS={arguments}"],
        cwd=PROJECT_ROOT,
        env=inherited,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_test_hands_its_arguments_to_pytest_quoted_as_in_a_shell() -> None:
    result = make_test("--collect-only -q -k 'known_profile or unknown_profile' tests/test_make_targets.py")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("tests/")] == [
        "tests/test_make_targets.py::test_an_unknown_profile_is_named_with_the_known_ones",
        "tests/test_make_targets.py::test_a_known_profile_passes",
    ]


def test_make_tests_arguments_are_never_run_as_commands(tmp_path: pathlib.Path) -> None:
    ran = [tmp_path / f"ran-{number}" for number in range(5)]
    result = make_test(
        f"x; touch {ran[0]} && touch {ran[1]} $(touch {ran[2]}) `touch {ran[3]}` $(shell touch {ran[4]})"
    )
    # pytest got all of it as its arguments, found no test file named "x;" and stopped
    # with its usage error, which make passes on.
    assert "ERROR: file or directory not found: x;" in result.stderr
    assert result.returncode == 2 and result.stderr.endswith(f"] Error {pytest.ExitCode.USAGE_ERROR.value}\n")
    assert [path.name for path in ran if path.exists()] == []
