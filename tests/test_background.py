"""The suite's background runs (tests/background.py): one whose preparation fails fails
only the tests that read it, never the session that starts every run."""

from __future__ import annotations

import pathlib

import pytest

from tests.background import Run


def test_a_run_whose_preparation_fails_says_so_to_the_test_that_reads_it() -> None:
    def prepare(directory: pathlib.Path) -> dict[str, str]:
        raise AssertionError("the checkout has no such route")

    run = Run(["true"], prepare)
    run.start()
    with pytest.raises(AssertionError, match="the checkout has no such route"):
        run.result
