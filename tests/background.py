"""Commands that tests run as processes of their own (make targets, the pinned CDK CLI,
app.py, pytest in a changed checkout),
started together when the session starts (tests/conftest.py starts the BACKGROUND runs
of every module that has a selected test) so that they use the second core while this
process synthesizes; the tests that read them run last and wait only for their own."""

from __future__ import annotations

import functools
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from tests.conftest import PROJECT_ROOT, environment_without


class Run:
    """`command` run in a new directory that `prepare` fills (it returns the command's
    environment), stdin closed, output captured."""

    def __init__(self, command: Sequence[str], prepare: Callable[[pathlib.Path], dict[str, str]], timeout: float = 300) -> None:
        self.command = list(command)
        self._prepare = prepare
        self._timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        self._not_started: Exception | None = None
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="background-run-"))

    def start(self) -> None:
        """Started once; a `prepare` that fails is reported by the test that reads the
        result, not by the session that starts every run."""
        if self._process is None and self._not_started is None:
            try:
                environment = self._prepare(self.directory)
            except Exception as error:  # noqa: BLE001 (any failure is the reading test's)
                self._not_started = error
                return
            self._process = subprocess.Popen(
                self.command, cwd=self.directory, env=environment, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip

    @functools.cached_property
    def result(self) -> subprocess.CompletedProcess[str]:
        self.start()
        if self._not_started is not None:
            raise self._not_started
        assert self._process is not None
        stdout, stderr = self._process.communicate(timeout=self._timeout)
        return subprocess.CompletedProcess(self.command, self._process.returncode, stdout, stderr)



def copy_project(directory: pathlib.Path, parts: Sequence[str]) -> None:
    """The project's `parts` (files and folders) copied into `directory`, bytecode caches left out."""
    for part in parts:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, directory / part)


def app_py(context: dict[str, Any], checkout: Callable[[pathlib.Path], None] | None = None) -> Run:
    """`python app.py` with `context` as `cdk synth` passes it, writing into the run's
    directory: this project's app.py, or the one of the checkout that `checkout` writes there."""
    def prepare(directory: pathlib.Path) -> dict[str, str]:
        if checkout is not None:
            checkout(directory)
        return environment_without(set(), CDK_CONTEXT_JSON=json.dumps(context), CDK_OUTDIR=str(directory / "cdk.out"))

    return Run([sys.executable, "app.py" if checkout else str(PROJECT_ROOT / "app.py")], prepare, timeout=120)
