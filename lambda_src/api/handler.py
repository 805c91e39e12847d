"""Orders API backend behind an API Gateway Lambda proxy integration: a REST API's
(payload format 1.0) or an HTTP API's (2.0), with the same answers.

Every route is IAM-authorized, so the caller (`requestContext.identity` in 1.0,
`requestContext.authorizer.iam` in 2.0) is the principal whose SigV4 signature API
Gateway verified; in lambda-authorizer mode, the principal the central authorizer
proved (`requestContext.authorizer`: principalId, callerArn, callerAccount). In assume-role mode that
principal is a session of the invoker role (INVOKER_ROLE_NAME); its trust policy
makes each client name its session `<client account>-...`, so the client account is
reported from the session name.

Its one package, orjson (lambda_src/api/requirements.txt), shows a backend that needs
more than the runtime ships: synth bundles it for Lambda's platform, without Docker.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import uuid
from typing import Any

import orjson

logger = logging.getLogger()
logger.setLevel(logging.INFO)

ORDERS = {
    "123": {"id": "123", "category": "book"},
    "456": {"id": "456", "category": "music"},
}
MAX_ORDER_ID_LENGTH = 64
MAX_CATEGORY_LENGTH = 64
MAX_QUANTITY = 1000
# arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>
ASSUMED_ROLE_ARN = re.compile(r"arn:[a-z-]+:sts::[0-9]{12}:assumed-role/(?P<role>[^/]+)/(?P<session>.+)")
CLIENT_SESSION = re.compile(r"(?P<account>[0-9]{12})-.*")


class BadRequest(Exception):
    """The request is malformed; the message tells the caller what to fix."""


def handler(event: Any, context: Any) -> dict[str, Any]:
    request_id = getattr(context, "aws_request_id", None)
    if not isinstance(event, dict):
        return _response(400, {"message": "expected an API Gateway proxy event (a JSON object)"})
    method, resource = _route_key(event)
    answer = ROUTES.get((method, resource)) if isinstance(method, str) and isinstance(resource, str) else None
    if answer is None:
        return _response(404, {"message": f"no route for {method} {event.get('path', event.get('rawPath'))}"})
    try:
        return answer(event)
    except BadRequest as error:
        return _response(400, {"message": str(error)})
    except Exception:
        # An unexpected fault must not leak details to the caller; the log has them.
        logger.exception("unhandled error", extra={"route": f"{method} {resource}"})
        return _response(500, {"message": "internal error", "requestId": request_id})


def who_am_i(event: dict[str, Any]) -> dict[str, Any]:
    identity = _identity(event)
    return _response(
        200,
        {
            "account": identity.get("accountId"),
            "principal": identity.get("userArn"),
            "caller": identity.get("caller"),
            "sourceIp": identity.get("sourceIp"),
            "clientAccount": client_account(identity),
        },
    )


def client_account(identity: dict[str, Any]) -> Any:
    """The account the call comes from: the caller's own, or for a session of the
    invoker role, the client account its session name must start with."""
    invoker_role = os.environ.get("INVOKER_ROLE_NAME")
    principal = identity.get("userArn")
    assumed = ASSUMED_ROLE_ARN.fullmatch(principal) if isinstance(principal, str) else None
    if invoker_role and assumed and assumed["role"] == invoker_role:
        session = CLIENT_SESSION.fullmatch(assumed["session"])
        return session["account"] if session else None
    return identity.get("accountId")


def get_order(event: dict[str, Any]) -> dict[str, Any]:
    order_id = _object(event.get("pathParameters")).get("id")
    if not isinstance(order_id, str) or not 0 < len(order_id) <= MAX_ORDER_ID_LENGTH:
        raise BadRequest(f"order id must be 1 to {MAX_ORDER_ID_LENGTH} characters")
    order = ORDERS.get(order_id)
    if order is None:
        return _response(404, {"message": f"order {order_id!r} not found"})
    return _response(200, order)


def create_order(event: dict[str, Any]) -> dict[str, Any]:
    order = _json_object(_body_text(event))
    category = order.get("category")
    if not isinstance(category, str) or not 0 < len(category.strip()) <= MAX_CATEGORY_LENGTH:
        raise BadRequest(f"body.category must be a non-empty string of at most {MAX_CATEGORY_LENGTH} characters")
    quantity = order.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_QUANTITY:
        raise BadRequest(f"body.quantity must be a whole number from 1 to {MAX_QUANTITY}")
    unknown = sorted(set(order) - {"category", "quantity"})
    if unknown:
        raise BadRequest(f"body has unknown fields {unknown}; allowed: category, quantity")
    created = {
        "id": uuid.uuid4().hex[:12],
        "category": category.strip(),
        "quantity": quantity,
        "createdBy": _identity(event).get("userArn"),
        "clientAccount": client_account(_identity(event)),
    }
    return _response(201, created)


ROUTES = {
    ("GET", "/"): who_am_i,
    ("GET", "/orders/{id}"): get_order,
    ("POST", "/orders"): create_order,
}


def _route_key(event: dict[str, Any]) -> tuple[Any, Any]:
    """The route's method and resource path, such as ("GET", "/orders/{id}")."""
    if event.get("version") == "2.0":
        route_key = event.get("routeKey")
        method, _, resource = route_key.partition(" ") if isinstance(route_key, str) else (None, "", None)
        return method, resource
    return event.get("httpMethod"), event.get("resource")


def _identity(event: dict[str, Any]) -> dict[str, Any]:
    """The verified caller, in the REST API's names whichever the payload format."""
    request_context = _object(event.get("requestContext"))
    if event.get("version") == "2.0":
        caller = _object(_object(request_context.get("authorizer")).get("iam"))
        return {
            "accountId": caller.get("accountId"),
            "userArn": caller.get("userArn"),
            "caller": caller.get("callerId"),
            "sourceIp": _object(request_context.get("http")).get("sourceIp"),
        }
    identity = _object(request_context.get("identity"))
    verified_by_authorizer = _object(request_context.get("authorizer"))
    if "callerArn" in verified_by_authorizer:
        # lambda-authorizer mode: the central authorizer proved who called.
        return {
            "accountId": verified_by_authorizer.get("callerAccount"),
            "userArn": verified_by_authorizer.get("callerArn"),
            "caller": verified_by_authorizer.get("principalId"),
            "sourceIp": identity.get("sourceIp"),
        }
    return identity


def _object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: API Gateway sends null for
    absent parts, and a direct invoke may send anything."""
    return value if isinstance(value, dict) else {}


def _body_text(event: dict[str, Any]) -> Any:
    body = event.get("body")
    if event.get("isBase64Encoded") and isinstance(body, str):
        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except ValueError:
            raise BadRequest("body is marked base64 but is not base64-encoded UTF-8") from None
    return body


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, str) or not body.strip():
        raise BadRequest('body must be a JSON object such as {"category": "book", "quantity": 1}')
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as error:  # malformed, or nested deeper than 1024 levels
        raise BadRequest(f"body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise BadRequest(f"body must be a JSON object, not {type(parsed).__name__}")
    return parsed


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": orjson.dumps(body).decode(),
    }
