"""`cdk synth` through the pinned CLI, as users and CI run it, in a project directory
of the test's own (its cdk.json holds the suite's configuration), so that a user's
cdk.json never changes what is tested."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import subprocess
import sys

import app as cdk_app
from tests.background import Run
from tests.conftest import PROJECT_ROOT, environment_without, suite_context

CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
JSII_PACKAGE_CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "aws" / "jsii" / "package-cache"
OWN_ACCOUNTS = {"api_account": "123456789012", "client_accounts": "210987654321"}


def cdk_synth(**overrides: str) -> Run:
    """`cdk synth` in a project of its own whose cdk.json holds the suite's configuration changed by `overrides`."""

    def prepare(project: pathlib.Path) -> dict[str, str]:
        app = shlex.join([sys.executable, str(PROJECT_ROOT / "app.py")])
        (project / "cdk.json").write_text(json.dumps({"app": app, "context": suite_context(**overrides)}))
        # A home of its own: the CLI would also merge the context of the user's ~/.cdk.json.
        # jsii keeps using the unpacked packages it already has. The app must silence
        # jsii's end-of-life banner itself.
        return environment_without(
            {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"},
            HOME=str(project),
            JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(JSII_PACKAGE_CACHE),
            CDK_DISABLE_CLI_TELEMETRY="1",
        )

    return Run([str(CDK), "synth", "--quiet", "--no-notices", "--output", "cdk.out"], prepare)


# Started when the session starts (tests/background.py).
BACKGROUND = {
    "own accounts": cdk_synth(**OWN_ACCOUNTS),
    "bad account": cdk_synth(api_account="1111-2222-3333"),
}


def test_a_real_configuration_synthesizes_before_anything_is_deployed_in_deploy_order() -> None:
    run = BACKGROUND["own accounts"]
    output = run.result.stdout + run.result.stderr
    assert run.result.returncode == 0, output
    manifest = json.loads((run.directory / "cdk.out" / "manifest.json").read_text())
    stacks = {
        name: artifact["environment"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    client_stack = cdk_app.client_stack_name(OWN_ACCOUNTS["client_accounts"])
    assert stacks == {"ApiStack": "aws://123456789012/eu-west-1", client_stack: "aws://210987654321/eu-west-1"}
    # The order `cdk deploy --all` follows: the client reads ApiStack's outputs when it deploys.
    assert "ApiStack" in manifest["artifacts"][client_stack]["dependencies"]
    assert "WARNING" not in output and "end-of-life" not in output


def test_a_bad_context_value_stops_synth_with_a_clear_message() -> None:
    run = BACKGROUND["bad account"]
    assert run.result.returncode != 0
    assert "Invalid configuration: context key 'api_account' is '1111-2222-3333'" in run.result.stderr
    assert "Traceback" not in run.result.stderr
    assert not list(run.directory.rglob("*.template.json"))


def test_the_cli_without_make_setup_says_to_run_it(tmp_path: pathlib.Path) -> None:
    launcher = PROJECT_ROOT / "tools" / "cdk-app"
    result = subprocess.run(["sh", str(launcher)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("The project is not set up: run `make setup` first")
