"""The pipeline's context keys (delivery on CDK Pipelines): how each is read and checked.

With `pipeline_account` set the app builds the pipeline, whose stages hold the stacks;
without it, the stacks themselves. The other keys only go with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stacks.context_keys import default, turned_on_by
from stacks.context_values import (
    ConfigError,
    OrgRollout,
    MissingKeysError,
    Region,
    is_unset,
    parse_account,
    parse_bool,
    parse_region,
)

REPOSITORY_EXPECTED = 'the repository as owner/name, such as "my-org/orders-api": no URL, no .git'
# GitHub's owner/name (GitLab's group/subgroup/name too): what CodeConnections calls FullRepositoryId.
REPOSITORY_PATTERN = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
# git's own rules for a branch name (git check-ref-format), as far as a pipeline needs them.
BRANCH_PATTERN = re.compile(r"(?![-/.])(?!.*\.\.)(?!.*//)(?!.*@\{)(?!.*\.lock$)[A-Za-z0-9._/-]{1,255}(?<![/.])")
CONNECTION_PATTERN = re.compile(
    r"arn:(?P<partition>[a-z-]+):(codeconnections|codestar-connections):[a-z0-9-]+:"
    r"(?P<account>[0-9]{12}):connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@dataclass(frozen=True)
class PipelineSettings:
    """Where the pipeline runs and which branch of which repository it delivers."""

    account: str
    region: Region
    connection_arn: str
    repository: str
    branch: str
    # A person approves before the client accounts change.
    approval: bool


def parse_pipeline(
    get: Callable[[str], Any],
    api_region: Region,
    client_accounts: tuple[str, ...],
    authorizer_account: str | None,
    org_rollout: OrgRollout | None,
) -> PipelineSettings | None:
    """Every account the pipeline deploys into trusts pipeline_account (`cdk bootstrap
    --trust`): whoever administers that account, or may push to the branch, may deploy
    anything into each of them. The accounts refused here would gain that power over
    accounts they must not control."""
    account_value = get("pipeline_account")
    if is_unset(account_value):
        for key in turned_on_by("pipeline_account"):
            if not is_unset(get(key)):
                raise ConfigError(key, get(key), "no value unless pipeline_account is set (it turns the pipeline on)")
        return None
    account = parse_account("pipeline_account", account_value)
    if account in client_accounts:
        raise ConfigError(
            "pipeline_account",
            account,
            "an account that is not one of client_accounts: the API account and every other account the pipeline "
            "deploys into trust it, so a client account's administrators could deploy into the API account. Use a "
            "tooling account of its own",
        )
    if account == authorizer_account:
        raise ConfigError(
            "pipeline_account",
            account,
            "an account other than authorizer_account: the pipeline deploys into the API and client accounts, so "
            "the security account's administrators, who decide who gets in, would also own the API and its clients. "
            "Use a tooling account of its own",
        )
    check_org_admin(get("pipeline_acts_as_org_admin"), account, org_rollout)
    region_value = get("pipeline_region")
    region = api_region if is_unset(region_value) else parse_region("pipeline_region", region_value)
    if region.partition != api_region.partition:
        raise ConfigError(
            "pipeline_region",
            region.name,
            f"a region in the partition of api_region {api_region.name!r} ({api_region.partition}): a pipeline "
            "cannot reach accounts of another partition, whose roles cannot trust it",
        )
    missing = {
        key: expected
        for key, expected in (
            ("pipeline_connection_arn", connection_expected(account, region)),
            ("pipeline_repository", REPOSITORY_EXPECTED),
        )
        if is_unset(get(key))
    }
    if missing:
        raise MissingKeysError("pipeline_account", missing)
    return PipelineSettings(
        account=account,
        region=region,
        connection_arn=parse_connection_arn(get("pipeline_connection_arn"), account, region),
        repository=parse_repository(get("pipeline_repository")),
        branch=parse_branch(get("pipeline_branch")),
        approval=parse_bool("pipeline_approval", get("pipeline_approval")),
    )


def check_org_admin(value: Any, account: str, org_rollout: OrgRollout | None) -> None:
    """With the organization rollout the pipeline deploys the guard (an SCP) into
    policy_account and the StackSet into stackset_account, often the management
    account: only with the key that says so."""
    key = "pipeline_acts_as_org_admin"
    if org_rollout is None:
        if not is_unset(value):
            raise ConfigError(key, value, "no value unless client_org_units is set (the pipeline then deploys the organization's stacks)")
        return
    if not parse_bool(key, value):
        accounts = sorted({org_rollout.policy_account, org_rollout.stackset_account})
        raise ConfigError(
            key,
            value,
            f"true with client_org_units, to say that you accept what it means: the pipeline deploys OrgGuardStack "
            f"(an SCP) into policy_account {org_rollout.policy_account} and ClientStackSet into stackset_account "
            f"{org_rollout.stackset_account}, so {' and '.join(accounts)} trust pipeline_account {account}, and its "
            "administrators and everyone who may push to the branch can change the organization's policies and deploy "
            "into every account of the OUs, as an organization administrator can. Set it only if they are trusted as "
            "much; otherwise leave out pipeline_account and deploy with make deploy-api and make deploy-org",
        )


def connection_example(account: str, region: Region) -> str:
    return f"arn:{region.partition}:codeconnections:{region.name}:{account}:connection/<uuid>"


def connection_expected(account: str, region: Region) -> str:
    return (
        f"the ARN of a CodeConnections connection to the repository's host, such as {connection_example(account, region)}; "
        "create it in the console under Developer Tools > Connections and finish its handshake"
    )


def parse_connection_arn(value: Any, account: str, region: Region) -> str:
    example = connection_example(account, region)
    parts = CONNECTION_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if parts is None:
        raise ConfigError("pipeline_connection_arn", value, connection_expected(account, region))
    # A connection serves every region of its partition (connections are global), but
    # only pipelines of its own account.
    if (parts["partition"], parts["account"]) != (region.partition, account):
        raise ConfigError(
            "pipeline_connection_arn",
            value,
            f"a connection of pipeline_account {account} in partition {region.partition}, such as {example}: "
            "a pipeline's source action uses connections of its own account only",
        )
    return value


def parse_repository(value: Any) -> str:
    if not isinstance(value, str) or not REPOSITORY_PATTERN.fullmatch(value) or value.endswith(".git"):
        raise ConfigError("pipeline_repository", value, REPOSITORY_EXPECTED)
    return value


def parse_branch(value: Any) -> str:
    if is_unset(value):
        return default("pipeline_branch")
    if not isinstance(value, str) or not BRANCH_PATTERN.fullmatch(value):
        raise ConfigError(
            "pipeline_branch",
            value,
            "a git branch name such as \"main\" or \"release/2026\" (letters, digits, '.', '_', '-', '/'; no '..', "
            "no leading '-', no trailing '/' or '.lock')",
        )
    return value
