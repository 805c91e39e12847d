"""A Python Lambda function with the house defaults, used by both stacks."""

from __future__ import annotations

import ast
from typing import Protocol

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.shared.bundling import ARCHITECTURE, EXCLUDE, LAMBDA_SRC, RUNTIME, bundled_code, needs_bundling
from stacks.shared.compliance import (
    FUNCTION_CHOICES,
    NETWORK_INTERFACES,
    OUTSIDE_A_VPC,
    acknowledge,
    acknowledge_guard,
    skip_checkov,
)
from stacks.shared.log_groups import log_group


class PythonFunction(Construct):
    """A handler from `lambda_src/<source>/handler.py`, as an asset (with the packages of
    its requirements.txt, if it has one, bundled without Docker) or (`inline`) in the
    template itself. Its log group is kept a year and encrypted with the stack's key
    (stacks/shared/log_groups.py).

    Its role gets only what the function needs to write its own log group and
    traces (and, in a VPC, to manage its network interfaces): no AWS managed policy,
    whose `logs:*` on every log group is wider. Exposes `function`, `role` and `log_group`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str,
        description: str,
        environment: dict[str, str] | None = None,
        timeout: Duration = Duration.seconds(10),
        role_name: str | None = None,
        function_name: str | None = None,
        network: VpcPlacement | None = None,
        inline: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "Logs", removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs: {description}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="index.handler" if inline else "handler.handler",
            code=_inline_code(source) if inline else _asset_code(source),
            description=description,
            environment=environment,
            timeout=timeout,
            memory_size=256,
            role=self.role,
            function_name=function_name,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            vpc=network.vpc if network else None,
            vpc_subnets=network.subnets if network else None,
            security_groups=[network.security_group] if network else None,
        )
        self.log_group.grant_write(self.role)
        # The policies the function needs before it is created: Lambda checks them then.
        policies = [self.role.node.find_child("DefaultPolicy").node.default_child]
        if network:
            policies.append(self._network_interface_policy().node.default_child)
        # The function names its role with a GetAtt, which orders them already; CDK
        # still lists the role in DependsOn, a finding of cfn-lint (W3005). Only the
        # role's policies, which nothing references, need the explicit order.
        stack = Stack.of(self)
        self.function.node.default_child.add_override("DependsOn", [stack.get_logical_id(p) for p in policies])
        skip_checkov(
            self.function,
            {
                check: reason
                for check, reason in FUNCTION_CHOICES.items()
                if (environment or check != "CKV_AWS_173") and (network is None or check != "CKV_AWS_117")
            },
        )
        if network is None:
            acknowledge_guard(self.function, "lambda_inside_vpc_check", OUTSIDE_A_VPC)
        acknowledge(
            self.role,
            "IAM5[Resource::*]",
            "Only xray:PutTraceSegments and xray:PutTelemetryRecords have Resource '*': "
            "X-Ray supports no resource-level permissions for them.",
        )

    def _network_interface_policy(self) -> iam.Policy:
        """What AWS's AWSLambdaVPCAccessExecutionRole grants for EC2, without its logs:*,
        in a policy of its own so that its checkov skip covers nothing else."""
        policy = iam.Policy(
            self,
            "NetworkInterfaces",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ManageTheFunctionsNetworkInterfaces",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSubnets",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=["*"],
                )
            ],
        )
        skip_checkov(policy, NETWORK_INTERFACES)
        acknowledge(policy, "IAM5[Resource::*]", NETWORK_INTERFACES["CKV_AWS_111"])
        return policy


class VpcPlacement(Protocol):
    """Where a function runs in a VPC, as RequestorNetwork exposes it."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_group: ec2.ISecurityGroup


def _asset_code(source: str) -> lambda_.Code:
    if needs_bundling(source):
        return bundled_code(source)
    # Bytecode caches left by the tests must not change the asset's hash.
    return lambda_.Code.from_asset(str(LAMBDA_SRC / source), exclude=EXCLUDE)


def _inline_code(source: str) -> lambda_.Code:
    """The handler's modules in the template itself: a template that needs no asset
    bucket, for a StackSet that deploys it to accounts that were never bootstrapped."""
    return lambda_.Code.from_inline(inline_source(source))


INLINE_LOADER = '''"""lambda_src/{source}/ inline: CloudFormation writes this file as index.py, the
function's only file, so each module of that directory is here as text, run as the
module of its name (handler.py's sibling imports find them), and handler.py's handler
is this file's. Written by stacks/shared/python_function.py."""

import sys
import types


def _load(name, text):
    module = types.ModuleType(name)
    module.__file__ = f"lambda_src/{source}/{{name}}.py"
    sys.modules[name] = module
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module

'''


def inline_source(source: str) -> str:
    """index.py for lambda_src/<source>/, which must hold Python modules only (no
    packages or other files): handler.py and its siblings, loaded as Lambda would
    import them from a directory."""
    folder = LAMBDA_SRC / source
    entries = sorted(path for path in folder.iterdir() if path.name != "__pycache__")
    others = [path.name for path in entries if path.suffix != ".py" or not path.is_file()]
    names = [path.stem for path in entries if path.suffix == ".py" and path.is_file()]
    if others or "handler" not in names:
        raise ValueError(f"lambda_src/{source} must hold handler.py and other modules only to be inlined, not {others}")
    # The siblings first, handler.py last: it imports them.
    parts = [INLINE_LOADER.format(source=source)]
    for name in sorted(names, key=lambda name: name == "handler"):
        text = (folder / f"{name}.py").read_text()
        literal = f"r'''{text}'''"
        if "'''" in text or ast.literal_eval(literal) != text:
            raise ValueError(f"lambda_src/{source}/{name}.py cannot be inlined as a raw string: it holds ''' or ends in a backslash")
        parts.append(f"_load({name!r}, {literal})\n")
    parts.append("handler = sys.modules[\"handler\"].handler\n")
    return "\n".join(parts)
