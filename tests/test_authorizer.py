"""The central Lambda authorizer against a local fake STS that verifies presigned
signatures independently of botocore; tokens are minted by the requestor's own code."""

from __future__ import annotations

import dataclasses

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_src.authorizer import handler as authorizer
from lambda_src.requestor import handler as requestor
from lambda_src.requestor import identity_token
from lambda_src.requestor.credentials import Credentials
from lambda_src.requestor.settings import Target
from tests.callers import REQUESTOR, STRANGER, run_as
from tests.fake_sts import FakeSts
from tests.gateway_double import HEALTH_REQUEST, GatewayDouble, echo_backend

API_ID = "a1b2c3d4e5"
REQUESTOR_ROLE = "arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1"
METHOD_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:{API_ID}/prod/GET/orders/123"
STAGE_ROUTES = f"arn:aws:execute-api:eu-west-1:111122223333:{API_ID}/prod/*"


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
        lambda url: url.replace("%3Bx-identity-audience", ""),
        lambda url: url.replace("Version=2011-06-15", "Version=2011-06-15x"),
        # Respellings of a valid URL: each would be another key of API Gateway's cache.
        lambda url: url.replace("GetCallerIdentity", "GetCallerIdentit%79"),
        lambda url: url.replace("Action=GetCallerIdentity&Version=2011-06-15", "Version=2011-06-15&Action=GetCallerIdentity"),
        lambda url: url.replace("%2F", "%2f"),
        lambda url: url.replace("/?", "/?&"),
    ],
)
def test_a_token_that_is_not_exactly_a_presigned_get_caller_identity_is_never_sent(sts: FakeSts, forge: Any) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(token_for(forge(url_of(token_of()))))
    assert sts.received == []  # refused before anything was sent


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
