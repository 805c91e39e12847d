"""A stack that cannot be built yet, such as a client stack before phase one has run.

Synth goes on, so that CI can synthesize a real configuration before anything is
deployed, and says why as a warning. The template creates nothing and carries a
CloudFormation rule that fails on its parameter's default, the shape of CDK's own
bootstrap-version check, so any deploy of it (`cdk deploy`, the console, a pipeline)
is refused by CloudFormation itself, before any resource is touched, with that reason.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnParameter, CfnRule, CfnRuleAssertion, CfnWaitConditionHandle, Fn, Stack
from constructs import Construct

NOT_READY = "not-ready"
READY = "ready"


class PendingStack(Stack):
    """Exposes `reason`, the message that synth warns with and a deploy fails with."""

    def __init__(self, scope: Construct, construct_id: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.reason = reason
        Annotations.of(self).add_warning_v2("orders-api:pending", f"{construct_id} cannot be deployed yet: {reason}")
        readiness = CfnParameter(
            self,
            "Readiness",
            default=NOT_READY,
            allowed_values=[NOT_READY, READY],
            description="Whether this stack can be deployed: it cannot until the app builds it in full.",
        )
        CfnRule(
            self,
            "RefuseToDeploy",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_contains([READY], readiness.value_as_string), assert_description=reason
                )
            ],
        )
        # CloudFormation needs at least one resource; this one creates nothing.
        CfnWaitConditionHandle(self, "Placeholder")
