"""Your API, declared once (SERVICE): its routes, the one list that ApiStack deploys
and that the resource policy, the client role and the invoker role are scoped to,
route by route; the health route that `make smoke` calls; and the backend's code.

To make the app your API, change SERVICE here and the backend's code in
lambda_src/<backend>/, and set the context key `service_name` (README: "Adapt it to
your API"). Everything else follows from them, the tests included.
"""

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


@dataclass(frozen=True)
class Backend:
    """The backend's code: lambda_src/<source>/handler.py (its `handler`), and the
    packages of lambda_src/<source>/requirements.txt, if it has one, bundled for
    Lambda's platform (pinned with hashes; `make setup` fetches them). The context key
    `backend_function_arn` replaces it with an existing function."""

    source: str


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

@dataclass(frozen=True)
class Service:
    """`routes`, and `health`, one of them: a GET with no path parameter that answers
    200 to any admitted caller, which `make smoke` calls signed and unsigned (the
    example's tells who called)."""

    routes: tuple[Route, ...]
    health: Route
    backend: Backend

    def __post_init__(self) -> None:
        if self.health not in self.routes or self.health.method != "GET" or "*" in self.health.arn_suffix:
            raise ValueError(f"the health route {self.health} must be one of the routes, a GET with no path parameter")
        keys = [(route.method, route.path) for route in self.routes]
        if len(set(keys)) != len(keys):
            raise ValueError("each route (method and path) once")


SERVICE = Service(
    routes=(
        Route("GET", "/"),
        Route("GET", "/orders/{id}"),
        Route("POST", "/orders", body_schema=NEW_ORDER),
    ),
    health=Route("GET", "/"),
    backend=Backend(source="api"),
)
