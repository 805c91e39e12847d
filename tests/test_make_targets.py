"""The deploy-time make targets stop at once, before any synth or deploy, when the
AWS profile is missing or unknown."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT
from tools.check_profile import problem

OUTER_MAKE_AND_TARGET_SETTINGS = {
    "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PROFILE", "STACK", "STACKS", "ENVIRONMENT", "CDK_ARGS", "AWS_PROFILE", "TRUST",
    "EXECUTION_POLICIES", "FORCE",
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
