"""assume-role mode's side of the local tests, for a REST and an HTTP API alike: the
invoker role's session, a stubbed STS that hands it out, and a gateway double that
admits only that session."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from tests.callers import REQUESTOR, lambda_context, run_as
from tests.gateway_double import Caller, GatewayDouble, echo_backend

INVOKER_ROLE_NAME = "orders-api-invoker-prod-eu-west-1"
INVOKER_ARN = f"arn:aws:iam::111122223333:role/{INVOKER_ROLE_NAME}"
FUNCTION_NAME = "ClientStack-RequestorFunction2747811D-AbCdEf123456"
SESSION_NAME = f"444455556666-{FUNCTION_NAME}"[:64]
INVOKER = Caller(
    access_key="ASIAINVOKEREXAMPLE01",
    secret_key="InvokerSecretKeyEXAMPLEEXAMPLEEXAMPLE01",
    session_token="InvokerSessionTokenEXAMPLE",
    account="111122223333",
    principal_arn=f"arn:aws:sts::111122223333:assumed-role/{INVOKER_ROLE_NAME}/{SESSION_NAME}",
)
CONTEXT = lambda_context(REQUESTOR, FUNCTION_NAME)


@contextlib.contextmanager
def invoker_gateway(monkeypatch: pytest.MonkeyPatch, api_type: str) -> Iterator[GatewayDouble]:
    """The requestor set up as ClientStack sets it up in assume-role mode, calling a
    double that admits only the invoker role's session."""
    with GatewayDouble(
        region="eu-west-1",
        stage="prod",
        callers=[REQUESTOR, INVOKER],
        backend=echo_backend,
        admitted=lambda principal_arn: principal_arn == INVOKER.principal_arn,
        api_type=api_type,
    ) as double:
        run_as(REQUESTOR, monkeypatch, double.url)
        monkeypatch.setenv("INVOKER_ROLE_ARN", INVOKER_ARN)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
        yield double


def expect_assume_role(sts: Stubber, expires_in: datetime.timedelta) -> None:
    sts.add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": INVOKER.access_key,
                "SecretAccessKey": INVOKER.secret_key,
                "SessionToken": INVOKER.session_token,
                "Expiration": datetime.datetime.now(datetime.UTC) + expires_in,
            },
            "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:session", "Arn": INVOKER.principal_arn},
        },
        {"RoleArn": INVOKER_ARN, "RoleSessionName": SESSION_NAME},
    )
