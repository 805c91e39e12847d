"""The central Lambda authorizer against a local fake STS that verifies presigned
signatures independently of botocore; tokens are minted by the requestor's own code."""

from __future__ import annotations

import dataclasses

import base64
import datetime
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_src.authorizer import handler as authorizer
from lambda_src.requestor import handler as requestor
from lambda_src.requestor import identity_token
from lambda_src.requestor.credentials import Credentials
from lambda_src.requestor.settings import Target
from tests.callers import REQUESTOR, STRANGER, run_as
from tests.fake_sts import FakeSts
from stacks.api.central_authorizer import RESULTS_CACHE_TTL
from stacks.context_values import DeniedPrincipals
from tests.gateway_double import HEALTH_REQUEST, GatewayDouble, echo_backend

API_ID = "a1b2c3d4e5"
REQUESTOR_ROLE = "arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1"
METHOD_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:{API_ID}/prod/GET/orders/123"
STAGE_ROUTES = f"arn:aws:execute-api:eu-west-1:111122223333:{API_ID}/prod/*"


class FakeSsm:
    """The deny list's SSM parameter, as GetParameter answers it; `unreachable` makes it fail."""

    def __init__(self, entries: list[str]) -> None:
        self.value = json.dumps(entries)
        self.reads: list[str] = []
        self.unreachable = False

    def get_parameter(self, Name: str) -> dict[str, Any]:  # noqa: N803 (boto3's argument name)
        self.reads.append(Name)
        if self.unreachable:
            raise EndpointConnectionError(endpoint_url="https://ssm.eu-west-1.amazonaws.com/")
        return {"Parameter": {"Name": Name, "Type": "String", "Value": self.value}}


DENY_LIST = "/orders-api/prod/denied-principals"


@pytest.fixture(autouse=True)
def ssm(monkeypatch: pytest.MonkeyPatch) -> FakeSsm:
    fake = FakeSsm([])
    monkeypatch.setattr(authorizer, "_ssm", fake)
    monkeypatch.setattr(authorizer, "_deny_list", None)
    monkeypatch.setenv("DENIED_PARAMETER", DENY_LIST)
    return fake


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSts]:
    fake = FakeSts(region="eu-west-1", callers=[REQUESTOR, STRANGER])
    monkeypatch.setattr(authorizer, "HTTP", fake)
    for name, value in {
        "API_ID": API_ID,
        "API_ACCOUNT": "111122223333",
        "API_REGION": "eu-west-1",
        "STAGE": "prod",
        "PARTITION": "aws",
        "PARTITION_DOMAIN": "amazonaws.com",
        "ADMITTED_PRINCIPALS": json.dumps([REQUESTOR_ROLE]),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(identity_token, "_tokens", {})
    yield fake


def token_of(caller: Any = REQUESTOR, api_id: str = API_ID) -> str:
    """A token as the requestor mints it."""
    credentials = Credentials(caller.access_key, caller.secret_key, caller.session_token)
    target = Target(
        base_url=f"https://{API_ID}.execute-api.eu-west-1.amazonaws.com/prod", region="eu-west-1", token_api_id=api_id
    )
    return identity_token.token_for(credentials, target).value


def url_of(token: str) -> str:
    encoded = token.removeprefix("iam-identity-v1.")
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


def token_for(url: str) -> str:
    return "iam-identity-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def authorize(token: Any) -> dict[str, Any]:
    return authorizer.handler({"type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN}, None)


def test_an_admitted_requestor_is_allowed_this_stage_and_named(sts: FakeSts) -> None:
    answer = authorize(token_of())
    assert answer == {
        "principalId": REQUESTOR_ROLE,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE_ROUTES}],
        },
        "context": {"callerArn": REQUESTOR.principal_arn, "callerAccount": "444455556666"},
    }
    assert sts.received and sts.received[0].startswith("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity")


def test_a_role_that_is_not_admitted_is_denied(sts: FakeSts) -> None:
    answer = authorize(token_of(STRANGER))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["context"]["callerArn"] == STRANGER.principal_arn


def test_a_token_minted_for_another_api_proves_nothing_here(sts: FakeSts) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of(api_id="zzzzzzzzzz"))
    assert len(sts.received) == 1  # STS itself refused: its signature covers the other id


def test_a_token_sts_no_longer_accepts_is_refused(sts: FakeSts, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=901)
    sts.now = lambda: later
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token)


@pytest.mark.parametrize("age", [601, -61])
def test_a_token_older_than_ten_minutes_or_from_the_future_is_never_sent(
    sts: FakeSts, monkeypatch: pytest.MonkeyPatch, age: int
) -> None:
    token = token_of()
    then = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=age)
    monkeypatch.setattr(authorizer, "_now", lambda: then)
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token)
    assert sts.received == []


def test_another_base64_spelling_of_a_valid_token_is_refused(sts: FakeSts) -> None:
    # A session token of a length whose token's last base64 character carries spare
    # bits, so that a second spelling of the same bytes exists.
    callers = [
        dataclasses.replace(REQUESTOR, access_key=f"{REQUESTOR.access_key}{n}", session_token=REQUESTOR.session_token + "x" * n)
        for n in range(3)
    ]
    sts.callers = callers
    token = next(t for t in map(token_of, callers) if len(t.split(".", 1)[1]) % 4 != 0)
    url, encoded = url_of(token), token.split(".", 1)[1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = [
        c for c in alphabet
        if c != encoded[-1] and base64.urlsafe_b64decode(encoded[:-1] + c + "=" * (-len(encoded) % 4)) == url.encode()
    ]
    assert same_bytes, "no second spelling found: the test would prove nothing"
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize("iam-identity-v1." + encoded[:-1] + same_bytes[0])
    assert sts.received == []


VALID = "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"


@pytest.mark.parametrize(
    "forge",
    [
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://sts.eu-west-1.amazonaws.com.evil.example/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://evil.example/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://sts.eu-west-1.amazonaws.com@evil.example/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://evil.example@sts.eu-west-1.amazonaws.com/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://sts.eu-west-1.amazonaws.com:8443/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "http://sts.eu-west-1.amazonaws.com/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://sts.us-east-1.amazonaws.com/"),
        lambda url: url.replace("https://sts.eu-west-1.amazonaws.com/", "https://sts.eu-west-1.amazonaws.com/x"),
        lambda url: url + "#fragment",
        lambda url: url.replace("Action=GetCallerIdentity", "Action=AssumeRole"),
        lambda url: url.replace("Action=GetCallerIdentity", "Action=GetCallerIdentity&Action=GetCallerIdentity"),
        lambda url: url + "&Extra=1",
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=3600"),
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=-1"),
        # One value only, the requestor's: each other one would be another accepted token.
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=899"),
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=1"),
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=0900"),
        # Digits that are not ASCII: a superscript one, Arabic-Indic ones (U+0669, U+0660).
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=90%C2%B9"),
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=%D9%A9%D9%A0%D9%A0"),
        lambda url: url.replace("X-Amz-Date=2", "X-Amz-Date=%D9%A2"),
        lambda url: url.replace("%3Bx-identity-audience", ""),
        lambda url: url.replace("Version=2011-06-15", "Version=2011-06-15x"),
        # Respellings of a valid URL: each would be another key of API Gateway's cache.
        lambda url: url.replace("GetCallerIdentity", "GetCallerIdentit%79"),
        lambda url: url.replace("Action=GetCallerIdentity&Version=2011-06-15", "Version=2011-06-15&Action=GetCallerIdentity"),
        lambda url: url.replace("%2F", "%2f"),
        lambda url: url.replace("/?", "/?&"),
    ],
)
def test_a_token_that_is_not_exactly_a_presigned_get_caller_identity_is_never_sent(
    sts: FakeSts, forge: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_for(forge(url_of(token_of()))))
    assert sts.received == []  # refused before anything was sent
    assert [record.message for record in caplog.records if record.levelno >= logging.ERROR] == []  # as a refusal, not a fault


@pytest.mark.parametrize(
    "token",
    [None, "", 42, "Bearer abc", "iam-identity-v1.", "iam-identity-v1.!!!", "iam-identity-v1." + "A" * 9000,
     token_for("https://sts.eu-west-1.amazonaws.com/\u00e9"), "iam-identity-v1.wwww", "orders-api-v2." + "QUJD"],
)
def test_garbage_is_unauthorized(sts: FakeSts, token: Any) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token)


@pytest.mark.parametrize("outage", ["500", "timeout"])
def test_an_sts_outage_is_unauthorized_never_an_allow(sts: FakeSts, outage: str) -> None:
    sts.outage = outage
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of())


def test_a_misconfigured_authorizer_fails_closed(sts: FakeSts, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMITTED_PRINCIPALS")
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of())


@pytest.mark.parametrize(
    ("caller_arn", "role"),
    [
        ("arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/fn", REQUESTOR_ROLE),
        ("arn:aws:iam::444455556666:role/team/orders", "arn:aws:iam::444455556666:role/team/orders"),
        ("arn:aws:iam::444455556666:user/alice", None),
        ("arn:aws:sts::444455556666:federated-user/bob", None),
    ],
)
def test_the_role_behind_a_caller(caller_arn: str, role: str | None) -> None:
    assert authorizer.role_of(caller_arn) == role


def test_admission_patterns_are_arn_like() -> None:
    pattern = authorizer._arn_like("arn:aws:iam::444455556666:role/orders-*-?")
    assert pattern.fullmatch("arn:aws:iam::444455556666:role/orders-api-x")
    assert not pattern.fullmatch("arn:aws:iam::444455556666:role/orders-api-xy")
    assert not authorizer._arn_like("arn:aws:iam::1.3:role/x").fullmatch("arn:aws:iam::1x3:role/x")


def test_the_requestor_reuses_its_token_until_shortly_before_it_expires(sts: FakeSts, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = Credentials(REQUESTOR.access_key, REQUESTOR.secret_key, REQUESTOR.session_token)
    target = Target(base_url="https://x.example/prod", region="eu-west-1", token_api_id=API_ID)
    first = identity_token.token_for(credentials, target)
    assert identity_token.token_for(credentials, target) is first
    later = first.expires_at - identity_token.TOKEN_RENEWAL_SECONDS + 1
    monkeypatch.setattr(identity_token.time, "time", lambda: later)
    renewed = identity_token.token_for(credentials, target)
    assert renewed is not first and renewed.expires_at == later + identity_token.TOKEN_LIFETIME_SECONDS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(max_size=300) | st.text(max_size=300).map(lambda text: "iam-identity-v1." + text)
       | st.text(max_size=200).map(lambda text: token_for(VALID + text)))
def test_no_token_is_ever_allowed_unless_sts_vouches_for_an_admitted_role(sts: FakeSts, token: str) -> None:
    try:
        answer = authorize(token)
    except Exception as error:
        assert str(error) == "Unauthorized"
    else:
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"


# End to end: the requestor, the gateway double with the authorizer, the backend.


@pytest.fixture
def gateway(sts: FakeSts, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayDouble]:
    with GatewayDouble(
        region="eu-west-1", stage="prod", callers=[], backend=echo_backend, authorizer=authorizer.handler
    ) as double:
        run_as(REQUESTOR, monkeypatch, double.url)
        monkeypatch.setenv("TOKEN_API_ID", API_ID)
        yield double


def test_the_requestor_calls_through_the_authorizer_and_the_backend_is_told_the_caller(gateway: GatewayDouble) -> None:
    result = requestor.handler({**HEALTH_REQUEST, "compare_unsigned": True}, None)
    assert result["signed"]["statusCode"] == 200
    assert result["signed"]["body"]["authorizer"] == {
        "principalId": REQUESTOR_ROLE,
        "callerArn": REQUESTOR.principal_arn,
        "callerAccount": "444455556666",
    }
    assert (result["unsigned"]["statusCode"], result["unsigned"]["body"]) == (401, {"message": "Unauthorized"})
    # The call itself is not signed: the token is the proof.
    assert gateway.received[0]["headers"]["authorization"].startswith("iam-identity-v1.")
    assert "x-amz-date" not in gateway.received[0]["headers"]


def test_a_caller_the_authorizer_does_not_admit_is_denied(gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(STRANGER, monkeypatch, gateway.url)
    result = requestor.handler(HEALTH_REQUEST, None)
    assert (result["statusCode"], result["body"]["message"]) == (
        403,
        "User is not authorized to access this resource with an explicit deny",
    )


@pytest.mark.parametrize(
    ("partition", "region", "domain", "global_host_accepted"),
    [
        ("aws", "eu-west-1", "amazonaws.com", True),
        ("aws-us-gov", "us-gov-west-1", "amazonaws.com", False),
        ("aws-cn", "cn-north-1", "amazonaws.com.cn", False),
    ],
)
def test_the_global_sts_host_is_accepted_in_the_aws_partition_only(
    sts: FakeSts, partition: str, region: str, domain: str, global_host_accepted: bool
) -> None:
    url = url_of(token_of()).replace("https://sts.eu-west-1.amazonaws.com/", f"https://sts.{region}.{domain}/")
    settings = {"partition": partition, "region": region, "domain": domain}
    assert authorizer.presigned_url(token_for(url), settings) == url  # the regional host, always
    global_url = url.replace(f"https://sts.{region}.{domain}/", f"https://sts.{domain}/")
    if global_host_accepted:
        assert authorizer.presigned_url(token_for(global_url), settings) == global_url
    else:
        with pytest.raises(Exception, match="^Unauthorized$"):
            authorizer.presigned_url(token_for(global_url), settings)


def test_a_role_whose_name_only_starts_with_an_admitted_ones_is_denied(sts: FakeSts) -> None:
    longer_name = REQUESTOR_ROLE.rsplit("/", 1)[1] + "-evil"
    impostor = dataclasses.replace(
        STRANGER, account="444455556666", principal_arn=f"arn:aws:sts::444455556666:assumed-role/{longer_name}/fn"
    )
    sts.callers = [REQUESTOR, impostor]
    answer = authorize(token_of(impostor))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["principalId"] == f"arn:aws:iam::444455556666:role/{longer_name}"
    assert len(sts.received) == 1  # STS vouched for the caller: the decision is the admission list's


# The deny list: a caller on it is refused with a valid token; it bites within
# DENY_LIST_TTL_SECONDS of a change (plus API Gateway's cache of earlier answers).
STRANGER_ROLE = "arn:aws:iam::777788889999:role/some-other-role"
# What docs/operating.md ("Cutting a caller off") promises, written out rather than read from the
# handler, so that a longer setting there fails here: the list is read every minute
# and, while SSM cannot be read, the last one serves at most 5 more minutes.
READ_EVERY_SECONDS = 60
STALE_AT_MOST_SECONDS = 5 * 60


@pytest.fixture
def two_admitted(sts: FakeSts, monkeypatch: pytest.MonkeyPatch) -> FakeSts:
    monkeypatch.setenv("ADMITTED_PRINCIPALS", json.dumps([REQUESTOR_ROLE, STRANGER_ROLE]))
    return sts


def effect(answer: dict[str, Any]) -> str:
    return answer["policyDocument"]["Statement"][0]["Effect"]


@pytest.mark.parametrize(
    ("denied", "requestor_effect", "stranger_effect"),
    [
        ([REQUESTOR_ROLE], "Deny", "Allow"),
        (["arn:aws:iam::444455556666:role/orders-api-*"], "Deny", "Allow"),
        (["777788889999"], "Allow", "Deny"),
        ([], "Allow", "Allow"),
    ],
)
def test_a_denied_caller_with_a_valid_token_is_refused_and_the_others_admitted(
    two_admitted: FakeSts, ssm: FakeSsm, denied: list[str], requestor_effect: str, stranger_effect: str
) -> None:
    ssm.value = json.dumps(denied)
    assert (effect(authorize(token_of(REQUESTOR))), effect(authorize(token_of(STRANGER)))) == (requestor_effect, stranger_effect)
    assert ssm.reads == [DENY_LIST]  # once for both calls


def test_a_change_to_the_deny_list_bites_once_it_is_read_again(
    sts: FakeSts, ssm: FakeSsm, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: clock[0])
    token = token_of()
    assert effect(authorize(token)) == "Allow"
    ssm.value = json.dumps([REQUESTOR_ROLE])
    clock[0] += READ_EVERY_SECONDS - 1
    assert effect(authorize(token)) == "Allow" and len(ssm.reads) == 1  # the list read a moment ago
    clock[0] += 1
    assert effect(authorize(token)) == "Deny" and len(ssm.reads) == 2


def test_a_revocation_bites_within_six_minutes_api_gateways_cache_included() -> None:
    # docs/operating.md ("Cutting a caller off"): at most 6 minutes after `make revoke`.
    assert RESULTS_CACHE_TTL.to_seconds() + authorizer.DENY_LIST_TTL_SECONDS <= 6 * 60


@pytest.mark.parametrize("problem", ["unreachable", '{"not": "a list"}', "not json", "[42]"])
def test_a_deny_list_that_cannot_be_read_lets_nobody_in(sts: FakeSts, ssm: FakeSsm, problem: str) -> None:
    if problem == "unreachable":
        ssm.unreachable = True
    else:
        ssm.value = problem
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of())


def test_each_decision_is_logged_with_its_reason_and_never_the_token(
    two_admitted: FakeSts, ssm: FakeSsm, caplog: pytest.LogCaptureFixture
) -> None:
    ssm.value = json.dumps(["777788889999"])
    tokens = [token_of(REQUESTOR), token_of(STRANGER), "iam-identity-v1.forged"]
    authorize(tokens[0])
    authorize(tokens[1])
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(tokens[2])
    records = [record for record in caplog.records if record.message == "decision"]
    assert [(r.decision, r.reason) for r in records] == [
        ("allow", "admitted"),
        ("deny", "on the deny list"),
        ("unauthorized", "malformed token"),
    ]
    assert [(r.callerArn, r.callerAccount) for r in records[:2]] == [
        (REQUESTOR.principal_arn, "444455556666"),
        (STRANGER.principal_arn, "777788889999"),
    ]
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert not any(token.split(".", 1)[1][:40] in logged for token in tokens)


def test_a_role_on_the_deny_list_is_refused_whatever_path_the_list_gives_it(
    two_admitted: FakeSts, ssm: FakeSsm
) -> None:
    # STS names an assumed role without its path: the list matches by account and name.
    ssm.value = json.dumps(["arn:aws:iam::444455556666:role/team/orders-api-requestor-prod-eu-west-1"])
    assert (effect(authorize(token_of(REQUESTOR))), effect(authorize(token_of(STRANGER)))) == ("Deny", "Allow")


@pytest.mark.parametrize("entry", ["444455556666,777788889999", " 777788889999", "arn:aws:iam::*:role/x", 42])
def test_a_malformed_entry_lets_nobody_in_and_is_logged_as_an_error(
    sts: FakeSts, ssm: FakeSsm, caplog: pytest.LogCaptureFixture, entry: Any
) -> None:
    ssm.value = json.dumps([entry])
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of())
    assert [r.message for r in caplog.records if r.levelno >= logging.ERROR] == ["deny list malformed"]


def test_while_ssm_cannot_be_read_the_last_list_serves_five_minutes_then_nobody_gets_in(
    sts: FakeSts, ssm: FakeSsm, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: clock[0])
    ssm.value = json.dumps(["777788889999"])
    token = token_of()
    assert effect(authorize(token)) == "Allow"
    ssm.unreachable = True
    clock[0] += READ_EVERY_SECONDS
    assert effect(authorize(token)) == "Allow"  # the list read a minute ago, and an error logged
    assert "deny list unreadable" in [r.message for r in caplog.records if r.levelno >= logging.ERROR]
    reads = len(ssm.reads)
    assert effect(authorize(token)) == "Allow" and len(ssm.reads) == reads  # no SSM call per request
    clock[0] += STALE_AT_MOST_SECONDS
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token)


@pytest.mark.parametrize("outage", ["500", "timeout"])
def test_an_sts_outage_is_logged_as_an_error_for_the_faults_alarm(
    sts: FakeSts, outage: str, caplog: pytest.LogCaptureFixture
) -> None:
    sts.outage = outage
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_of())
    assert [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_url_python_cannot_split_is_refused_without_a_fault(sts: FakeSts, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_for("https://[sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity"))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# IAM's role-name characters; names that differ from a denied one by a suffix, a
# prefix or only in case are other roles to IAM's case-sensitive ArnLike.
ROLE_NAME = st.text(alphabet="abcXYZ019+=,.@_-", min_size=1, max_size=20)


def iam_arn_like(pattern: str, arn: str) -> bool:
    """ArnLike as IAM documents it: case-sensitive, * and ? wildcards, the whole ARN.
    (principalmapper's ignores case, so it cannot be the reference here.)"""
    return re.fullmatch(".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")), arn) is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    denied=ROLE_NAME,
    caller=st.sampled_from(["same", "suffix", "prefix", "case"]).flatmap(
        lambda how: st.tuples(st.just(how), ROLE_NAME)
    ),
)
def test_a_denied_role_name_refuses_that_role_only_as_the_policies_deny_it(
    sts: FakeSts, ssm: FakeSsm, monkeypatch: pytest.MonkeyPatch, denied: str, caller: tuple[str, str]
) -> None:
    how, extra = caller
    name = {"same": denied, "suffix": denied + extra, "prefix": extra + denied, "case": denied.swapcase()}[how]
    monkeypatch.setenv("ADMITTED_PRINCIPALS", json.dumps(["arn:aws:iam::444455556666:role/*"]))
    monkeypatch.setattr(authorizer, "_deny_list", None)
    denied_arn = f"arn:aws:iam::444455556666:role/{denied}"
    ssm.value = json.dumps([denied_arn])
    role = dataclasses.replace(REQUESTOR, principal_arn=f"arn:aws:sts::444455556666:assumed-role/{name}/fn")
    sts.callers = [role]
    refused = effect(authorize(token_of(role))) == "Deny"
    # What the resource policy and the invoker role's trust deny for the same entry.
    policies_refuse = any(
        iam_arn_like(pattern, f"arn:aws:iam::444455556666:role/{name}") for pattern in DeniedPrincipals((denied_arn,)).role_patterns
    )
    assert refused is policies_refuse is (name == denied)
