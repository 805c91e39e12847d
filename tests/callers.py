"""The principals of the local tests: their example credentials, and how the
requestor handler is made to run as one of them against a gateway double."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.gateway_double import Caller

REQUESTOR = Caller(
    access_key="ASIAIOSFODNN7EXAMPLE",
    secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    session_token="IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCWV1LXdlc3QtMSJHMEUCIQ",
    account="444455556666",
    principal_arn="arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/requestor",
)
STRANGER = Caller(
    access_key="ASIAI44QH8DHBEXAMPLE",
    secret_key="je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    session_token="AQoDYXdzEJrEXAMPLESTRANGER",
    account="777788889999",
    principal_arn="arn:aws:sts::777788889999:assumed-role/some-other-role/session",
)


def run_as(caller: Caller, monkeypatch: pytest.MonkeyPatch, api_url: str, region: str = "eu-west-1") -> None:
    monkeypatch.setenv("API_URL", api_url)
    monkeypatch.setenv("API_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", caller.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", caller.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", caller.session_token or "")


def lambda_context(caller: Caller, function_name: str = "requestor", remaining_ms: int = 30_000) -> SimpleNamespace:
    """The parts of a Lambda context the requestor reads: its function's ARN and time left."""
    return SimpleNamespace(
        invoked_function_arn=f"arn:aws:lambda:eu-west-1:{caller.account}:function:{function_name}",
        get_remaining_time_in_millis=lambda: remaining_ms,
    )
