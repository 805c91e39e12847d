"""What the API's access log records: one JSON line per request, enough to trace every
denied call to who tried it, for either type of API.

API Gateway does not document escaping $context values in access logs, so only values
that it derives itself are logged: ids, times, the principal IAM verified (ARNs and
session names admit no quote), the TCP source address, the matched route, statuses
and enumerated error types. Nothing the caller writes, such as the user agent or an
error text that quotes the request, can forge a field of the line.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.shared.log_groups import log_group


def access_log_group(scope: Construct) -> logs.LogGroup:
    """The stage's access log group: the audit trail, kept a year, encrypted with the
    stack's key, and kept when the stack is deleted (the key with it)."""
    return log_group(scope, "AccessLogs", removal_policy=RemovalPolicy.RETAIN)

_CALLER = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "callerAccount": "$context.identity.accountId",
    "callerPrincipalArn": "$context.identity.userArn",
    "caller": "$context.identity.caller",
    "callerOrgId": "$context.identity.principalOrgId",
    "sourceIp": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "status": "$context.status",
    "responseLatencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    # The enumerated kind of error (ACCESS_DENIED, MISSING_AUTHENTICATION_TOKEN, ...).
    "errorType": "$context.error.responseType",
}
REST_ACCESS_LOG_FIELDS = {
    **_CALLER,
    "extendedRequestId": "$context.extendedRequestId",
    "resourcePath": "$context.resourcePath",
    "authenticateStatus": "$context.authenticate.status",
    "authorizeStatus": "$context.authorize.status",
    # lambda-authorizer mode: the caller the central authorizer proved with STS.
    "authorizerPrincipalId": "$context.authorizer.principalId",
    "authorizerCallerArn": "$context.authorizer.callerArn",
    "authorizerCallerAccount": "$context.authorizer.callerAccount",
}
HTTP_ACCESS_LOG_FIELDS = {
    **_CALLER,
    "routeKey": "$context.routeKey",
}
