"""Where ClientStack's api_id comes from, in order: a real id in the context, phase
one's cdk-outputs.json, cdk.json's example id (example accounts only)."""

from __future__ import annotations

import json
import pathlib

import pytest

from stacks.phases.phase_one_outputs import EXAMPLE_API_ID, choose_api_id
from tests.conftest import config_from

OWN_ACCOUNTS = {"api_account": "123456789012", "client_accounts": "210987654321"}
PHASE_ONE = {"ApiId": "k3x9q2m7pa", "ApiAccount": "123456789012", "ApiRegion": "eu-west-1", "Stage": "prod"}


@pytest.fixture
def outputs_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "cdk-outputs.json"
    path.write_text(json.dumps({"ApiStack": PHASE_ONE}))
    return path


def test_an_api_id_in_the_context_comes_first(outputs_file: pathlib.Path) -> None:
    choice = choose_api_id(config_from(api_id="zzzzzzzzz1", **OWN_ACCOUNTS), outputs_file)
    assert (choice.api_id, choice.source, choice.problem) == ("zzzzzzzzz1", "context", None)


def test_the_outputs_file_comes_before_the_example_id(outputs_file: pathlib.Path) -> None:
    choice = choose_api_id(config_from(**OWN_ACCOUNTS), outputs_file)
    assert (choice.api_id, choice.source, choice.problem) == ("k3x9q2m7pa", "cdk-outputs.json", None)


def test_the_outputs_file_serves_when_the_context_has_no_api_id(outputs_file: pathlib.Path) -> None:
    assert choose_api_id(config_from(api_id=None, **OWN_ACCOUNTS), outputs_file).api_id == "k3x9q2m7pa"


def test_the_example_id_serves_the_example_accounts_only(tmp_path: pathlib.Path) -> None:
    no_file = tmp_path / "cdk-outputs.json"
    assert choose_api_id(config_from(), no_file).api_id == EXAMPLE_API_ID
    choice = choose_api_id(config_from(**OWN_ACCOUNTS), no_file)
    assert choice.api_id is None
    assert choice.problem.startswith(
        "api_id is cdk.json's example id a1b2c3d4e5, but the accounts are not the example accounts"
    )
    assert "make deploy-api PROFILE=" in choice.problem and "-c api_id=" in choice.problem


def test_without_any_api_id_the_problem_says_to_deploy_the_api_first(tmp_path: pathlib.Path) -> None:
    choice = choose_api_id(config_from(api_id=None, **OWN_ACCOUNTS), tmp_path / "cdk-outputs.json")
    assert choice.problem.startswith("api_id is not known: deploy ApiStack first with `make deploy-api")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "it is not ApiStack's outputs"),
        ('["ApiStack"]', "it is not ApiStack's outputs"),
        ('{"ClientStack": {}}', "it has no ApiStack ApiId output"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiId": "BAD"}}), "it has no ApiStack ApiId output"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiId": "k3x9q2m7pa\n"}}), "it has no ApiStack ApiId output"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiAccount": "999999999999"}}), "it describes the API"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "Stage": "dev"}}), "it describes the API"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "ApiType": "http"}}), "it describes the API"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "EndpointType": "private"}}), "it describes the API"),
        (json.dumps({"ApiStack": {**PHASE_ONE, "AccessMode": "assume-role"}}), "it describes the API"),
    ],
)
def test_an_outputs_file_that_does_not_fit_is_ignored_with_the_reason(
    outputs_file: pathlib.Path, content: str, why: str
) -> None:
    outputs_file.write_text(content)
    choice = choose_api_id(config_from(**OWN_ACCOUNTS), outputs_file)
    assert choice.ignored.startswith(f"{outputs_file} was ignored: {why}")
    # The normal precedence goes on: here the example id, which these accounts may not use.
    assert (choice.api_id, choice.source) == (None, "example")
    assert choice.problem.startswith("api_id is cdk.json's example id")


def test_the_example_configuration_survives_an_outputs_file_of_another(outputs_file: pathlib.Path) -> None:
    choice = choose_api_id(config_from(), outputs_file)
    assert (choice.api_id, choice.source, choice.problem) == (EXAMPLE_API_ID, "example", None)
    assert "describes the API" in choice.ignored


def test_an_outputs_file_of_an_http_api_serves_an_http_configuration_only(outputs_file: pathlib.Path) -> None:
    outputs_file.write_text(json.dumps({"ApiStack": {**PHASE_ONE, "ApiType": "http", "AccessMode": "assume-role"}}))
    assert choose_api_id(config_from(api_type="http", **OWN_ACCOUNTS), outputs_file).api_id == "k3x9q2m7pa"
    refused = choose_api_id(config_from(**OWN_ACCOUNTS), outputs_file)
    assert refused.api_id is None
    assert "'ApiType': 'http', 'EndpointType': 'regional', 'AccessMode': 'assume-role'}, not this configuration's" in refused.ignored
