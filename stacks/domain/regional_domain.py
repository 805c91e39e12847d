"""endpoint_type regional: a regional custom domain name for the REST or HTTP API,
mapped to its stage, and with a hosted zone id the alias record that resolves it."""

from __future__ import annotations

from aws_cdk import CfnOutput
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from stacks.api.iam_http_api import IamHttpApi
from stacks.api.iam_rest_api import IamRestApi
from stacks.domain.settings import CustomDomain
from stacks.shared.compliance import acknowledge_guard


class RegionalDomain(Construct):
    """`domain` for `api`, its root mapped to the API's stage: for a REST API with TLS 1.3
    only (an enhanced security policy, STRICT: the TLS server name must be this domain);
    for an HTTP API, which cannot be mapped to a domain with an enhanced policy, TLS 1.2
    or newer. With `domain.hosted_zone_id`, an A alias record of the name there.

    Exposes `target_domain_name` and `target_hosted_zone_id`: what an alias record of
    the name points to (also stack outputs, for a record made elsewhere)."""

    def __init__(self, scope: Construct, construct_id: str, *, domain: CustomDomain, api: IamRestApi | IamHttpApi) -> None:
        super().__init__(scope, construct_id)
        certificate = acm.Certificate.from_certificate_arn(self, "Certificate", domain.certificate_arn)
        if isinstance(api, IamRestApi):
            rest_domain = apigateway.DomainName(
                self,
                "DomainName",
                domain_name=domain.name,
                certificate=certificate,
                endpoint_type=apigateway.EndpointType.REGIONAL,
                security_policy=apigateway.SecurityPolicy.TLS13_1_3_2025_09,
                endpoint_access_mode=apigateway.EndpointAccessMode.STRICT,
            )
            acknowledge_guard(
                rest_domain,
                "api_gw_domain_tls_check",
                "The domain's security policy is SecurityPolicy_TLS13_1_3_2025_09 (TLS 1.3 only), stricter than the "
                "TLS_1_2 this rule asks for; the rule predates API Gateway's enhanced security policies.",
            )
            # No base path: https://<domain>/<route> is the stage's /<route>.
            rest_domain.add_base_path_mapping(api.api, stage=api.stage)
            alias: route53.IAliasRecordTarget = targets.ApiGatewayDomain(rest_domain)
            self.target_domain_name = rest_domain.domain_name_alias_domain_name
            self.target_hosted_zone_id = rest_domain.domain_name_alias_hosted_zone_id
        else:
            http_domain = apigatewayv2.DomainName(
                self,
                "DomainName",
                domain_name=domain.name,
                certificate=certificate,
                endpoint_type=apigatewayv2.EndpointType.REGIONAL,
                security_policy=apigatewayv2.SecurityPolicy.TLS_1_2,
            )
            apigatewayv2.ApiMapping(self, "Mapping", api=api.api, domain_name=http_domain, stage=api.stage)
            alias = targets.ApiGatewayv2DomainProperties(
                http_domain.regional_domain_name, http_domain.regional_hosted_zone_id
            )
            self.target_domain_name = http_domain.regional_domain_name
            self.target_hosted_zone_id = http_domain.regional_hosted_zone_id
        if domain.hosted_zone_id is not None:
            zone = route53.HostedZone.from_hosted_zone_id(self, "Zone", domain.hosted_zone_id)
            # The full name with its final dot: the zone's own name is not known offline.
            route53.ARecord(
                self, "Alias", zone=zone, record_name=f"{domain.name}.", target=route53.RecordTarget.from_alias(alias)
            )
        CfnOutput(
            scope,
            "DomainTarget",
            value=self.target_domain_name,
            description=f"{domain.name}: an A alias record of it points to this name (and DomainTargetZone)",
        )
        CfnOutput(scope, "DomainTargetZone", value=self.target_hosted_zone_id, description="The alias target's hosted zone id")
