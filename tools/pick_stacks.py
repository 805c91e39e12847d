"""Which stacks of the synthesized app (cdk.out/manifest.json) a make target acts on:
`python -m tools.pick_stacks <kind> "<STACK or STACKS>"` prints their names, or says
which setting builds the stack asked for and exits 2.

Kinds: `api`, `client` (one client stack: the only one, or STACK), `authorizer`, `org`
(OrgGuardStack and ClientStackSet, or those of STACKS), `smoke` (a client stack or
ClientStackSet), `pipeline`. With pipeline_account set, the app holds PipelineStack and
the pipeline deploys the others: only `pipeline` has stacks to act on.
"""

from __future__ import annotations

import json
import pathlib
import sys

CLIENT_PREFIX = "ClientStack-"
API = "ApiStack"
AUTHORIZER = "AuthorizerStack"
PIPELINE = "PipelineStack"
ORG_STACKS = ("OrgGuardStack", "ClientStackSet")
STACK_SET = "ClientStackSet"
BUILT_BY = {
    AUTHORIZER: "access_mode=lambda-authorizer (with authorizer_account)",
    "OrgGuardStack": "client_org_units (with org_id and stackset_account)",
    STACK_SET: "client_org_units (with org_id and stackset_account)",
    PIPELINE: "pipeline_account (with pipeline_connection_arn and pipeline_repository)",
}
SINGLE = {"api": API, "authorizer": AUTHORIZER, "pipeline": PIPELINE}


class NotInThisConfiguration(Exception):
    """The stack asked for is not one this configuration builds; the message says which setting builds it."""


def stacks_in(manifest: pathlib.Path) -> list[str]:
    artifacts = json.loads(manifest.read_text())["artifacts"]
    return [name for name, artifact in artifacts.items() if artifact["type"] == "aws:cloudformation:stack"]


def pick(kind: str, asked: str, stacks: list[str]) -> list[str]:
    if PIPELINE in stacks and kind != "pipeline":
        raise NotInThisConfiguration(
            "with pipeline_account set, the pipeline deploys this configuration's stacks and checks them "
            "(its CheckCrossAccountIam step): push to its branch, or `make deploy-pipeline` once"
        )
    clients = [name for name in stacks if name.startswith(CLIENT_PREFIX)]
    if kind in ("client", "smoke"):
        if asked:
            if asked in clients or (kind == "smoke" and asked == STACK_SET and asked in stacks):
                return [asked]
            raise NotInThisConfiguration(_not_built(asked, clients, stacks))
        if len(clients) == 1:
            return clients
        if not clients:
            raise NotInThisConfiguration(
                "this configuration has no client stack: with client_org_units the StackSet is the client side "
                f"(`make deploy-org`; `make smoke STACK={STACK_SET}` checks a member account's instance)"
            )
        raise NotInThisConfiguration(
            f"this configuration has {len(clients)} client stacks, one per client account: name one with "
            f"STACK=ClientStack-<account> ({', '.join(clients)})"
        )
    wanted = [SINGLE[kind]] if kind in SINGLE else (asked.split() or list(ORG_STACKS))
    for name in wanted:
        if name not in stacks:
            raise NotInThisConfiguration(_not_built(name, clients, stacks))
    return wanted


def _not_built(name: str, clients: list[str], stacks: list[str]) -> str:
    if name in BUILT_BY:
        return f"this configuration builds no {name}: {BUILT_BY[name]} builds it"
    if name.startswith("ClientStack"):
        known = f"its client stacks are {', '.join(clients)}" if clients else "it has no client stack"
        return f"this configuration builds no {name}: one client stack per account of client_accounts, {known}"
    return f"this configuration builds no {name}; its stacks are {', '.join(stacks)}"


def main(argv: list[str]) -> int:
    kind, asked = argv
    try:
        print(" ".join(pick(kind, asked.strip(), stacks_in(pathlib.Path("cdk.out") / "manifest.json"))))
    except NotInThisConfiguration as problem:
        print(f"Nothing to do: {problem}.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
