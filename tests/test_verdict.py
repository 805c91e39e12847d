"""tools/verdict.py as the pipeline's check runs it: `python3 -m tools.verdict ANSWER KIND`
on what `aws lambda invoke` wrote, with the standard library only; exit status 0 only
when unsigned was refused and signed was served."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT
from tools import verdict

PRINCIPAL = "arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/session"
SERVED = {"ok": True, "statusCode": 200, "body": {"account": "444455556666", "principal": PRINCIPAL}}
REFUSED = {"ok": False, "statusCode": 403, "body": {"message": verdict.MISSING_TOKEN}}
# What `aws lambda invoke` writes when the function raised.
CRASHED = {"errorMessage": "boom", "errorType": "RuntimeError", "stackTrace": []}


def judge_file(tmp_path: pathlib.Path, answer: object, kind: str = "rest") -> subprocess.CompletedProcess[str]:
    answer_file = tmp_path / "answer.json"
    answer_file.write_text(json.dumps(answer))
    return subprocess.run(
        # -S -E: no site packages, no PYTHON* settings: what CodeBuild's bare python3 has.
        [sys.executable, "-S", "-E", "-m", "tools.verdict", str(answer_file), kind],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unsigned_refused_and_signed_served_passes_the_check(tmp_path: pathlib.Path) -> None:
    finished = judge_file(tmp_path, {"signed": SERVED, "unsigned": REFUSED})
    assert finished.returncode == 0, finished.stderr
    assert "OK: unsigned is refused, signed is served" in finished.stdout
    assert PRINCIPAL in finished.stdout


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"signed": SERVED, "unsigned": SERVED}, "the API answered an unsigned request"),
        ({"signed": REFUSED, "unsigned": REFUSED}, "FAILED: the signed call was not served."),
        ({"error": "event.path: expected a path"}, "the requestor refused the call: event.path"),
        (CRASHED, "the requestor failed: RuntimeError: boom"),
    ],
)
def test_anything_else_fails_the_check_and_says_why(tmp_path: pathlib.Path, answer: dict, said: str) -> None:
    finished = judge_file(tmp_path, answer)
    assert finished.returncode == 1
    assert said in finished.stdout + finished.stderr


def test_an_authorizers_refusal_is_judged_by_its_own_words(tmp_path: pathlib.Path) -> None:
    unauthorized = {"ok": False, "statusCode": 401, "body": {"message": "Unauthorized"}}
    assert judge_file(tmp_path, {"signed": SERVED, "unsigned": unauthorized}, "authorizer").returncode == 0
    assert judge_file(tmp_path, {"signed": SERVED, "unsigned": unauthorized}, "rest").returncode == 1


def test_no_answer_or_an_unknown_kind_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    assert verdict.main([str(tmp_path / "missing.json"), "rest"]) == 2
    (tmp_path / "answer.json").write_text("not json")
    assert verdict.main([str(tmp_path / "answer.json"), "rest"]) == 2
    assert verdict.main([str(tmp_path / "answer.json"), "soap"]) == 2
