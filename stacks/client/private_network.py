"""endpoint_type private, client side: the requestor runs in its account's VPC and
reaches the API (and STS, in assume-role mode) through interface VPC endpoints."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import ClientNetwork

HTTPS = ec2.Port.tcp(443)


class RequestorNetwork(Construct):
    """The VPC and subnets by id (no lookups: the app stays offline) and a security
    group that lets the requestor out on HTTPS only. With `create_endpoints`, the
    execute-api interface endpoint whose policy allows only `execute-api:Invoke` on
    `api_arns`, and, when `invoker_role_arn` is given, an STS endpoint that allows only
    assuming that role. Both without private DNS: the requestor calls them by their own
    names, so nothing else in the VPC changes (private DNS would send every execute-api
    and STS call of the VPC to them). Without `create_endpoints`, the VPC's existing
    execute-api endpoint serves.

    Exposes `vpc`, `subnets`, `security_group`, `endpoints` (name: endpoint) and
    `dns_names` (name: the endpoint's regional DNS name, a token)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: ClientNetwork,
        title: str,
        api_arns: Sequence[str],
        invoker_role_arn: str | None,
        create_endpoints: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=network.vpc_id, availability_zones=Fn.get_azs())
        subnets = [ec2.Subnet.from_subnet_id(self, subnet_id, subnet_id) for subnet_id in network.subnet_ids]
        self.subnets = ec2.SubnetSelection(subnets=subnets)
        # Nothing here selects subnets by zone or reads their route tables.
        Annotations.of(self.vpc).acknowledge_warning(
            "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones", "The subnets are given by id, not by zone."
        )
        for subnet in subnets:
            Annotations.of(subnet).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId", "Nothing reads the subnet's route table."
            )
        self.security_group = ec2.SecurityGroup(
            self,
            "RequestorSecurityGroup",
            vpc=self.vpc,
            description=f"{title} API requestor: HTTPS out only",
            allow_all_outbound=False,
        )
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.dns_names: dict[str, str] = {}
        if not create_endpoints:
            self.security_group.add_egress_rule(*self._existing_endpoint(network.endpoint_security_group_id))
            return
        endpoint_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description=f"{title} API requestor VPC endpoints: HTTPS in from the requestor only",
            allow_all_outbound=False,
        )
        endpoint_group.add_ingress_rule(self.security_group, HTTPS, "HTTPS from the requestor")
        self.security_group.add_egress_rule(endpoint_group, HTTPS, "HTTPS to the VPC endpoints")
        self.endpoints["ExecuteApi"] = self._endpoint(
            "ExecuteApi", ec2.InterfaceVpcEndpointAwsService.APIGATEWAY, endpoint_group, "execute-api:Invoke", api_arns
        )
        if invoker_role_arn:
            self.endpoints["Sts"] = self._endpoint(
                "Sts", ec2.InterfaceVpcEndpointAwsService.STS, endpoint_group, "sts:AssumeRole", [invoker_role_arn]
            )

    def _existing_endpoint(self, security_group_id: str | None) -> tuple[ec2.IPeer, ec2.Port, str]:
        """The way out to the VPC's own execute-api endpoint: to its security group when
        named, else to any address on HTTPS (its addresses are not known offline)."""
        if security_group_id is None:
            return ec2.Peer.any_ipv4(), HTTPS, "HTTPS out, for the VPC's execute-api endpoint"
        group = ec2.SecurityGroup.from_security_group_id(self, "ExecuteApiEndpoint", security_group_id)
        return group, HTTPS, "HTTPS to the VPC's execute-api endpoint"

    def _endpoint(
        self,
        name: str,
        service: ec2.InterfaceVpcEndpointAwsService,
        security_group: ec2.ISecurityGroup,
        action: str,
        resources: Sequence[str],
    ) -> ec2.InterfaceVpcEndpoint:
        endpoint = ec2.InterfaceVpcEndpoint(
            self,
            name,
            vpc=self.vpc,
            service=service,
            subnets=self.subnets,
            private_dns_enabled=False,
            security_groups=[security_group],
            open=False,
        )
        # Whoever calls through this endpoint, only this action on these resources.
        endpoint.add_to_policy(
            iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=[action], resources=list(resources))
        )
        # The first DNS entry is the regional name, "<hosted zone id>:<name>".
        self.dns_names[name] = Fn.select(1, Fn.split(":", Fn.select(0, endpoint.vpc_endpoint_dns_entries)))
        return endpoint
