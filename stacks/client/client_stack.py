"""ClientStack, deployed in each client account: a requestor Lambda that signs its
calls to the API with SigV4, under a role that may invoke that API and nothing else."""

from __future__ import annotations

from typing import Any

import dataclasses

from aws_cdk import CfnOutput, CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.client.private_network import RequestorNetwork
from stacks.domain.domain_access import DomainAccess
from stacks.config import ACCESS_MODE_DESCRIPTION, API_ID_PATTERN, ASSUME_ROLE, LAMBDA_AUTHORIZER, PRIVATE, RESOURCE_POLICY, AppConfig
from stacks.shared.compliance import acknowledge_path_parameters
from stacks.shared.python_function import PythonFunction

# A StackSet member's parameter: the API's id, which the StackSet sets.
API_ID_PARAMETER = "ApiId"


class ClientStack(Stack):
    """Exposes `requestor` (its PythonFunction), for a private API `network` (its
    RequestorNetwork) and, with a private custom domain, `domain_access` (its
    DomainAccess). `config.api_id` is the API's id, or a reference to ApiStack's API
    that CloudFormation resolves when this stack deploys; so is a private domain's ARN.

    `stack_set_member`: the stack as a StackSet deploys it in every account
    (stacks/org/member_template.py): the requestor's code in the template, and the
    API's id a parameter, which the StackSet sets."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, stack_set_member: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if stack_set_member:
            api_id = CfnParameter(
                self,
                API_ID_PARAMETER,
                description=f"The {config.names.title} API's id (ApiStack's ApiId output), set by the StackSet",
                allowed_pattern=API_ID_PATTERN.pattern,
                constraint_description="the API's 10 lowercase letters and digits",
            )
            config = dataclasses.replace(config, api_id=api_id.value_as_string)
        # A private API is reached from the client's VPC only.
        self.network: RequestorNetwork | None = None
        self.domain_access: DomainAccess | None = None
        endpoints: dict[str, str] = {}
        if config.endpoint_type == PRIVATE:
            client_network = config.client_networks[self.account]
            domain = config.custom_domain
            # Through the domain, the endpoint's policy is asked about the domain too.
            domain_arns = [domain.invoke_arn] if domain is not None else []
            self.network = RequestorNetwork(
                self,
                "Network",
                network=client_network,
                title=config.names.title,
                api_arns=[config.execute_api_arn(route) for route in config.service.routes] + domain_arns,
                invoker_role_arn=config.invoker_role_arn,
                create_endpoints=config.create_vpc_endpoint,
            )
            endpoints = _endpoint_environment(config, client_network.endpoint_dns_name, self.network.dns_names)
            if domain is not None:
                self.domain_access = DomainAccess(
                    self,
                    "Domain",
                    domain_name=domain.name,
                    domain_arn=domain.arn,
                    vpc=self.network.vpc,
                    endpoint=self.network.endpoints.get("ExecuteApi"),
                    endpoint_id=domain.endpoint_ids.get(client_network.vpc_id),
                )
        self.requestor = PythonFunction(
            self,
            "Requestor",
            source="requestor",
            description=f"Calls the {config.names.title} API in another account, signed with SigV4",
            environment={
                "API_URL": config.requestor_url,
                **endpoints,
                "API_REGION": config.api_region.name,
                **({"INVOKER_ROLE_ARN": config.invoker_role_arn} if config.invoker_role_arn else {}),
                # lambda-authorizer mode: calls carry an identity token for this API, not a signature.
                **({"TOKEN_API_ID": config.api_id} if config.access_mode == LAMBDA_AUTHORIZER else {}),
            },
            timeout=Duration.seconds(30),
            # ApiStack admits this exact name: in its resource policy, or in assume-role
            # mode in its invoker role's trust policy.
            role_name=config.names.requestor_role,
            function_name=config.names.requestor_function,
            network=self.network,
            # In a StackSet's template: the code in the template, no asset bucket.
            inline=stack_set_member,
        )
        if config.access_mode == ASSUME_ROLE:
            self.requestor.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AssumeTheInvokerRoleOnly", actions=["sts:AssumeRole"], resources=[config.invoker_role_arn]
                )
            )
        elif config.access_mode == RESOURCE_POLICY:
            self._allow_invoking_the_api(config)
        # lambda-authorizer mode: no permission at all; presigning GetCallerIdentity needs none.
        CfnOutput(self, "RequestorFunctionName", value=self.requestor.function.function_name)
        CfnOutput(self, "RequestorRoleArn", value=self.requestor.role.role_arn)
        # make smoke reads them: each kind of API words its refusals differently.
        CfnOutput(self, "ApiType", value=config.api_type)
        CfnOutput(self, "EndpointType", value=config.endpoint_type)
        CfnOutput(self, "AccessMode", value=config.access_mode, description=ACCESS_MODE_DESCRIPTION)
        if config.custom_domain is not None:
            CfnOutput(self, "CustomDomainName", value=config.custom_domain.name, description="The name the requestor calls")

    def _allow_invoking_the_api(self, config: AppConfig) -> None:
        # The ARNs name the API's account explicitly: the API is not in this stack's account.
        self.requestor.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=config.names.invoke_sid,
                actions=["execute-api:Invoke"],
                resources=[config.execute_api_arn(route) for route in config.service.routes],
            )
        )
        acknowledge_path_parameters(self.requestor.role, config.service.routes, config.execute_api_arn)


def _endpoint_environment(config: AppConfig, given_dns_name: str | None, created: dict[str, str]) -> dict[str, str]:
    """The requestor's settings for VPC endpoints it calls by their own names (an
    endpoint without private DNS): the API's by URL, named with x-apigw-api-id
    (API_ID), and STS's. They override API_URL; the requests are signed as sent.
    With a custom domain the domain's private hosted zone resolves it to the endpoint:
    API_URL, the domain, is called as it is."""
    environment = {"STS_ENDPOINT_URL": f"https://{created['Sts']}"} if "Sts" in created else {}
    execute_api = created.get("ExecuteApi", given_dns_name)
    if execute_api is not None and config.custom_domain is None:
        environment |= {"API_URL": f"https://{execute_api}/{config.stage}", "API_ID": config.api_id}
    return environment
