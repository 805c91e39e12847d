"""The hashed locks that make installs agree with the pins people edit
(requirements*.txt): each pin is in its lock at the same version, every locked package
has hashes, the pipeline's synth lock holds only what synth needs, at the versions of
the development lock, and the locks cover the pipeline's Python."""

from __future__ import annotations

import pathlib
import re

import pytest

from stacks.pipeline.pipeline_stack import RUNTIMES
from tests.conftest import PROJECT_ROOT

LOCKS = {
    "requirements.txt": "requirements.lock",
    "requirements-dev.txt": "requirements-dev.lock",
    "requirements-checkov.txt": "requirements-checkov.lock",
}
REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$")
HASH = re.compile(r"\s+--hash=sha256:(?P<hash>[0-9a-f]{64})")
LOWEST_PYTHON = "3.11.0"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: pathlib.Path) -> dict[str, str]:
    """The `name==version` lines of a requirements file, its -r includes too."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= pins(path.parent / line[3:].strip())
        elif line:
            name, version = line.split("==")
            found[normalized(name)] = version.strip()
    return found


def locked(lock: str) -> dict[tuple[str, str | None], tuple[str, frozenset[str]]]:
    """Each locked requirement, by name and environment marker: its version and hashes."""
    entries: dict[tuple[str, str | None], tuple[str, set[str]]] = {}
    current = None
    for line in (PROJECT_ROOT / lock).read_text().splitlines():
        if match := REQUIREMENT.match(line):
            current = (normalized(match["name"]), match["marker"])
            entries[current] = (match["version"], set())
        elif match := HASH.match(line):
            entries[current][1].add(match["hash"])
    return {key: (version, frozenset(hashes)) for key, (version, hashes) in entries.items()}


@pytest.mark.parametrize(("requirements", "lock"), LOCKS.items())
def test_every_pin_is_locked_at_its_version(requirements: str, lock: str) -> None:
    versions = {name: version for (name, _), (version, _) in locked(lock).items()}
    assert {name: versions.get(name) for name in pins(PROJECT_ROOT / requirements)} == pins(PROJECT_ROOT / requirements)


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_locked_package_has_its_files_hashes(lock: str) -> None:
    entries = locked(lock)
    assert entries
    assert [key for key, (_, hashes) in entries.items() if not hashes] == []


@pytest.mark.parametrize("lock", LOCKS.values())
def test_the_locks_cover_every_python_the_project_and_the_pipeline_run(lock: str) -> None:
    """Resolved for every Python from 3.11.0 on (the Makefile's minimum), the pipeline's 3.12 included."""
    command = (PROJECT_ROOT / lock).read_text().splitlines()[1]
    assert f"--universal --python-version {LOWEST_PYTHON} --generate-hashes" in command
    assert tuple(map(int, RUNTIMES["python"].split("."))) >= tuple(map(int, LOWEST_PYTHON.split(".")))[:2]


def test_the_synth_lock_is_the_development_locks_versions_and_files() -> None:
    """`make synth SETUP=synth` then `make setup` in one venv installs no package twice."""
    synth, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert {key: dev.get(key) for key in synth} == synth


def test_the_pipelines_synth_installs_no_test_tools() -> None:
    synth = {name for name, _ in locked("requirements.lock")}
    assert not synth & {"pytest", "hypothesis", "principalmapper", "cfn-lint", "boto3", "checkov", "orjson"}
    assert {"aws-cdk-lib", "constructs", "cdk-nag", "cdklabs-cdk-validator-cfnguard", "jsii"} <= synth
