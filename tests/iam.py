"""What IAM decides, by principalmapper's local policy simulation: a caller's identity
policy and a resource policy (or service control policies) evaluated together."""

from __future__ import annotations

import collections
import collections.abc
import json
from typing import Any

# principalmapper 1.1.5 imports Mapping from collections, which Python 3.10 removed.
collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
collections.MutableMapping = collections.abc.MutableMapping  # type: ignore[attr-defined]
from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402

__all__ = ["Node", "Policy", "as_iam_stores_it", "invoke_allowed", "local_check_authorization_full", "role", "user"]

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def role(arn: str, identity_policy: dict[str, Any], trust: dict[str, Any] = LAMBDA_TRUST, admin: bool = False) -> Node:
    """A role with one inline policy, as principalmapper models it."""
    return Node(arn, "AROAEXAMPLE", [Policy(arn, "inline", identity_policy)], [], trust, None, 0, False, admin, None, False, {})


def user(arn: str, identity_policy: dict[str, Any]) -> Node:
    """An IAM user with one inline policy (no trust policy: users have none)."""
    return Node(arn, "AIDAEXAMPLE", [Policy(arn, "inline", identity_policy)], [], None, None, 0, False, False, None, False, {})


def as_iam_stores_it(policy: dict[str, Any], api_arn: str) -> dict[str, Any]:
    """API Gateway expands its `execute-api:/` shorthand to this API's ARN."""
    return json.loads(json.dumps(policy).replace("execute-api:/", f"{api_arn}/"))


def invoke_allowed(
    caller_arn: str,
    identity_policy: dict[str, Any],
    route_arn: str,
    resource_policy: dict[str, Any] | None,
    api_arn: str,
    context: dict[str, str] | None = None,
) -> bool:
    """Whether `caller_arn` (a role or a user) may execute-api:Invoke `route_arn`, the
    API's resource policy as API Gateway stores it (None: no resource policy)."""
    api_account = api_arn.split(":")[4]
    return local_check_authorization_full(
        user(caller_arn, identity_policy) if ":user/" in caller_arn else role(caller_arn, identity_policy),
        "execute-api:Invoke",
        route_arn,
        context or {},
        as_iam_stores_it(resource_policy, api_arn) if resource_policy is not None else None,
        api_account,
    )
