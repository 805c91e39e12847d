"""The API's custom domain, as the configuration asks for it: ApiStack's one call."""

from __future__ import annotations

from aws_cdk import CfnOutput
from constructs import Construct

from stacks.api.iam_http_api import IamHttpApi
from stacks.api.iam_rest_api import IamRestApi
from stacks.config import PRIVATE, AppConfig
from stacks.domain.private_domain import PrivateDomain
from stacks.domain.regional_domain import RegionalDomain


def api_domain(scope: Construct, config: AppConfig, api: IamRestApi | IamHttpApi) -> PrivateDomain | RegionalDomain | None:
    """A private API's private domain shared with the client accounts, a regional
    API's regional domain, or None without custom_domain_name."""
    domain = config.custom_domain
    if domain is None:
        return None
    CfnOutput(scope, "CustomDomainName", value=domain.name, description="The name the requestors call: https://<name>/<route>")
    if config.endpoint_type != PRIVATE:
        return RegionalDomain(scope, "CustomDomain", domain=domain, api=api)
    private = PrivateDomain(
        scope,
        "CustomDomain",
        domain=domain,
        rest_api_id=api.api_id,
        stage_name=api.stage.stage_name,
        client_accounts=config.client_accounts,
        client_vpc_ids=config.client_vpc_ids,
        share_name=f"{config.names.api}-domain",
        share_outside_org=domain.share_outside_org,
    )
    CfnOutput(scope, "CustomDomainArn", value=private.arn, description="The private domain's ARN, shared through AWS RAM")
    return private
