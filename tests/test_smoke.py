"""`make smoke` against stubbed AWS APIs (botocore's Stubber): no AWS needed."""

from __future__ import annotations

import io
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.response import StreamingBody

from stacks.routes import SERVICE
from tests.stubbed_aws import StubbedSession, stubbed_session
from tools import smoke
from tools.verdict import PRIVATE_ASSUME_ROLE_CAUSE

STACK = "ClientStack-444455556666"
FUNCTION = "ClientStack-444455556666-RequestorFunction2747811D-AbCdEf123456"
PRINCIPAL = "arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/ClientStack-Requestor"
SERVED = {"ok": True, "statusCode": 200, "body": {"account": "444455556666", "principal": PRINCIPAL}}
REFUSED = {"ok": False, "statusCode": 403, "body": {"message": "Missing Authentication Token"}}


class SmokeSession(StubbedSession):
    """What `run` needs of a boto3 Session, with each client's answers stubbed."""

    def __init__(self) -> None:
        super().__init__("sts", "cloudformation", "lambda")

    def answer(
        self,
        result: Any,
        function_error: str | None = None,
        account: str = "444455556666",
        api_type: str | None = None,
        endpoint_type: str | None = None,
        access_mode: str | None = None,
    ) -> None:
        self.stubs["sts"].add_response(
            "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:user/ops", "UserId": "AIDA"}
        )
        if account != "444455556666":
            return
        self.stubs["cloudformation"].add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "CreationTime": "2026-11-21T09:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": "RequestorFunctionName", "OutputValue": FUNCTION}]
                        + ([{"OutputKey": "ApiType", "OutputValue": api_type}] if api_type else [])
                        + ([{"OutputKey": "EndpointType", "OutputValue": endpoint_type}] if endpoint_type else [])
                        + ([{"OutputKey": "AccessMode", "OutputValue": access_mode}] if access_mode else []),
                    }
                ]
            },
            {"StackName": STACK},
        )
        payload = json.dumps(result).encode()
        response: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(payload), len(payload))}
        if function_error:
            response["FunctionError"] = function_error
        self.stubs["lambda"].add_response(
            "invoke", response, {"FunctionName": FUNCTION, "Payload": json.dumps(smoke.smoke_event())}
        )


@pytest.fixture
def session() -> Iterator[SmokeSession]:
    with stubbed_session(SmokeSession()) as stubbed:
        yield stubbed


def test_unsigned_refused_and_signed_served_is_ok(session: SmokeSession) -> None:
    session.answer({"ok": True, "signed": SERVED, "unsigned": REFUSED})
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.ok
    assert verdict.lines == [
        "unsigned: 403 Missing Authentication Token",
        "signed:   200 ok",
        f"caller the API saw: {PRINCIPAL} (account 444455556666)",
        "OK: unsigned is refused, signed is served: cross-account IAM works.",
    ]


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        ("Missing Authentication Token", "No deployment of the stage"),
        (
            f"User: {PRINCIPAL} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:"
            "eu-west-1:********1111:a1b2c3d4e5/prod/GET/ with an explicit deny",
            "The resource policy refuses a role of this name",
        ),
        (
            f"User: {PRINCIPAL} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:"
            "eu-west-1:********1111:a1b2c3d4e5/prod/GET/",
            "An Allow is missing",
        ),
        ("The request signature we calculated does not match the signature you provided.", "Signature mismatch"),
        ("Credential should be scoped to a valid region.", "Wrong region"),
        ("The security token included in the request is invalid.", "The function's credentials were rejected"),
        ("Forbidden", "No API with this id in this region: ApiStack was deleted or replaced"),
        ("Something new", "none of the known causes fits"),
    ],
)
def test_a_failed_signed_call_names_the_cause_that_fits(session: SmokeSession, message: str, cause: str) -> None:
    signed = {"ok": False, "statusCode": 403, "body": {"message": message}}
    session.answer({"ok": False, "signed": signed, "unsigned": REFUSED})
    verdict = smoke.run(session, STACK, "444455556666")
    assert not verdict.ok
    assert verdict.lines[1] == f"signed:   403 {message}"
    assert verdict.lines[-1].startswith(f"cause: {cause}")


def test_an_unreachable_api_is_a_cause_too(session: SmokeSession) -> None:
    signed = {"ok": False, "statusCode": None, "error": "could not reach the API at https://x: timed out"}
    session.answer({"ok": False, "signed": signed, "unsigned": signed})
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.lines[-1].startswith("cause: The API's host could not be reached")


def test_an_api_that_serves_unsigned_requests_fails(session: SmokeSession) -> None:
    session.answer({"ok": True, "signed": SERVED, "unsigned": SERVED})
    verdict = smoke.run(session, STACK, "444455556666")
    assert not verdict.ok
    assert verdict.lines[-1] == "FAILED: the API answered an unsigned request, so its methods do not require IAM."


def test_a_requestor_that_refuses_the_call_is_reported(session: SmokeSession) -> None:
    session.answer({"ok": False, "error": "environment variable API_URL is ''"})
    verdict = smoke.run(session, STACK, "444455556666")
    assert (verdict.ok, verdict.lines) == (False, ["the requestor refused the call: environment variable API_URL is ''"])


def test_a_crashed_requestor_is_an_error(session: SmokeSession) -> None:
    session.answer({"errorMessage": "boom", "errorType": "RuntimeError"}, function_error="Unhandled")
    with pytest.raises(smoke.SmokeError, match="the requestor .* failed"):
        smoke.run(session, STACK, "444455556666")


def test_a_profile_of_another_account_is_refused(session: SmokeSession) -> None:
    session.answer({}, account="999988887777")
    with pytest.raises(smoke.SmokeError, match=f"the profile is for account 999988887777, but {STACK} is in"):
        smoke.run(session, STACK, "444455556666")


def test_a_stack_that_is_not_deployed_is_an_error(session: SmokeSession) -> None:
    session.stubs["sts"].add_response(
        "get_caller_identity", {"Account": "444455556666", "Arn": "arn:aws:iam::444455556666:user/ops", "UserId": "A"}
    )
    session.stubs["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", "Stack with id ClientStack does not exist"
    )
    with pytest.raises(smoke.SmokeError, match="deploy it with `make deploy-client`"):
        smoke.run(session, STACK, "444455556666")


def failed_deploy(session: SmokeSession, reason: str) -> None:
    session.stubs["sts"].add_response(
        "get_caller_identity", {"Account": "444455556666", "Arn": "arn:aws:iam::444455556666:user/ops", "UserId": "A"}
    )
    session.stubs["cloudformation"].add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": STACK, "CreationTime": "2026-12-01T09:00:00Z", "StackStatus": "ROLLBACK_COMPLETE"}]},
        {"StackName": STACK},
    )
    events = [
        {"StackId": "id", "EventId": "3", "StackName": STACK, "Timestamp": "2026-12-01T09:02:00Z", "ResourceStatus": "DELETE_COMPLETE"},
        {
            "StackId": "id", "EventId": "2", "StackName": STACK, "Timestamp": "2026-12-01T09:01:00Z",
            "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": reason,
        },
        {"StackId": "id", "EventId": "1", "StackName": STACK, "Timestamp": "2026-12-01T09:00:00Z", "ResourceStatus": "CREATE_IN_PROGRESS"},
    ]
    session.stubs["cloudformation"].add_response("describe_stack_events", {"StackEvents": events}, {"StackName": STACK})


@pytest.mark.parametrize(
    "reason",
    [
        "Stack with id ApiStack does not exist (Fn::GetStackOutput)",
        "User: arn:aws:sts::444455556666:assumed-role/cdk-hnb659fds-cfn-exec-role-444455556666-eu-west-1/x is not "
        "authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/ApiStackPublishGetStackOutputRoleF2778A7C",
    ],
)
def test_a_client_stack_that_could_not_read_api_stack_says_to_deploy_api_stack_first(
    session: SmokeSession, reason: str
) -> None:
    failed_deploy(session, reason)
    with pytest.raises(smoke.SmokeError) as raised:
        smoke.run(session, STACK, "444455556666")
    message = str(raised.value)
    assert message.startswith(f"{STACK} is ROLLBACK_COMPLETE: it could not read ApiStack's ids when it deployed")
    assert "`make deploy`" in message and "bootstrapped" in message and reason in message


def test_a_client_stack_that_failed_otherwise_quotes_cloudformation(session: SmokeSession) -> None:
    failed_deploy(session, "Resource limit exceeded")
    with pytest.raises(smoke.SmokeError, match=f"{STACK} is ROLLBACK_COMPLETE: see its events .*Resource limit exceeded"):
        smoke.run(session, STACK, "444455556666")


def test_smoke_calls_the_declared_health_route_signed_and_unsigned() -> None:
    assert smoke.smoke_event() == {"method": SERVICE.health.method, "path": SERVICE.health.path, "compare_unsigned": True}


def test_the_stack_environment_comes_from_the_cloud_assembly(tmp_path: pathlib.Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"artifacts": {STACK: {"environment": "aws://444455556666/eu-west-1"}}}))
    assert smoke.stack_environment(manifest, STACK) == ("444455556666", "eu-west-1")
    with pytest.raises(smoke.SmokeError, match="run `make synth` first"):
        smoke.stack_environment(manifest, "ClientStack-777788889999")


def test_main_without_a_synthesized_app_exits_2_with_a_message(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smoke.main(["--profile", "client", "--stack", STACK, "--manifest", str(tmp_path / "none.json")]) == 2
    assert f"smoke test could not run: {STACK} is not in" in capsys.readouterr().err


INVOKER_SESSION = "arn:aws:sts::111122223333:assumed-role/orders-api-invoker-prod-eu-west-1/444455556666-ClientStack"
HTTP_SERVED = {
    "ok": True,
    "statusCode": 200,
    "body": {"account": "111122223333", "principal": INVOKER_SESSION, "clientAccount": "444455556666"},
}
HTTP_FORBIDDEN = {"ok": False, "statusCode": 403, "body": {"message": "Forbidden"}}


def test_an_http_api_refusing_unsigned_and_serving_signed_is_ok(session: SmokeSession) -> None:
    session.answer({"ok": True, "signed": HTTP_SERVED, "unsigned": HTTP_FORBIDDEN}, api_type="http")
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.ok
    assert verdict.lines[2] == f"caller the API saw: {INVOKER_SESSION} (account 111122223333, for client account 444455556666)"


@pytest.mark.parametrize(
    ("signed", "cause"),
    [
        (HTTP_FORBIDDEN, "The HTTP API refused the signed call and HTTP APIs do not say why"),
        ({"ok": False, "statusCode": 404, "body": {"message": "Not Found"}}, "No route or no stage of this name"),
    ],
)
def test_an_http_apis_refusals_get_their_own_causes(session: SmokeSession, signed: dict, cause: str) -> None:
    session.answer({"ok": False, "signed": signed, "unsigned": HTTP_FORBIDDEN}, api_type="http")
    verdict = smoke.run(session, STACK, "444455556666")
    assert not verdict.ok
    assert verdict.lines[-1].startswith(f"cause: {cause}")


def test_a_rest_apis_forbidden_is_not_read_as_an_http_apis(session: SmokeSession) -> None:
    session.answer({"ok": False, "signed": HTTP_FORBIDDEN, "unsigned": REFUSED}, api_type="rest")
    assert smoke.run(session, STACK, "444455556666").lines[-1].startswith("cause: No API with this id")


EXPLICIT_DENY = {
    "ok": False,
    "statusCode": 403,
    "body": {
        "message": f"User: {PRINCIPAL} is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:eu-west-1:********1111:a1b2c3d4e5/prod/GET/ with an explicit deny"
    },
}
ANONYMOUS_DENIED = {
    "ok": False,
    "statusCode": 403,
    "body": {"message": "User: anonymous is not authorized to perform: execute-api:Invoke on resource: x with an explicit deny"},
}


def test_a_private_apis_deny_names_the_network_boundary_too(session: SmokeSession) -> None:
    session.answer({"ok": False, "signed": EXPLICIT_DENY, "unsigned": ANONYMOUS_DENIED}, endpoint_type="private")
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.lines[-1].startswith("cause: Denied by the resource policy")
    assert "client_vpc_ids" in verdict.lines[-1]


def test_a_private_api_out_of_reach_points_at_the_vpc_endpoint(session: SmokeSession) -> None:
    unreachable = {"ok": False, "statusCode": None, "error": "could not reach the API at https://x: Name does not resolve"}
    session.answer({"ok": False, "signed": unreachable, "unsigned": unreachable}, endpoint_type="private")
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.lines[-1].startswith("cause: A private API is reached only through an execute-api interface endpoint")


def test_a_private_api_that_denies_the_anonymous_caller_refuses_unsigned_calls(session: SmokeSession) -> None:
    session.answer({"ok": True, "signed": SERVED, "unsigned": ANONYMOUS_DENIED}, endpoint_type="private")
    assert smoke.run(session, STACK, "444455556666").ok


def test_a_private_api_reached_on_the_public_endpoint_points_at_the_missing_endpoint(session: SmokeSession) -> None:
    forbidden = {"ok": False, "statusCode": 403, "body": {"message": "Forbidden"}}
    session.answer({"ok": False, "signed": forbidden, "unsigned": forbidden}, endpoint_type="private")
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.lines[-1].startswith("cause: The call reached API Gateway's public endpoint")


def test_a_failed_assume_role_in_a_private_vpc_points_at_sts(session: SmokeSession) -> None:
    error = "could not assume INVOKER_ROLE_ARN arn:aws:iam::111122223333:role/x: Connect timeout on endpoint URL"
    session.answer({"ok": False, "error": error}, endpoint_type="private")
    verdict = smoke.run(session, STACK, "444455556666")
    assert verdict.lines == [f"the requestor refused the call: {error}", PRIVATE_ASSUME_ROLE_CAUSE]


UNAUTHORIZED = {"ok": False, "statusCode": 401, "body": {"message": "Unauthorized"}, "error": "the API answered 401: Unauthorized"}


def test_behind_the_central_authorizer_unsigned_is_401_and_signed_is_served(session: SmokeSession) -> None:
    session.answer({"ok": True, "signed": SERVED, "unsigned": UNAUTHORIZED}, access_mode="lambda-authorizer")
    assert smoke.run(session, STACK, "444455556666").ok


@pytest.mark.parametrize(
    ("signed", "cause"),
    [
        (UNAUTHORIZED, "The central authorizer refused the token"),
        (
            {"ok": False, "statusCode": 403, "body": {"message": "User is not authorized to access this resource with an explicit deny"}},
            "The central authorizer does not admit this role",
        ),
        ({"ok": False, "statusCode": 500, "body": {"message": None}, "error": "the API answered 500: {'message': None}"}, "API Gateway could not call the authorizer"),
    ],
)
def test_the_central_authorizers_refusals_get_their_causes(session: SmokeSession, signed: dict, cause: str) -> None:
    session.answer({"ok": False, "signed": signed, "unsigned": UNAUTHORIZED}, access_mode="lambda-authorizer")
    assert smoke.run(session, STACK, "444455556666").lines[-1].startswith(f"cause: {cause}")


def test_a_member_accounts_stackset_instance_is_judged_from_the_member_template(tmp_path: pathlib.Path) -> None:
    member = {
        "Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": FUNCTION}}},
        "Outputs": {"ApiType": {"Value": "rest"}, "EndpointType": {"Value": "regional"}, "AccessMode": {"Value": "resource-policy"}},
    }
    stack_set = {"Type": "AWS::CloudFormation::StackSet", "Properties": {"TemplateBody": json.dumps(member)}}
    (tmp_path / "ClientStackSet.template.json").write_text(json.dumps({"Resources": {"S": stack_set}}))
    assert smoke.member_template_of(tmp_path) == member
    session = SmokeSession()
    payload = json.dumps({"ok": True, "signed": SERVED, "unsigned": REFUSED}).encode()
    session.stubs["lambda"].add_response(
        "invoke",
        {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(payload), len(payload))},
        {"FunctionName": FUNCTION, "Payload": json.dumps(smoke.smoke_event())},
    )
    with session.stubs["lambda"]:
        assert smoke.run_member(session, member).ok
