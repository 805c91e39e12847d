"""The backend's packages (lambda_src/api/requirements.txt), bundled for Lambda's
platform without Docker and without the network; and an existing function instead."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from stacks.shared import bundling
from tests.background import app_py, copy_project
from tests.conftest import PROJECT_ROOT, SynthesizedApp, suite_context, synthesize, synthesize_bundled

ELF_MACHINE_AARCH64 = 183
EXISTING = "arn:aws:lambda:eu-west-1:111122223333:function:inventory-backend"


def pins(path: pathlib.Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", path.read_text(), re.MULTILINE))


def backend_asset(out_dir: pathlib.Path, synth: SynthesizedApp) -> pathlib.Path:
    (function,) = synth.api.find_resources("AWS::Lambda::Function").values()
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    return out_dir / f"asset.{asset_hash}"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, SynthesizedApp]:
    out_dir = tmp_path_factory.mktemp("bundled")
    return out_dir, synthesize_bundled(out_dir)


def test_the_asset_holds_the_handler_and_its_package_built_for_lambdas_platform(
    synthesized: tuple[pathlib.Path, SynthesizedApp],
) -> None:
    asset = backend_asset(*synthesized)
    assert (asset / "handler.py").read_text() == (bundling.LAMBDA_SRC / "api" / "handler.py").read_text()
    (extension,) = asset.glob("orjson/orjson*.so")
    header = extension.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64
    assert ".cpython-314-aarch64-linux-gnu" in extension.name
    (dist_info,) = asset.glob("orjson-*.dist-info")
    assert dist_info.name == f"orjson-{pins(bundling.LAMBDA_SRC / 'api' / 'requirements.txt')['orjson']}.dist-info"
    # Nothing but what runs: no pins, no bytecode caches.
    assert not list(asset.rglob("requirements.txt")) and not list(asset.rglob("__pycache__"))


def test_every_pin_has_the_hash_of_its_lambda_wheel() -> None:
    text = (bundling.LAMBDA_SRC / "api" / "requirements.txt").read_text()
    assert pins(bundling.LAMBDA_SRC / "api" / "requirements.txt")
    assert text.count("==") == text.count("--hash=sha256:")


def test_the_tests_run_the_backend_with_the_version_lambda_gets() -> None:
    backend = pins(bundling.LAMBDA_SRC / "api" / "requirements.txt")
    development = pins(PROJECT_ROOT / "requirements-dev.txt")
    assert {name: development.get(name) for name in backend} == backend


def test_bundling_needs_no_docker_and_gives_the_same_asset_twice(
    synthesized: tuple[pathlib.Path, SynthesizedApp], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CDK would run this instead of `docker` if it fell back to Docker bundling.
    monkeypatch.setenv("CDK_DOCKER", str(tmp_path / "no-docker-here"))
    again = synthesize_bundled(tmp_path)
    assert backend_asset(tmp_path, again).name == backend_asset(*synthesized).name


def test_without_the_wheelhouse_synth_says_to_run_make_setup(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundling, "WHEELHOUSE", tmp_path / "no-wheelhouse")
    with pytest.raises(bundling.NotSetUp, match=r"lambda_src/api/requirements.txt needs its wheels .*: run `make setup`"):
        synthesize_bundled(tmp_path / "cdk.out")


def test_wheels_that_do_not_match_the_pins_say_to_run_make_setup(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "api").mkdir()
    monkeypatch.setattr(bundling, "WHEELHOUSE", tmp_path)
    with pytest.raises(bundling.NotSetUp, match=r"do not satisfy lambda_src/api/requirements.txt \(run `make setup`"):
        synthesize_bundled(tmp_path / "cdk.out")


@pytest.fixture(scope="module")
def existing() -> SynthesizedApp:
    return synthesize(backend_function_arn=EXISTING)


def test_an_existing_function_is_invoked_and_none_is_deployed(existing: SynthesizedApp) -> None:
    existing.api.resource_count_is("AWS::Lambda::Function", 0)
    integrations = [m["Properties"]["Integration"]["Uri"] for m in existing.api.find_resources("AWS::ApiGateway::Method").values()]
    assert integrations and all(EXISTING in json.dumps(uri) for uri in integrations)


def test_api_gateway_may_invoke_the_existing_function_for_this_apis_routes_only(existing: SynthesizedApp) -> None:
    permissions = existing.api.find_resources("AWS::Lambda::Permission").values()
    suffixes = set()
    for permission in permissions:
        properties = permission["Properties"]
        assert (properties["FunctionName"], properties["Principal"]) == (EXISTING, "apigateway.amazonaws.com")
        prefix, api, _, stage, suffix = properties["SourceArn"]["Fn::Join"][1]
        assert prefix == "arn:aws:execute-api:eu-west-1:111122223333:" and set(api) == {"Ref"}
        suffixes.add(suffix)
    assert suffixes == {f"/{route.arn_suffix}" for route in existing.routes}


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:eu-west-1:999988887777:function:inventory-backend",  # another account
        "arn:aws:lambda:us-east-1:111122223333:function:inventory-backend",  # another region
        "arn:aws:lambda:eu-west-1:111122223333:function:*",
        "inventory-backend",
    ],
)
def test_a_function_the_api_cannot_be_granted_is_refused(arn: str) -> None:
    from stacks.config import ConfigError
    from tests.conftest import config_from

    with pytest.raises(ConfigError, match="a Lambda function in api_account 111122223333 and api_region eu-west-1"):
        config_from(backend_function_arn=arn)


# Started when the session starts (tests/background.py): app.py in a checkout whose setup
# has not fetched the wheels (the app and its code, no .wheelhouse).
BACKGROUND = {
    "without the wheelhouse": app_py(
        suite_context(), checkout=lambda directory: copy_project(directory, ("app.py", "stacks", "lambda_src", "tools", "cdk.json"))
    )
}


def test_the_app_says_so_without_a_traceback_and_writes_no_template() -> None:
    run = BACKGROUND["without the wheelhouse"]
    assert run.result.returncode == 1
    assert run.result.stderr.startswith("The project is not set up: lambda_src/api/requirements.txt needs its wheels")
    assert "Traceback" not in run.result.stderr and not list(run.directory.rglob("*.template.json"))
