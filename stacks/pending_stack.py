"""A stack that cannot be built yet, such as a client stack before phase one has run.

Synth goes on, so that CI can synthesize a real configuration before anything is
deployed, and says why as a warning. The template holds nothing but a CloudFormation
rule that never holds, so any deploy of it (`cdk deploy`, the console, a pipeline)
is refused by CloudFormation itself, before any resource is touched, with that reason.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, Aws, CfnRule, CfnRuleAssertion, CfnWaitConditionHandle, Fn, Stack
from constructs import Construct

# The account id is 12 digits, so it never equals this: the rule always fails.
NEVER = "not-deployable-yet"


class PendingStack(Stack):
    """Exposes `reason`, the message that synth warns with and a deploy fails with."""

    def __init__(self, scope: Construct, construct_id: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.reason = reason
        Annotations.of(self).add_warning_v2("orders-api:pending", f"{construct_id} cannot be deployed yet: {reason}")
        CfnRule(
            self,
            "RefuseToDeploy",
            assertions=[
                CfnRuleAssertion(assert_=Fn.condition_equals(Aws.ACCOUNT_ID, NEVER), assert_description=reason)
            ],
        )
        # CloudFormation needs at least one resource; this one creates nothing.
        CfnWaitConditionHandle(self, "Placeholder")
