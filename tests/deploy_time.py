"""What CloudFormation does with the consumers' references to ApiStack when they
deploy, offline: each `Fn::GetStackOutput` is read from the producer's synthesized
outputs, through the role it names, with made-up physical ids for the producer's
resources (the ids a deploy of ApiStack would give).

A read fails as CloudFormation's would when the producer stack, its output or a
usable role is missing: the role must be in the producer's account, trusted by the
consumer account's CloudFormation execution role (CDK's bootstrap role) and allowed
`cloudformation:DescribeStacks` on the producer stack.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import cx_api

DEPLOYED_API_ID = "a1b2c3d4e5"
DEPLOYED_AUTHORIZER_ID = "abc123"
# What `Ref` gives for the producer's resources once deployed, by resource type.
PHYSICAL_IDS = {
    "AWS::ApiGateway::RestApi": DEPLOYED_API_ID,
    "AWS::ApiGatewayV2::Api": DEPLOYED_API_ID,
    "AWS::ApiGateway::Authorizer": DEPLOYED_AUTHORIZER_ID,
}
DEPLOYED_DOMAIN_ID = "a1b2c3d4"


def _private_domain_attribute(resource: dict[str, Any], attribute: str, stack: DeployedStack) -> str | None:
    """What `Fn::GetAtt` gives for a private custom domain name once deployed."""
    if attribute == "DomainNameId":
        return DEPLOYED_DOMAIN_ID
    if attribute == "DomainNameArn":
        name = resource["Properties"]["DomainName"]
        return f"arn:{stack.partition}:apigateway:{stack.region}:{stack.account}:/domainnames/{name}+{DEPLOYED_DOMAIN_ID}"
    return None


# What `Fn::GetAtt` gives for the producer's resources once deployed, by resource type.
DEPLOYED_ATTRIBUTES = {"AWS::ApiGateway::DomainNameV2": _private_domain_attribute}
PARTITIONS = {"cn-": ("aws-cn", "amazonaws.com.cn"), "us-gov-": ("aws-us-gov", "amazonaws.com")}


class DeployFailed(Exception):
    """What CloudFormation would refuse, with the reason."""


@dataclass(frozen=True)
class DeployedStack:
    name: str
    account: str
    region: str
    template: dict[str, Any]
    # The values of the template's parameters, for a StackSet's instance.
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return next((p for prefix, (p, _) in PARTITIONS.items() if self.region.startswith(prefix)), "aws")

    @property
    def url_suffix(self) -> str:
        return next((s for prefix, (_, s) in PARTITIONS.items() if self.region.startswith(prefix)), "amazonaws.com")


class Deployment:
    """The stacks of one cloud assembly, deployed in the order the manifest gives."""

    def __init__(self, assembly: cx_api.CloudAssembly) -> None:
        self.assembly = assembly
        self.stacks = {
            stack.stack_name: DeployedStack(stack.stack_name, stack.environment.account, stack.environment.region, stack.template)
            for stack in assembly.stacks
        }

    def template(self, stack_name: str) -> dict[str, Any]:
        """`stack_name`'s template with every reference to another stack resolved."""
        consumer = self.stacks[stack_name]
        return _fold(self._read_outputs(consumer.template, consumer), consumer)

    def stack_set_instance(self, stack_set_name: str, account: str) -> dict[str, Any]:
        """The member template of the StackSet in `stack_set_name`, as its instance in
        `account` gets it: with the parameters that the StackSet sets."""
        ((stack_set),) = [
            resource["Properties"]
            for resource in self.template(stack_set_name)["Resources"].values()
            if resource["Type"] == "AWS::CloudFormation::StackSet"
        ]
        ((region,),) = [group["Regions"] for group in stack_set["StackInstancesGroup"]]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set.get("Parameters", [])}
        template = json.loads(stack_set["TemplateBody"])
        return _fold(template, DeployedStack(f"StackSet-{stack_set['StackSetName']}", account, region, template, parameters))

    def _read_outputs(self, value: Any, consumer: DeployedStack) -> Any:
        if isinstance(value, list):
            return [self._read_outputs(item, consumer) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Fn::GetStackOutput"}:
            return self.get_stack_output(consumer, **value["Fn::GetStackOutput"])
        return {key: self._read_outputs(item, consumer) for key, item in value.items()}

    def get_stack_output(
        self, consumer: DeployedStack, StackName: str, OutputName: str, Region: str, RoleArn: str | None = None
    ) -> str:
        producer = self.stacks.get(StackName)
        if producer is None or producer.region != Region:
            raise DeployFailed(f"Stack {StackName} does not exist in {Region}")
        if RoleArn is not None:
            self._assume_reader_role(consumer, producer, RoleArn)
        elif producer.account != consumer.account:
            raise DeployFailed(f"{consumer.name} cannot read {StackName} in another account without a role")
        output = producer.template.get("Outputs", {}).get(OutputName)
        if output is None:
            raise DeployFailed(f"Stack {StackName} has no output {OutputName}")
        value = _fold(output["Value"], producer)
        if not isinstance(value, str):
            raise DeployFailed(f"output {OutputName} of {StackName} does not resolve to a string: {value}")
        return value

    def _assume_reader_role(self, consumer: DeployedStack, producer: DeployedStack, role_arn: str) -> None:
        prefix = f"arn:{producer.partition}:iam::{producer.account}:role/"
        resources = producer.template["Resources"]
        roles = {
            logical_id: resource
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::IAM::Role" and role_arn == prefix + str(resource["Properties"].get("RoleName"))
        }
        if len(roles) != 1:
            raise DeployFailed(f"no role {role_arn} in {producer.name}")
        ((logical_id, role),) = roles.items()
        execution_role = cloudformation_execution_role(consumer)
        trusted = [
            _fold(principal, producer)
            for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow" and "sts:AssumeRole" in _as_list(statement["Action"])
            for principal in _as_list(statement["Principal"].get("AWS", []))
        ]
        if execution_role not in trusted:
            raise DeployFailed(f"{role_arn} does not trust {execution_role}")
        stack_arn = f"arn:{producer.partition}:cloudformation:{producer.region}:{producer.account}:stack/{producer.name}/"
        allowed = [
            resource_arn
            for policy in resources.values()
            if policy["Type"] == "AWS::IAM::Policy" and {"Ref": logical_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow" and "cloudformation:DescribeStacks" in _as_list(statement["Action"])
            for resource_arn in _as_list(statement["Resource"])
        ]
        if not any(fnmatch.fnmatchcase(stack_arn + "0f1e2d3c", pattern) for pattern in allowed):
            raise DeployFailed(f"{role_arn} may not describe {producer.name}")


def cloudformation_execution_role(stack: DeployedStack) -> str:
    """The role CloudFormation deploys `stack` as: CDK's bootstrap role of its account and region."""
    qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return (
        f"arn:{stack.partition}:iam::{stack.account}:role/cdk-{qualifier}-cfn-exec-role-{stack.account}-{stack.region}"
    )


def _fold(value: Any, stack: DeployedStack) -> Any:
    """`value` with the pseudo parameters, the Refs to `stack`'s own resources that
    PHYSICAL_IDS knows, and the Fn::Joins of what is then known replaced by strings."""
    if isinstance(value, list):
        return [_fold(item, stack) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _fold(item, stack) for key, item in value.items()}
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return _fold_sub(value["Fn::Sub"], stack)
    if set(value) == {"Ref"}:
        known = {**_pseudo_parameters(stack), **stack.parameters}
        resource = stack.template["Resources"].get(value["Ref"])
        if resource is not None and resource["Type"] in PHYSICAL_IDS:
            return PHYSICAL_IDS[resource["Type"]]
        return known.get(value["Ref"], value)
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        resource = stack.template["Resources"].get(logical_id, {})
        deployed = DEPLOYED_ATTRIBUTES.get(resource.get("Type"))
        known = deployed(resource, attribute, stack) if deployed is not None else None
        return value if known is None else known
    if set(value) == {"Fn::Join"}:
        delimiter, items = value["Fn::Join"]
        if all(isinstance(item, str) for item in items):
            return delimiter.join(items)
    return value


def _fold_sub(text: str, stack: DeployedStack) -> Any:
    for name, known in _pseudo_parameters(stack).items():
        text = text.replace(f"${{{name}}}", known)
    return text if "${" not in text else {"Fn::Sub": text}


def _pseudo_parameters(stack: DeployedStack) -> dict[str, str]:
    return {
        "AWS::AccountId": stack.account,
        "AWS::Region": stack.region,
        "AWS::Partition": stack.partition,
        "AWS::URLSuffix": stack.url_suffix,
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
