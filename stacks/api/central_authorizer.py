"""access_mode lambda-authorizer, API side: every method is authorized by a Lambda
function that a security account owns (AuthorizerStack), by the caller's IAM identity."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

# The requestor's token: a version prefix and a presigned URL in base64url.
TOKEN_PATTERN = r"^iam-identity-v1\.[A-Za-z0-9_-]+$"
# API Gateway caches the authorizer's answer per token; the requestor reuses a token
# for most of its 15 minutes, so most calls never reach the authorizer or STS.
RESULTS_CACHE_TTL = Duration.minutes(5)


def central_authorizer(scope: Construct, function_arn: str) -> apigateway.TokenAuthorizer:
    """A TOKEN authorizer on the function in the security account. That account grants
    API Gateway the right to invoke it (AuthorizerStack): this stack cannot create a
    permission in another account, and until it exists every call fails closed."""
    function = lambda_.Function.from_function_attributes(
        scope, "CentralAuthorizerFunction", function_arn=function_arn, skip_permissions=True
    )
    return apigateway.TokenAuthorizer(
        scope,
        "CentralAuthorizer",
        handler=function,
        identity_source=apigateway.IdentitySource.header("Authorization"),
        validation_regex=TOKEN_PATTERN,
        results_cache_ttl=RESULTS_CACHE_TTL,
    )
