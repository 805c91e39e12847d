"""A function's packages, bundled for Lambda's platform without Docker.

lambda_src/<source>/requirements.txt pins them with hashes. `make setup` downloads
their wheels for Lambda's platform into .wheelhouse/<source>/ (tools/wheelhouse.py);
synth installs from there only (`pip install --no-index`, no network), once per
requirements and platform into .wheelhouse/<source>/installed-<key>/, and copies that
beside the handler into the asset. Only binary wheels built for the platform are
taken, so what runs on Lambda is what was pinned.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]
LAMBDA_SRC = PROJECT_ROOT / "lambda_src"
WHEELHOUSE = PROJECT_ROOT / ".wheelhouse"
REQUIREMENTS = "requirements.txt"
# The functions' runtime and architecture (stacks/shared/python_function.py uses
# them), and the wheels that run there: arm64 (Graviton) costs about 20 % less per
# GB-second than x86_64 for the same work.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
PIP_TARGET = ["--only-binary=:all:", "--platform", PLATFORM, "--python-version", PYTHON_VERSION, "--implementation", "cp"]
# Never written to an asset: bytecode caches of the tests, and the pins themselves.
EXCLUDE = ["__pycache__", "*.pyc"]


class NotSetUp(Exception):
    """The project's setup has not fetched what synth needs; the message says to run it."""


def needs_bundling(source: str) -> bool:
    return (LAMBDA_SRC / source / REQUIREMENTS).is_file()


def bundled_code(source: str) -> lambda_.Code:
    """lambda_src/<source>/ with its packages, as a Lambda asset."""
    wheels = WHEELHOUSE / source
    if not wheels.is_dir():
        shown = wheels.relative_to(PROJECT_ROOT) if wheels.is_relative_to(PROJECT_ROOT) else wheels
        raise NotSetUp(
            f"lambda_src/{source}/{REQUIREMENTS} needs its wheels for Lambda in {shown}, which do not exist: run `make setup`"
        )
    return lambda_.Code.from_asset(
        str(LAMBDA_SRC / source),
        # The asset's hash is its content: the handler and the installed packages.
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never used: the local bundling below always bundles, or stops synth.
            image=DockerImage.from_registry("local-bundling-only"),
            local=_Copy(_installed(source), LAMBDA_SRC / source),
        ),
    )


@jsii.implements(ILocalBundling)
class _Copy:
    """The installed packages and the handler's code, copied into the asset."""

    def __init__(self, installed: pathlib.Path, source_dir: pathlib.Path) -> None:
        self._installed = installed
        self._source_dir = source_dir

    def try_bundle(self, output_dir: str, options: Any) -> bool:
        shutil.copytree(self._installed, output_dir, dirs_exist_ok=True)
        shutil.copytree(
            self._source_dir, output_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(REQUIREMENTS, *EXCLUDE)
        )
        return True


def _installed(source: str) -> pathlib.Path:
    """The packages installed for Lambda's platform from the wheelhouse, once per pins."""
    requirements = LAMBDA_SRC / source / REQUIREMENTS
    key = hashlib.sha256(requirements.read_bytes() + " ".join(PIP_TARGET).encode()).hexdigest()[:16]
    installed = WHEELHOUSE / source / f"installed-{key}"
    if installed.is_dir():
        return installed
    staging = installed.with_name(f"{installed.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
        "--find-links", str(WHEELHOUSE / source), "--require-hashes", "--no-deps", "--no-compile",
        *PIP_TARGET, "--target", str(staging), "-r", str(requirements),
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise NotSetUp(
            f"the wheels in .wheelhouse/{source} do not satisfy lambda_src/{source}/{REQUIREMENTS} "
            f"(run `make setup` after changing it): {finished.stderr.strip()}"
        )
    staging.rename(installed)
    return installed
