"""The client stack as a StackSet deploys it in every member account: built by the
same ClientStack code, with the requestor's code inline and no bootstrap resources,
so that no member account needs `cdk bootstrap`."""

from __future__ import annotations

import json
import tempfile
from typing import Any

import aws_cdk as cdk

from stacks.client.client_stack import ClientStack
from stacks.config import AppConfig
from stacks.shared.compliance import attach_security_checks

MEMBER_STACK_NAME = "StackSetMember"
# CloudFormation's limit for a template given inline (TemplateBody) rather than by URL.
TEMPLATE_BODY_LIMIT = 51_200


def member_template(config: AppConfig, context: dict[str, Any]) -> dict[str, Any]:
    """The template, synthesized in an app of its own (the same feature flags and
    cdk-nag checks) for an environment-agnostic stack: any account, `client_region`.
    The API's id is its parameter API_ID_PARAMETER."""
    with tempfile.TemporaryDirectory() as out_dir:
        app = cdk.App(context=context, outdir=out_dir, builtin_cloud_formation_validation=False)
        attach_security_checks(app)
        stack = ClientStack(
            app,
            MEMBER_STACK_NAME,
            config=config,
            stack_set_member=True,
            synthesizer=cdk.BootstraplessSynthesizer(),
            description=f"SigV4-signing requestor for the {config.names.title} API in another account (StackSet instance)",
        )
        template = app.synth().get_stack_by_name(stack.stack_name).template
    size = len(json.dumps(template, separators=(",", ":")))
    if size > TEMPLATE_BODY_LIMIT:
        raise ValueError(f"the member template is {size} characters, over CloudFormation's {TEMPLATE_BODY_LIMIT}")
    return template
