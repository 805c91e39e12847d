"""`make smoke`: invoke the deployed requestor on the service's health route
(stacks/routes.py), unsigned and signed side by side, and say whether cross-account
IAM works; when it does not, say which known cause fits.

Reads the client stack's account and region from the synthesized cloud assembly
(cdk.out/manifest.json), and the requestor's name and the type of API from the stack's
outputs: a REST API and an HTTP API word their refusals differently.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions

from stacks.routes import SERVICE

MISSING_TOKEN = "Missing Authentication Token"
FORBIDDEN = "Forbidden"
# What each type of API answers an unsigned request (a private REST API's resource
# policy may deny the anonymous caller before IAM authentication does).
UNSIGNED_REFUSALS = {
    "rest": (MISSING_TOKEN, "User: anonymous is not authorized"),
    "http": (FORBIDDEN,),
    "authorizer": ("Unauthorized",),
}
UNREACHABLE = ("could not reach the API", "The API's host could not be reached: check api_region (and api_id, if given).")
# Substrings of the message the signed call got, in the order they are checked.
REST_CAUSES = (
    (
        MISSING_TOKEN,
        "No deployment of the stage, or no such path: the signed request reached no route. Check that ApiStack "
        "deployed and that `stage` is the same for every stack.",
    ),
    (
        "with an explicit deny",
        "The resource policy refuses a role of this name: deploy ClientStack with the same stage and "
        "client_region as ApiStack (in the API's own account: list it in client_accounts).",
    ),
    (
        "is not authorized to perform: execute-api:Invoke",
        "An Allow is missing: either the API's resource policy does not admit the role (redeploy ApiStack "
        "with this account in client_accounts) or the role's identity policy lacks execute-api:Invoke on "
        "this API (redeploy ClientStack: it reads the API's id from ApiStack, unless -c api_id names another).",
    ),
    (
        "signature we calculated does not match",
        "Signature mismatch: the bytes sent differ from the bytes signed (path or query encoding, or a "
        "header changed after signing).",
    ),
    (
        "Credential should be scoped to a valid region",
        "Wrong region: the request was signed for another region than the API's; API_REGION must be api_region.",
    ),
    (
        "security token included in the request is invalid",
        "The function's credentials were rejected: check the requestor role and its session.",
    ),
    (
        "Forbidden",
        "No API with this id in this region: ApiStack was deleted or replaced (its API has a new id) since this "
        "stack deployed, or -c api_id names another API. Redeploy ApiStack if it is gone, then this stack with "
        "FORCE=true (it reads ApiStack's current id when it deploys).",
    ),
    UNREACHABLE,
)
# An HTTP API answers every refusal of IAM authorization with the same word.
HTTP_CAUSES = (
    (
        FORBIDDEN,
        "The HTTP API refused the signed call and HTTP APIs do not say why: the requestor did not sign as "
        "the invoker role's session (check INVOKER_ROLE_ARN), the invoker role may not invoke this route "
        "(redeploy ApiStack with the same stage), the request was signed for another region than the "
        "API's, or ApiStack was deleted or replaced since this stack deployed (redeploy this stack with "
        "FORCE=true: it reads the current API id). The API's access log has the error type for the request id.",
    ),
    (
        "Not Found",
        "No route or no stage of this name: check that ApiStack deployed and that `stage` is the same for every stack.",
    ),
    UNREACHABLE,
)
# A private REST API adds a network boundary: checked before the REST causes.
PRIVATE_CAUSES = (
    (
        "with an explicit deny",
        "Denied by the resource policy: either it does not admit the requestor role (redeploy ApiStack with "
        "this account in client_accounts and the same stage and client_region), or the call did not come "
        "from this account's VPC in client_vpc_ids through its execute-api endpoint (check the requestor's "
        "VpcConfig and client_vpc_ids).",
    ),
    (
        "could not reach the API",
        "A private API is reached only through an execute-api interface endpoint in the requestor's VPC: "
        "deploy ClientStack with -c create_vpc_endpoint=true, or check the VPC's endpoint (private DNS, or "
        "its name as vpc_endpoint_dns_name) and that security groups allow HTTPS to it.",
    ),
    (
        FORBIDDEN,
        "The call reached API Gateway's public endpoint (through a NAT), where a private API does not exist: "
        "the VPC's execute-api endpoint is missing or has no private DNS. Deploy ClientStack with "
        "-c create_vpc_endpoint=true, or give the endpoint's name as vpc_endpoint_dns_name.",
    ),
)
# The requestor could not assume the invoker role from inside the VPC.
PRIVATE_ASSUME_ROLE_CAUSE = (
    "cause: from a private VPC, STS is reached through its VPC endpoint (create_vpc_endpoint=true makes "
    "one in assume-role mode) or a NAT; check the requestor's security group allows HTTPS to it."
)
# lambda-authorizer mode: the central authorizer's answers.
AUTHORIZER_CAUSES = (
    (
        "Unauthorized",
        "The central authorizer refused the token: STS did not vouch for it (a clock far off, or a token for "
        "another API), or STS could not be reached from the security account. Check the authorizer's logs "
        "in authorizer_account.",
    ),
    (
        "explicit deny",
        "The central authorizer does not admit this role: add the account to client_accounts (or "
        "allowed_principal_arns) and redeploy AuthorizerStack, with the same stage and client_region.",
    ),
    (
        "the API answered 500",
        "API Gateway could not call the authorizer: deploy AuthorizerStack in authorizer_account with "
        "`make deploy-authorizer` (it grants API Gateway the right to invoke it for this API's AuthorizerId).",
    ),
    UNREACHABLE,
)
KNOWN_CAUSES = {
    "rest": REST_CAUSES,
    "http": HTTP_CAUSES,
    "private": PRIVATE_CAUSES + REST_CAUSES,
    "authorizer": AUTHORIZER_CAUSES,
}


class SmokeError(Exception):
    """The smoke test could not get an answer to judge."""


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)


def stack_environment(manifest_file: pathlib.Path, stack_name: str) -> tuple[str, str]:
    """The account and region `cdk synth` assigned to the stack."""
    try:
        artifacts = json.loads(manifest_file.read_text())["artifacts"]
        account, region = artifacts[stack_name]["environment"].removeprefix("aws://").split("/")
    except (OSError, ValueError, KeyError) as error:
        raise SmokeError(f"{stack_name} is not in {manifest_file} ({error}); run `make synth` first") from None
    return account, region


def run(session: Any, stack_name: str, expected_account: str) -> Verdict:
    account = session.client("sts").get_caller_identity()["Account"]
    if account != expected_account:
        raise SmokeError(f"the profile is for account {account}, but {stack_name} is in {expected_account}")
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    return judge(invoke_requestor(session.client("lambda"), outputs["RequestorFunctionName"]), kind_of(outputs))


def kind_of(outputs: dict[str, str]) -> str:
    """How the API words its refusals; client stacks deployed before these outputs
    called a regional REST API."""
    if outputs.get("AccessMode") == "lambda-authorizer":
        return "authorizer"
    if outputs.get("EndpointType") == "private":
        return "private"
    return outputs.get("ApiType", "rest")


def run_member(session: Any, member_template: dict[str, Any]) -> Verdict:
    """A member account's StackSet instance: its requestor and kind, from the member
    template that cdk.out holds (the instance's stack name is the StackSet's to choose)."""
    outputs = {name: output["Value"] for name, output in member_template.get("Outputs", {}).items()}
    (function,) = [r for r in member_template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return judge(invoke_requestor(session.client("lambda"), function["Properties"]["FunctionName"]), kind_of(outputs))


def member_template_of(out_dir: pathlib.Path) -> dict[str, Any]:
    try:
        (stack_set,) = [
            r for r in json.loads((out_dir / "ClientStackSet.template.json").read_text())["Resources"].values()
            if r["Type"] == "AWS::CloudFormation::StackSet"
        ]
        return json.loads(stack_set["Properties"]["TemplateBody"])
    except (OSError, ValueError, KeyError) as error:
        raise SmokeError(f"ClientStackSet is not in {out_dir} ({error}); run `make synth` with client_org_units") from None


# Where a client stack's deploy failed because it could not read ApiStack's ids: the
# words of CloudFormation's reason (Fn::GetStackOutput's errors are not documented
# word for word, so any of these).
READ_FAILURES = ("GetStackOutput", "ApiStack", "PublishGetStackOutputRole", "DescribeStacks", "sts:AssumeRole")
API_STACK_NOT_READABLE = (
    "it could not read ApiStack's ids when it deployed: ApiStack is not deployed yet (deploy it first: "
    "`make deploy` deploys both in order, or `make deploy-api` with the API account's profile), or it was "
    "deployed before this account was bootstrapped, so its reader role does not trust this account (bootstrap "
    "this account, then redeploy ApiStack), or this account is not among those ApiStack's configuration names. "
    "Then deploy this stack again."
)
FAILED_STATES = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except botocore.exceptions.ClientError as error:
        raise SmokeError(
            f"cannot read {stack_name}: {error}; deploy it with `make deploy-client` (after ApiStack), or all with `make deploy`"
        ) from None
    if stack["StackStatus"] in FAILED_STATES:
        reasons = failure_reasons(cloudformation, stack_name)
        why = API_STACK_NOT_READABLE if any(word in reason for reason in reasons for word in READ_FAILURES) else (
            "see its events in the CloudFormation console"
        )
        raise SmokeError(f"{stack_name} is {stack['StackStatus']}: {why} (CloudFormation said: {' | '.join(reasons[:3])})")
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if "RequestorFunctionName" not in outputs:
        raise SmokeError(f"{stack_name} has no RequestorFunctionName output; redeploy it with `make deploy-client`")
    return outputs


def failure_reasons(cloudformation: Any, stack_name: str) -> list[str]:
    """The reasons CloudFormation gave for the failed steps of the stack's last operation, first first."""
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    return [
        event["ResourceStatusReason"]
        for event in reversed(events)
        if event.get("ResourceStatus", "").endswith("FAILED") and event.get("ResourceStatusReason")
    ]


def smoke_event() -> dict[str, Any]:
    """What the requestor is asked to do: call the health route, signed and unsigned."""
    return {"method": SERVICE.health.method, "path": SERVICE.health.path, "compare_unsigned": True}


def invoke_requestor(lambda_client: Any, function_name: str) -> dict[str, Any]:
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(smoke_event()))
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError") or not isinstance(payload, dict):
        raise SmokeError(f"the requestor {function_name} failed: {payload}")
    return payload


def judge(result: dict[str, Any], kind: str = "rest") -> Verdict:
    """`kind`: the API's kind as make smoke tells them apart: rest, http or private."""
    if "signed" not in result:
        verdict = Verdict(False, [f"the requestor refused the call: {result.get('error')}"])
        if kind == "private" and "could not assume" in str(result.get("error")):
            verdict.lines.append(PRIVATE_ASSUME_ROLE_CAUSE)
        return verdict
    signed, unsigned = result["signed"], result["unsigned"]
    verdict = Verdict(False, [f"unsigned: {_summary(unsigned)}", f"signed:   {_summary(signed)}"])
    refusals = UNSIGNED_REFUSALS.get(kind, UNSIGNED_REFUSALS["rest"])
    refused_status = 401 if kind == "authorizer" else 403
    unsigned_refused = unsigned.get("statusCode") == refused_status and any(text in _message(unsigned) for text in refusals)
    if unsigned.get("statusCode") == 200:
        verdict.lines.append("FAILED: the API answered an unsigned request, so its methods do not require IAM.")
    elif signed.get("statusCode") == 200 and unsigned_refused:
        body = signed.get("body") or {}
        verdict.ok = True
        client = body.get("clientAccount")
        behalf = f", for client account {client}" if client and client != body.get("account") else ""
        verdict.lines.append(f"caller the API saw: {body.get('principal')} (account {body.get('account')}{behalf})")
        verdict.lines.append("OK: unsigned is refused, signed is served: cross-account IAM works.")
    else:
        verdict.lines.append("FAILED: the signed call was not served.")
        verdict.lines += [f"cause: {cause}" for text, cause in KNOWN_CAUSES[kind] if text in _message(signed)][:1] or [
            "cause: none of the known causes fits; see the API's access logs for the request id."
        ]
    return verdict


def _message(call: dict[str, Any]) -> str:
    body = call.get("body")
    message = body.get("message") if isinstance(body, dict) else body
    return f"{message or ''} {call.get('error') or ''}"


def _summary(call: dict[str, Any]) -> str:
    body = call.get("body")
    message = body.get("message") if isinstance(body, dict) and "message" in body else None
    return f"{call.get('statusCode')} {message or call.get('error') or 'ok'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="AWS profile of the client account")
    parser.add_argument("--stack", required=True, help="the client stack (ClientStack-<account>) or ClientStackSet")
    parser.add_argument("--manifest", type=pathlib.Path, default=pathlib.Path("cdk.out/manifest.json"))
    args = parser.parse_args(argv)
    try:
        account, region = stack_environment(args.manifest, args.stack)
        session = boto3.Session(profile_name=args.profile, region_name=region)
        if args.stack == "ClientStackSet":  # the profile is any member account's
            verdict = run_member(session, member_template_of(args.manifest.parent))
        else:
            verdict = run(session, args.stack, account)
    except (SmokeError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        print(f"smoke test could not run: {error}", file=sys.stderr)
        return 2
    print("\n".join(verdict.lines))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
