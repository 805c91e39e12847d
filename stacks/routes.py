"""The API's routes: the one list that ApiStack deploys and that both the resource
policy and the client role are scoped to, route by route."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aws_cdk import aws_apigateway as apigateway

PATH_PARAMETER = re.compile(r"\{[^/]+\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # API Gateway rejects a body that does not match, before the backend runs.
    body_schema: apigateway.JsonSchema | None = field(default=None, compare=False)

    @property
    def arn_suffix(self) -> str:
        """The METHOD/path part of an execute-api ARN, path parameters as wildcards."""
        return f"{self.method}{PATH_PARAMETER.sub('*', self.path)}"


NEW_ORDER = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    title="NewOrder",
    type=apigateway.JsonSchemaType.OBJECT,
    required=["category"],
    additional_properties=False,
    properties={
        "category": apigateway.JsonSchema(type=apigateway.JsonSchemaType.STRING, min_length=1, max_length=64),
        "quantity": apigateway.JsonSchema(type=apigateway.JsonSchemaType.INTEGER, minimum=1, maximum=1000),
    },
)

ROUTES = (
    Route("GET", "/"),
    Route("GET", "/orders/{id}"),
    Route("POST", "/orders", body_schema=NEW_ORDER),
)
