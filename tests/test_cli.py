"""`cdk synth` through the pinned CLI, as users and CI run it: no flags needed, and
a bad `-c` value stops it with the app's message and no template."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

from tests.conftest import PROJECT_ROOT


def cdk_synth(out_dir: pathlib.Path, *context: str, stacks: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    flags = [arg for pair in context for arg in ("-c", pair)]
    return subprocess.run(
        ["npx", "--no-install", "cdk", "synth", *stacks, "--quiet", "--no-notices", "--output", str(out_dir), *flags],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_synth_with_no_flags_writes_both_stacks(tmp_path: pathlib.Path) -> None:
    result = cdk_synth(tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stacks = {name: artifact["environment"] for name, artifact in manifest["artifacts"].items() if name.endswith("Stack")}
    assert stacks == {
        "ApiStack": "aws://111122223333/eu-west-1",
        "ClientStack": "aws://444455556666/eu-west-1",
    }


def test_a_bad_context_value_stops_synth_with_a_clear_message(tmp_path: pathlib.Path) -> None:
    result = cdk_synth(tmp_path, "api_account=1111-2222-3333")
    assert result.returncode != 0
    assert "Invalid configuration: context key 'api_account' is '1111-2222-3333'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_phase_one_deploys_while_phase_two_stops_on_the_example_api_id(tmp_path: pathlib.Path) -> None:
    own_accounts = ("api_account=123456789012", "client_accounts=210987654321")
    phase_one = cdk_synth(tmp_path / "one", *own_accounts, stacks=("ApiStack",))
    assert phase_one.returncode == 0, phase_one.stderr
    assert (tmp_path / "one" / "ApiStack.template.json").exists()
    phase_two = cdk_synth(tmp_path / "two", *own_accounts, stacks=("ClientStack",))
    assert phase_two.returncode != 0
    assert "api_id is cdk.json's example id a1b2c3d4e5, but the accounts are not the example accounts" in (
        phase_two.stdout + phase_two.stderr
    )
