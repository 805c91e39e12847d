"""`make revoke PROFILE=<profile> PRINCIPAL=<role ARN or account id>`: cut one caller
off now. In lambda-authorizer mode: add it to the authorizer's deny list (the SSM
parameter in the security account, read from the synthesized AuthorizerStack), refused
within 6 minutes, no deploy. In the other modes the Deny is in ApiStack's policies, so
this says the exact steps (docs/operating.md: "Cutting a caller off").
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from aws_cdk import region_info

from stacks.context_values import ConfigError, parse_denied_principals

AUTHORIZER_STACK = "AuthorizerStack"
# The authorizer reads the list every 60 s and API Gateway keeps its answers 5 minutes
# (tests/test_authorizer.py checks the sum).
AUTHORIZER_DELAY = "within 6 minutes (the authorizer reads the list every minute; API Gateway keeps its earlier answers 5 minutes)"


# Writes of the deny list before giving up, while other writers keep overwriting ours.
WRITE_ATTEMPTS = 5


class RevokeError(Exception):
    """Nothing was changed; the message says why and what to do."""


@dataclass(frozen=True)
class DenyList:
    parameter: str
    account: str
    region: str


def api_region_of(out_dir: pathlib.Path) -> str:
    try:
        environment = json.loads((out_dir / "manifest.json").read_text())["artifacts"]["ApiStack"]["environment"]
    except (OSError, KeyError, ValueError) as error:
        raise RevokeError(f"no synthesized ApiStack in {out_dir} ({error}); run `make synth` first") from None
    return environment.rsplit("/", 1)[1]


def deny_list_of(out_dir: pathlib.Path) -> DenyList | None:
    """The synthesized AuthorizerStack's deny-list parameter, or None without one."""
    manifest = json.loads((out_dir / "manifest.json").read_text())["artifacts"]
    if AUTHORIZER_STACK not in manifest:
        return None
    account, region = manifest[AUTHORIZER_STACK]["environment"].removeprefix("aws://").split("/")
    resources = json.loads((out_dir / f"{AUTHORIZER_STACK}.template.json").read_text())["Resources"].values()
    (parameter,) = [r["Properties"]["Name"] for r in resources if r["Type"] == "AWS::SSM::Parameter"]
    return DenyList(parameter, account, region)


def validated(principal: str, region: str) -> str:
    """The one principal PRINCIPAL names, as the deny list stores it."""
    try:
        parsed = parse_denied_principals(principal, region_info.RegionInfo.get(region).partition)
    except ConfigError as error:
        message = str(error).replace("context key 'denied_principals'", "PRINCIPAL")
        raise RevokeError(message.split(" Fix it in cdk.json")[0]) from None
    entries = [*parsed.role_arns, *parsed.accounts]
    if len(entries) != 1:
        raise RevokeError(
            f"PRINCIPAL names {len(entries)} principals: expected one role ARN or 12-digit account id; "
            "run make revoke once for each"
        )
    return entries[0]


def revoke(session: Any, deny_list: DenyList, principal: str) -> list[str]:
    """Adds `principal` to the deny list; the lines to print.

    SSM has no conditional write, but numbers every write of a parameter: a write whose
    version is not the one after the version read overwrote what others wrote between,
    whose entries are then added back from the parameter's history and written again.
    Two concurrent revocations therefore both stay on the list."""
    account = session.client("sts").get_caller_identity()["Account"]
    if account != deny_list.account:
        raise RevokeError(f"the profile is for account {account}; the deny list is in the security account {deny_list.account}")
    ssm = session.client("ssm")
    read = ssm.get_parameter(Name=deny_list.parameter)["Parameter"]
    entries, version = json.loads(read["Value"]), read["Version"]
    if principal in entries:
        return [f"{principal} is on the deny list already ({deny_list.parameter}); nothing changed."]
    entries = [*entries, principal]
    for _ in range(WRITE_ATTEMPTS):
        written = ssm.put_parameter(Name=deny_list.parameter, Value=json.dumps(entries), Type="String", Overwrite=True)["Version"]
        overwritten = [
            entry for entry in dict.fromkeys(_entries_between(ssm, deny_list.parameter, version, written)) if entry not in entries
        ]
        if not overwritten:
            break
        entries, version = [*entries, *overwritten], written
    else:
        raise RevokeError(
            f"the deny list {deny_list.parameter} kept changing while {principal} was added ({WRITE_ATTEMPTS} writes, each "
            "overwriting another's): it may lack an entry someone else just added. Run make revoke again for each"
        )
    return [
        f"Added {principal} to {deny_list.parameter}: refused {AUTHORIZER_DELAY}.",
        "Add it to denied_principals in cdk.json too: a deploy that changes denied_principals writes the list again.",
    ]


def _entries_between(ssm: Any, parameter: str, after: int, before: int) -> list[str]:
    """The entries of the versions written by others after `after` and before `before`."""
    if before == after + 1:
        return []
    entries, token = [], None
    while True:
        page = ssm.get_parameter_history(Name=parameter, **({"NextToken": token} if token else {}))
        entries += [entry for p in page["Parameters"] if after < p["Version"] < before for entry in json.loads(p["Value"])]
        token = page.get("NextToken")
        if not token:
            return entries


def steps_without_an_authorizer(principal: str) -> list[str]:
    return [
        "In this configuration the Deny is in ApiStack's policies. Cut it off with:",
        f"  1. add {principal} to denied_principals in cdk.json;",
        "  2. make deploy-api PROFILE=<API account profile>: a CloudFormation update of the resource policy (and a new",
        "     stage deployment) or of the invoker role; about a minute, then refused within seconds.",
        "  In assume-role mode a denied account's sessions are refused at once; a denied role's session already",
        "  issued lasts until it expires (at most 1 hour): deny its account to stop it sooner.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="AWS profile of the security account")
    parser.add_argument("--principal", required=True, help="a role ARN (or pattern) or a 12-digit account id")
    parser.add_argument("--out-dir", type=pathlib.Path, default=pathlib.Path("cdk.out"))
    args = parser.parse_args(argv)
    try:
        principal = validated(args.principal, api_region_of(args.out_dir))
        deny_list = deny_list_of(args.out_dir)
        if deny_list is None:
            print("\n".join(steps_without_an_authorizer(principal)))
            return 2
        lines = revoke(boto3.Session(profile_name=args.profile, region_name=deny_list.region), deny_list, principal)
    except (RevokeError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        print(f"revoke did not run: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
