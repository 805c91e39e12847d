"""The two gates that run outside synth, cfn-lint and checkov, each in ONE process over
every template of every gated configuration (each mode, the pipeline and its variants),
started in the background as soon as those templates exist and read by the tests that
judge them. cdk-nag and Control Tower's controls judge each configuration as it
synthesizes (stacks/shared/compliance.py); their reports are in its assembly.

Identical templates are scanned once: a finding in one is a finding in each copy."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import subprocess
import platform
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stacks.shared.control_tower import package_tarball, resource_types, rules_that_cannot_apply
from tests.conftest import DOMAIN_MODES, MODES, PROJECT_ROOT, synthesize
from tests.pipeline_assembly import PIPELINE_CONFIGURATIONS, synthesize_pipeline

CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"
CFN_LINT = PROJECT_ROOT / ".venv" / "bin" / "cfn-lint"
LINTED_REGION = "eu-west-1"


@dataclass(frozen=True)
class GatedTemplates:
    """Every gated template by its name (`<configuration>/<template file>`), and the
    directory where each distinct one is written once, as `<digest>.template.json`."""

    by_name: dict[str, dict[str, Any]]
    digest_of: dict[str, str]
    directory: pathlib.Path

    def names_of(self, file_path: str) -> list[str]:
        digest = pathlib.Path(file_path).name.removesuffix(".template.json")
        return [name for name, of in self.digest_of.items() if of == digest]


def gather(configurations: dict[str, dict[str, dict[str, Any]]]) -> GatedTemplates:
    """`configurations`: each configuration's templates by file name."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="gated-templates-"))
    by_name, digest_of = {}, {}
    for configuration, templates in configurations.items():
        for file_name, template in templates.items():
            text = json.dumps(template, indent=1, sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()[:20]
            (directory / f"{digest}.template.json").write_text(text)
            by_name[f"{configuration}/{file_name}"] = template
            digest_of[f"{configuration}/{file_name}"] = digest
    return GatedTemplates(by_name, digest_of, directory)


# cfn-guard's name for this machine's platform in the plugin's package (it runs on Linux).
GUARD_BINARY = f"package/bin/ubuntu/{platform.machine()}/cfn-guard"
RULES = "package/rules/control-tower/cfn-guard/"
# A template of a type the app does not create, with a finding: an unencrypted queue.
UNENCRYPTED_QUEUE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": False}}}}


def guard_package() -> pathlib.Path:
    """The plugin's cfn-guard binary and Control Tower rules, unpacked into a directory
    (as the plugin has them, under `package/`)."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="control-tower-"))
    with tarfile.open(package_tarball()) as package:
        members = [m for m in package if m.name == GUARD_BINARY or (m.name.startswith(RULES) and m.name.endswith(".guard"))]
        package.extractall(directory, members=members, filter="data")
    return directory


def guard(package: pathlib.Path, rules: list[pathlib.Path], templates: list[pathlib.Path]) -> subprocess.Popen[str]:
    """cfn-guard as the plugin runs it, on `rules` and `templates`."""
    command = [str(package / GUARD_BINARY), "validate", *(f"--rules={rule}" for rule in rules),
               *(f"--data={template}" for template in templates), "--output-format", "json", "--show-summary", "none",
               "--structured"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Scans:
    """checkov and cfn-lint on the gathered templates, and Control Tower's controls on
    the modes' templates (every rule, and the rules the app chooses), each started once,
    in the background."""

    def __init__(self, gathered: GatedTemplates) -> None:
        self.templates = gathered
        files = sorted(str(path) for path in gathered.directory.glob("*.template.json"))
        self.queue = gathered.directory.parent / f"{gathered.directory.name}-queue.template.json"
        self.queue.write_text(json.dumps(UNENCRYPTED_QUEUE))
        modes = sorted({gathered.directory / f"{digest}.template.json" for name, digest in gathered.digest_of.items() if of_a_mode(name)})
        self.guarded = [*modes, self.queue]
        package = guard_package()
        every_rule = sorted((package / RULES).rglob("*.guard"))
        self.rules_left_out = rules_that_cannot_apply(resource_types(map(str, self.guarded)))
        chosen = [rule for rule in every_rule if rule.stem not in self.rules_left_out]
        self._guard = {"every rule": guard(package, every_rule, self.guarded), "chosen rules": guard(package, chosen, self.guarded)}
        self._checkov = subprocess.Popen(
            [str(CHECKOV), "--directory", str(gathered.directory), "--framework", "cloudformation", "--skip-download",
             "--output", "json"],
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        # No check ignored: every error and warning.
        self._cfn_lint = subprocess.Popen(
            [str(CFN_LINT), "--format", "json", "--regions", LINTED_REGION, "--non-zero-exit-code", "none", "--", *files],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    @functools.cached_property
    def checkov(self) -> dict[str, Any]:
        """checkov's JSON report on every distinct template, offline."""
        output, _ = self._checkov.communicate(timeout=900)
        return json.loads(output)

    @functools.cached_property
    def cfn_lint(self) -> dict[str, list[str]]:
        """cfn-lint's findings by template name (every copy of a template named)."""
        output, errors = self._cfn_lint.communicate(timeout=900)
        assert self._cfn_lint.returncode == 0, errors
        found: dict[str, list[str]] = {}
        for match in json.loads(output):
            for name in self.templates.names_of(match["Filename"]):
                found.setdefault(name, []).append(f"{match['Rule']['Id']} {match['Message']} ({match['Location']['Path']})")
        return found

    @functools.cached_property
    def control_tower(self) -> dict[str, dict[str, Any]]:
        """Each cfn-guard run's findings (its `not_compliant` results) by template."""
        findings = {}
        for run, process in self._guard.items():
            output, errors = process.communicate(timeout=900)
            assert output, errors
            findings[run] = {result["name"]: result["not_compliant"] for result in json.loads(output)}
        return findings

    def checkov_failures(self, selected: Callable[[str], bool]) -> list[str]:
        """checkov's failed checks in the templates whose names `selected` picks."""
        return [
            f"{check['check_id']} {name} {check['resource']}"
            for check in self.checkov["results"]["failed_checks"]
            for name in self.templates.names_of(check["file_path"])
            if selected(name)
        ]


# What each mode is gated with, so that the statements and resources they add are gated
# too: a deny list (resource policy, invoker trust and sessions, the authorizer's
# parameter) and an alarm email (each account's subscription).
GATED_WITH = {"denied_principals": "777788889999,arn:aws:iam::444455556666:role/team-*", "alarm_email": "oncall@example.com"}


# Each mode, and the custom domains' configurations (tests/test_custom_domain.py reads them too).
GATED_MODES = {mode: {**overrides, **GATED_WITH} for mode, overrides in {**MODES, **DOMAIN_MODES}.items()}


def templates_of(out_dir: pathlib.Path) -> dict[str, dict[str, Any]]:
    """An assembly's templates (its stages' too) by path, and each StackSet's member
    template beside its stack's (a string in it: cfn-lint and checkov read it too)."""
    templates = {str(path.relative_to(out_dir)): json.loads(path.read_text()) for path in sorted(out_dir.rglob("*.template.json"))}
    for name, template in list(templates.items()):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::CloudFormation::StackSet":
                templates[name.replace(".template.json", ".member.template.json")] = json.loads(resource["Properties"]["TemplateBody"])
    return templates


def of_a_mode(name: str) -> bool:
    return name.split("/")[0] in GATED_MODES


@functools.cache
def scans() -> Scans:
    """The scans of every gated configuration: each mode (with a deny list), the pipeline and its variants."""
    configurations = {mode: templates_of(synthesize(gated=True, **context).out_dir) for mode, context in GATED_MODES.items()}
    for name, context in PIPELINE_CONFIGURATIONS.items():
        configurations[name] = templates_of(synthesize_pipeline(**context).out_dir)
    return Scans(gather(configurations))
