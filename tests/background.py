"""Commands that tests run as processes of their own (make targets, the pinned CDK CLI),
started together when the session starts (tests/conftest.py starts the BACKGROUND runs
of every module that has a selected test) so that they use the second core while this
process synthesizes; the tests that read them run last and wait only for their own."""

from __future__ import annotations

import functools
import pathlib
import subprocess
import tempfile
from collections.abc import Callable, Sequence


class Run:
    """`command` run in a new directory that `prepare` fills (it returns the command's
    environment), stdin closed, output captured."""

    def __init__(self, command: Sequence[str], prepare: Callable[[pathlib.Path], dict[str, str]], timeout: float = 300) -> None:
        self.command = list(command)
        self._prepare = prepare
        self._timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="background-run-"))

    def start(self) -> None:
        if self._process is None:
            environment = self._prepare(self.directory)
            self._process = subprocess.Popen(
                self.command, cwd=self.directory, env=environment, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip

    @functools.cached_property
    def result(self) -> subprocess.CompletedProcess[str]:
        self.start()
        assert self._process is not None
        stdout, stderr = self._process.communicate(timeout=self._timeout)
        return subprocess.CompletedProcess(self.command, self._process.returncode, stdout, stderr)

