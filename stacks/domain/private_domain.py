"""endpoint_type private, API account: the private custom domain name, mapped to the
API's stage and shared with the client accounts through AWS RAM.

aws-cdk-lib has no L2 for it (aws-cdk issues 32551, 33352): the L1s, as the
CloudFormation resources are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Fn, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ram as ram
from constructs import Construct

from stacks.domain.settings import CustomDomain

# TLS 1.3 only, and STRICT: a request must come through an endpoint of the domain's own
# type (private) with the TLS server name (SNI) of this domain. An enhanced security
# policy needs an endpoint access mode; CDK's SecurityPolicy enum lists this one for
# regional and private endpoints.
PRIVATE_SECURITY_POLICY = "SecurityPolicy_TLS13_1_3_2025_09"
ENDPOINT_ACCESS_MODE = "STRICT"
INVOKE = "execute-api:Invoke"
# The domain policy's resource: this domain (API Gateway expands it, as in a resource policy).
THIS_DOMAIN = "execute-api:/*"


def domain_policy(client_vpc_ids: Sequence[str]) -> dict[str, Any]:
    """execute-api:Invoke through the domain from the client VPCs only: an Allow for
    them and a Deny for every request from anywhere else, the internet included (a
    request without aws:SourceVpc)."""
    vpcs = list(client_vpc_ids)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeFromTheClientVpcs",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": INVOKE,
                "Resource": THIS_DOMAIN,
                "Condition": {"StringEquals": {"aws:SourceVpc": vpcs}},
            },
            {
                "Sid": "DenyEveryOtherSource",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": INVOKE,
                "Resource": THIS_DOMAIN,
                "Condition": {"StringNotEquals": {"aws:SourceVpc": vpcs}},
            },
        ],
    }


class PrivateDomain(Construct):
    """A PRIVATE DomainNameV2 of `domain`, its root mapped to `stage_name` of
    `rest_api_id`, invocable from `client_vpc_ids` only, and a RAM share of it with
    exactly `client_accounts` (outside the organization only with `share_outside_org`:
    each account then accepts an invitation).

    Exposes `domain_name` (the CfnDomainNameV2), `arn` (its apigateway ARN, which the
    access associations name), `invoke_arn` (its execute-api ARN, which VPC endpoint
    policies name), `mapping` and `share`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: CustomDomain,
        rest_api_id: str,
        stage_name: str,
        client_accounts: Sequence[str],
        client_vpc_ids: Sequence[str],
        share_name: str,
        share_outside_org: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.domain_name = apigateway.CfnDomainNameV2(
            self,
            "DomainName",
            domain_name=domain.name,
            certificate_arn=domain.certificate_arn,
            endpoint_configuration=apigateway.CfnDomainNameV2.EndpointConfigurationProperty(types=["PRIVATE"]),
            security_policy=PRIVATE_SECURITY_POLICY,
            endpoint_access_mode=ENDPOINT_ACCESS_MODE,
            policy=domain_policy(client_vpc_ids),
        )
        self.arn = self.domain_name.attr_domain_name_arn
        stack = Stack.of(self)
        self.invoke_arn = Fn.join(
            "",
            [
                f"arn:{stack.partition}:execute-api:{stack.region}:{stack.account}:/domainnames/{domain.name}+",
                self.domain_name.attr_domain_name_id,
            ],
        )
        # No base path: https://<domain>/<route> is the stage's /<route>.
        self.mapping = apigateway.CfnBasePathMappingV2(
            self, "Mapping", domain_name_arn=self.arn, rest_api_id=rest_api_id, stage=stage_name
        )
        self.share = ram.CfnResourceShare(
            self,
            "Share",
            name=share_name,
            resource_arns=[self.arn],
            principals=list(client_accounts),
            allow_external_principals=share_outside_org,
        )
