"""Where ClientStack's api_id comes from, in order: a real id in the context, phase
one's cdk-outputs.json, cdk.json's example id (example accounts only)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from stacks.config import AppConfig
from stacks.phase_one_outputs import EXAMPLE_API_ID, choose_api_id
from tests.conftest import cdk_json_context

OWN_ACCOUNTS = {"api_account": "123456789012", "client_accounts": "210987654321"}
PHASE_ONE = {"ApiId": "k3x9q2m7pa", "ApiAccount": "123456789012", "ApiRegion": "eu-west-1", "Stage": "prod"}


def config_with(**overrides: Any) -> AppConfig:
    context = {**cdk_json_context(), **overrides}
    context = {key: value for key, value in context.items() if value is not None}
    return AppConfig.from_context(context.get, list(context))


@pytest.fixture
def outputs_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "cdk-outputs.json"
    path.write_text(json.dumps({"ApiStack": PHASE_ONE}))
    return path


def test_an_api_id_in_the_context_comes_first(outputs_file: pathlib.Path) -> None:
    choice = choose_api_id(config_with(api_id="zzzzzzzzz1", **OWN_ACCOUNTS), outputs_file)
    assert (choice.api_id, choice.source, choice.problem) == ("zzzzzzzzz1", "context", None)


def test_the_outputs_file_comes_before_the_example_id(outputs_file: pathlib.Path) -> None:
    choice = choose_api_id(config_with(**OWN_ACCOUNTS), outputs_file)
    assert (choice.api_id, choice.source, choice.problem) == ("k3x9q2m7pa", "cdk-outputs.json", None)


def test_the_outputs_file_serves_when_the_context_has_no_api_id(outputs_file: pathlib.Path) -> None:
    assert choose_api_id(config_with(api_id=None, **OWN_ACCOUNTS), outputs_file).api_id == "k3x9q2m7pa"


def test_the_example_id_serves_the_example_accounts_only(tmp_path: pathlib.Path) -> None:
    no_file = tmp_path / "cdk-outputs.json"
    assert choose_api_id(config_with(), no_file).api_id == EXAMPLE_API_ID
    choice = choose_api_id(config_with(**OWN_ACCOUNTS), no_file)
    assert choice.api_id is None
    assert choice.problem.startswith(
        "api_id is cdk.json's example id a1b2c3d4e5, but the accounts are not the example accounts"
    )
    assert "make deploy-api PROFILE=" in choice.problem and "-c api_id=" in choice.problem


def test_without_any_api_id_the_problem_says_to_deploy_the_api_first(tmp_path: pathlib.Path) -> None:
    choice = choose_api_id(config_with(api_id=None, **OWN_ACCOUNTS), tmp_path / "cdk-outputs.json")
    assert choice.problem.startswith("api_id is not known: deploy ApiStack first with `make deploy-api")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "cdk-outputs.json is not ApiStack's outputs"),
        ('["ApiStack"]', "cdk-outputs.json is not ApiStack's outputs"),
        ('{"ClientStack": {}}', "cdk-outputs.json has no ApiStack ApiId output"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiId": "BAD"}}), "cdk-outputs.json has no ApiStack ApiId output"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiAccount": "999999999999"}}), "cdk-outputs.json describes the API"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "Stage": "dev"}}), "cdk-outputs.json describes the API"),
    ],
)
def test_an_outputs_file_that_does_not_fit_is_a_clear_problem(
    outputs_file: pathlib.Path, content: str, problem: str
) -> None:
    outputs_file.write_text(content)
    choice = choose_api_id(config_with(**OWN_ACCOUNTS), outputs_file)
    assert choice.api_id is None
    assert choice.problem.startswith(problem)
