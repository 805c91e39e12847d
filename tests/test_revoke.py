"""`make revoke` against stubbed AWS APIs (botocore's Stubber) and a synthesized app."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import pytest

from tests.conftest import MODES, synthesize
from tests.stubbed_aws import StubbedSession, stubbed_session
from tools import revoke

SECURITY_ACCOUNT = MODES["lambda-authorizer"]["authorizer_account"]
DENIED_ROLE = "arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1"


@pytest.fixture(scope="module")
def authorizer_out() -> pathlib.Path:
    return synthesize(**MODES["lambda-authorizer"]).out_dir


@pytest.fixture
def session() -> Iterator[StubbedSession]:
    with stubbed_session(StubbedSession("sts", "ssm")) as stubbed:
        yield stubbed


def answers(session: StubbedSession, account: str, entries: list[str], parameter: str, version: int = 1) -> None:
    session.stubs["sts"].add_response(
        "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:user/ops", "UserId": "AIDA"}
    )
    if account == SECURITY_ACCOUNT:
        session.stubs["ssm"].add_response(
            "get_parameter", {"Parameter": {"Name": parameter, "Value": json.dumps(entries), "Version": version}}, {"Name": parameter}
        )


def writes(session: StubbedSession, parameter: str, entries: list[str], version: int) -> None:
    """The deny list written with `entries`, answered as its `version`."""
    session.stubs["ssm"].add_response(
        "put_parameter",
        {"Version": version},
        {"Name": parameter, "Value": json.dumps(entries), "Type": "String", "Overwrite": True},
    )


def history(session: StubbedSession, parameter: str, versions: dict[int, list[str]]) -> None:
    session.stubs["ssm"].add_response(
        "get_parameter_history",
        {"Parameters": [{"Name": parameter, "Version": v, "Value": json.dumps(entries)} for v, entries in versions.items()]},
        {"Name": parameter},
    )


def test_the_deny_list_is_found_in_the_synthesized_authorizer_stack(authorizer_out: pathlib.Path) -> None:
    assert revoke.deny_list_of(authorizer_out) == revoke.DenyList("/orders-api/prod/denied-principals", SECURITY_ACCOUNT, "eu-west-1")


def test_revoking_adds_the_principal_to_the_list_and_says_when_it_bites(
    authorizer_out: pathlib.Path, session: StubbedSession
) -> None:
    deny_list = revoke.deny_list_of(authorizer_out)
    answers(session, SECURITY_ACCOUNT, ["777788889999"], deny_list.parameter)
    writes(session, deny_list.parameter, ["777788889999", DENIED_ROLE], version=2)
    lines = revoke.revoke(session, deny_list, DENIED_ROLE)
    assert lines[0].startswith(f"Added {DENIED_ROLE} to /orders-api/prod/denied-principals: refused within 6 minutes")
    assert "Add it to denied_principals in cdk.json too" in lines[1]


OTHER_ROLE = "arn:aws:iam::555566667777:role/orders-api-requestor-prod-eu-west-1"


def test_a_revocation_written_between_the_read_and_the_write_stays_on_the_list(
    authorizer_out: pathlib.Path, session: StubbedSession
) -> None:
    """Another make revoke wrote version 4 (OTHER_ROLE) after this one read version 3:
    this write, version 5, overwrote it; OTHER_ROLE is added back and written again."""
    deny_list = revoke.deny_list_of(authorizer_out)
    answers(session, SECURITY_ACCOUNT, ["777788889999"], deny_list.parameter, version=3)
    writes(session, deny_list.parameter, ["777788889999", DENIED_ROLE], version=5)
    history(
        session,
        deny_list.parameter,
        {3: ["777788889999"], 4: ["777788889999", OTHER_ROLE], 5: ["777788889999", DENIED_ROLE]},
    )
    writes(session, deny_list.parameter, ["777788889999", DENIED_ROLE, OTHER_ROLE], version=6)
    assert revoke.revoke(session, deny_list, DENIED_ROLE)[0].startswith(f"Added {DENIED_ROLE}")


def test_a_deny_list_that_keeps_changing_is_reported_not_assumed_written(
    authorizer_out: pathlib.Path, session: StubbedSession
) -> None:
    deny_list = revoke.deny_list_of(authorizer_out)
    answers(session, SECURITY_ACCOUNT, [], deny_list.parameter, version=1)
    entries, version = [DENIED_ROLE], 1
    for attempt in range(revoke.WRITE_ATTEMPTS):
        writes(session, deny_list.parameter, entries, version=version + 2)
        other = f"4444555566{attempt:02d}"
        history(session, deny_list.parameter, {version + 1: [other]})
        entries, version = [*entries, other], version + 2
    with pytest.raises(revoke.RevokeError, match="kept changing while .* was added .*Run make revoke again"):
        revoke.revoke(session, deny_list, DENIED_ROLE)


def test_a_principal_on_the_list_already_changes_nothing(authorizer_out: pathlib.Path, session: StubbedSession) -> None:
    deny_list = revoke.deny_list_of(authorizer_out)
    answers(session, SECURITY_ACCOUNT, [DENIED_ROLE], deny_list.parameter)
    assert revoke.revoke(session, deny_list, DENIED_ROLE) == [
        f"{DENIED_ROLE} is on the deny list already (/orders-api/prod/denied-principals); nothing changed."
    ]


def test_a_profile_of_another_account_changes_nothing(authorizer_out: pathlib.Path, session: StubbedSession) -> None:
    answers(session, "111122223333", [], "")
    with pytest.raises(revoke.RevokeError, match=f"the profile is for account 111122223333; the deny list is in the security account {SECURITY_ACCOUNT}"):
        revoke.revoke(session, revoke.deny_list_of(authorizer_out), DENIED_ROLE)


@pytest.mark.parametrize("principal", ["444455556666,777788889999", '["444455556666", "777788889999"]'])
def test_one_principal_at_a_time(authorizer_out: pathlib.Path, principal: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert revoke.main(["--profile", "security", "--principal", principal, "--out-dir", str(authorizer_out)]) == 2
    assert "PRINCIPAL names 2 principals: expected one role ARN or 12-digit account id" in capsys.readouterr().err


def test_a_principal_is_stored_as_the_deny_list_reads_it() -> None:
    assert revoke.validated(" 444455556666 ", "eu-west-1") == "444455556666"


@pytest.mark.parametrize("principal", ["", "4444-5555-6666", "arn:aws:iam::*:role/x"])
def test_a_bad_principal_is_refused_before_anything_is_read(
    authorizer_out: pathlib.Path, principal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert revoke.main(["--profile", "security", "--principal", principal, "--out-dir", str(authorizer_out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("revoke did not run: PRINCIPAL ")
    assert "a 12-digit account id (to cut off the whole account) or an IAM role ARN" in error
    assert "cdk.json" not in error


def test_without_an_authorizer_it_gives_the_exact_steps(capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = synthesize(**MODES["assume-role"]).out_dir
    assert revoke.main(["--profile", "api", "--principal", "777788889999", "--out-dir", str(out_dir)]) == 2
    steps = capsys.readouterr().out
    assert "add 777788889999 to denied_principals in cdk.json" in steps
    assert "make deploy-api PROFILE=<API account profile>" in steps
