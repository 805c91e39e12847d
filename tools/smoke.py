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
from typing import Any

import boto3
import botocore.exceptions

from stacks.routes import SERVICE
from tools.verdict import Verdict, check_event, judge, kind


class SmokeError(Exception):
    """The smoke test could not get an answer to judge."""


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
    """From the stack's outputs; client stacks deployed before these outputs called a regional REST API."""
    return kind(outputs.get("AccessMode"), outputs.get("EndpointType"), outputs.get("ApiType"), outputs.get("CustomDomainName"))


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
    """The health route, signed and unsigned."""
    return check_event(SERVICE.health.method, SERVICE.health.path)


def invoke_requestor(lambda_client: Any, function_name: str) -> dict[str, Any]:
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(smoke_event()))
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError") or not isinstance(payload, dict):
        raise SmokeError(f"the requestor {function_name} failed: {payload}")
    return payload


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
