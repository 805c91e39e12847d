"""endpoint_type private, client account: the client's execute-api endpoint associated
with the private custom domain shared with this account, and the name resolved to
that endpoint in the client's VPC."""

from __future__ import annotations

from aws_cdk import CfnOutput
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct


class DomainAccess(Construct):
    """A DomainNameAccessAssociation from the VPC endpoint (`endpoint`, the client
    stack's own, or `endpoint_id`, the VPC's existing one) to `domain_arn` (read from
    ApiStack when this stack deploys). With the stack's own endpoint, a Route 53 private
    hosted zone of `domain_name` on `vpc` whose apex is an A alias of the endpoint; an
    existing endpoint's DNS entries are not known offline, so its zone and record are
    the VPC owner's (the docs say which).

    Exposes `association` and, with the stack's own endpoint, `zone`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        domain_arn: str,
        vpc: ec2.IVpc,
        endpoint: ec2.InterfaceVpcEndpoint | None,
        endpoint_id: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        source = endpoint.vpc_endpoint_id if endpoint is not None else endpoint_id
        self.association = apigateway.CfnDomainNameAccessAssociation(
            self,
            "Association",
            access_association_source=source,
            access_association_source_type="VPCE",
            domain_name_arn=domain_arn,
        )
        self.zone: route53.PrivateHostedZone | None = None
        if endpoint is None:
            CfnOutput(
                scope,
                "DomainRecordToCreate",
                value=f"{domain_name} A alias -> the regional DNS name of {endpoint_id}",
                description="The record a private hosted zone of the domain on this VPC needs (not made here)",
            )
            return
        self.zone = route53.PrivateHostedZone(
            self, "Zone", zone_name=domain_name, vpc=vpc, comment=f"{domain_name}, resolved to this VPC's execute-api endpoint"
        )
        route53.ARecord(
            self, "Alias", zone=self.zone, target=route53.RecordTarget.from_alias(targets.InterfaceVpcEndpointTarget(endpoint))
        )
