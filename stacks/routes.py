"""Your API, declared once (SERVICE): its routes, the one list that ApiStack deploys
and that the resource policy, the client role and the invoker role are scoped to,
route by route; the health route that `make smoke` calls; and the backend's code.

To make the app your API, change SERVICE here and the backend's code in
lambda_src/<backend>/, and set the context key `service_name` (docs/adapting.md: "Adapt it to
your API"). Everything else follows from them, the tests included.

The rules of a declaration live in Route and Service below, but they are applied when
the configuration is built (AppConfig checks its service), not when SERVICE is made:
SERVICE is made when this module is imported, where a raise would be a traceback
before app.py could say what is wrong. A mistake is a RouteError, one of the
configuration's errors, which app.py prints as a message without writing a template,
and which the test suite reports once before it runs any test (tests/conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from aws_cdk import aws_apigateway as apigateway

from stacks.context_values import ConfigError
from stacks.shared.bundling import LAMBDA_SRC

# API Gateway's methods. Not ANY: its requests carry their own method in the
# execute-api ARN, so a policy naming ANY would admit none of them.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# A path's fixed segment: what both API Gateway and CDK's REST resources accept (CDK
# refuses '~').
SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
SEGMENT_RULE = "letters, digits, '-', '.' and '_'"
# Names every JavaScript object already has: CDK (2.275) keeps a REST resource's children
# in a plain object keyed by segment, and a segment of these names fails its synth
# ("resource.resourceForPath is not a function").
CDK_RESERVED_SEGMENTS = frozenset({
    "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__", "constructor",
    "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString", "valueOf",
})  # fmt: skip
# A whole segment; greedy (`+`, the rest of the path) only as the last one.
PARAMETER = re.compile(r"\{(?P<name>[A-Za-z0-9._-]+)(?P<greedy>\+?)\}")
BACKEND_FOLDER = re.compile(r"[A-Za-z0-9_-]+")


class RouteError(ConfigError):
    """What is wrong with the routes or the backend declared here, each mistake naming
    its route and the fix. No context key is wrong, so `key` is None."""

    def __init__(self, mistakes: list[str]) -> None:
        self.key = None
        self.mistakes = tuple(mistakes)
        ValueError.__init__(
            self,
            f"stacks/routes.py: {'; '.join(mistakes)}. Fix SERVICE there "
            "(docs/adapting.md shows a declaration).",
        )


@dataclass(frozen=True)
class Route:
    """A method and a path as API Gateway deploys them: the path starts with '/' and
    has no empty segment and no trailing '/' (the root is '/'); each segment is fixed
    (letters, digits, '-', '.', '_', but not the dot segments '.' and '..') or a
    parameter, a name in braces (`{isbn}`), once per path, or as the last segment greedy
    (`{path+}`: the rest of the path)."""

    method: str
    path: str
    # API Gateway rejects a body that does not match, before the backend runs.
    body_schema: apigateway.JsonSchema | None = field(default=None, compare=False)

    @property
    def arn_suffix(self) -> str:
        """The METHOD/path part of the execute-api ARN of the route's requests, each
        parameter a '*': IAM's '*' matches '/' too, so a greedy parameter's is covered."""
        return f"{self.method}{PARAMETER.sub('*', self.path)}"

    @property
    def declared(self) -> str:
        """The route as it is written in SERVICE."""
        return f"Route({self.method!r}, {self.path!r})"

    @property
    def segments(self) -> list[str]:
        return self.path[1:].split("/") if self.path != "/" else []

    def mistake(self) -> str | None:
        """What API Gateway would refuse in the route, or this app get wrong, and the
        fix; None for a route that is right."""
        return self._method_mistake() or self._path_mistake()

    def _method_mistake(self) -> str | None:
        method = self.method
        if method in METHODS:
            return None
        spelt = method.upper() if isinstance(method, str) else None
        if spelt == "ANY":
            return (
                f"{self.declared}: ANY is not supported: a request's execute-api ARN names its own method, so the "
                "resource policy and the roles would admit no request of an ANY route. Declare a route per method, "
                f"such as Route('GET', {self.path!r})"
            )
        if spelt in METHODS:
            return (
                f"{self.declared}: write the method in capitals, Route({spelt!r}, {self.path!r}): a request's "
                f"execute-api ARN names it so, and a policy naming {method!r} would admit none"
            )
        return f"{self.declared}: the method must be one of API Gateway's: {', '.join(METHODS)}"

    def _path_mistake(self) -> str | None:
        path = self.path
        if not isinstance(path, str) or not path.startswith("/"):
            fix = f", such as Route({self.method!r}, {'/' + path!r})" if isinstance(path, str) else ""
            return f"{self.declared}: the path must start with '/'{fix}"
        if path != "/" and path.endswith("/"):
            return (
                f"{self.declared}: no '/' at the end of the path (only the root is '/'): "
                f"Route({self.method!r}, {path.rstrip('/') or '/'!r})"
            )
        segments = self.segments
        if "" in segments:
            return (
                f"{self.declared}: the path has an empty segment ('//'): write each '/' once, "
                f"Route({self.method!r}, {re.sub('/+', '/', path)!r})"
            )
        names: list[str] = []
        for position, segment in enumerate(segments, start=1):
            parameter = PARAMETER.fullmatch(segment)
            if parameter is None:
                if "{" in segment or "}" in segment:
                    return (
                        f"{self.declared}: {segment!r} is not a path parameter: a parameter is a whole segment, a "
                        f"name of {SEGMENT_RULE} in braces, such as '{{isbn}}' (or, as the last segment, "
                        "'{path+}' for the rest of the path)"
                    )
                if segment in (".", ".."):
                    return (
                        f"{self.declared}: the segment {segment!r} is one that clients drop from a URL (RFC 3986's "
                        "dot segments), so no request would reach the route: remove it"
                    )
                if not SEGMENT.fullmatch(segment):
                    return f"{self.declared}: the segment {segment!r} may hold {SEGMENT_RULE} only (or be a parameter such as '{{isbn}}')"
                if segment in CDK_RESERVED_SEGMENTS:
                    return (
                        f"{self.declared}: the segment {segment!r} is a name every JavaScript object has, which CDK "
                        "cannot build a REST resource of: rename it"
                    )
                continue
            if parameter["greedy"] and position != len(segments):
                return (
                    f"{self.declared}: the greedy parameter {segment!r} takes the rest of the path, so it must be "
                    f"the last segment, such as Route({self.method!r}, {'/'.join(['', *segments[:position]])!r})"
                )
            if parameter["name"] in names:
                return (
                    f"{self.declared}: the parameter {parameter['name']!r} appears twice: give each parameter of a "
                    "path its own name (the backend gets them by name, in pathParameters)"
                )
            names.append(parameter["name"])
        return None


@dataclass(frozen=True)
class Backend:
    """The backend's code: lambda_src/<source>/handler.py (its `handler`), and the
    packages of lambda_src/<source>/requirements.txt, if it has one, bundled for
    Lambda's platform (pinned with hashes; `make setup` fetches them). The context key
    `backend_function_arn` replaces it with an existing function."""

    source: str


@dataclass(frozen=True)
class Service:
    """`routes`, each once; `health`, one of them: a GET with no path parameter that
    answers 200 to any admitted caller, which `make smoke` calls signed and unsigned
    (the example's tells who called); and the `backend`."""

    routes: tuple[Route, ...]
    health: Route
    backend: Backend

    def check(self, *, backend_code: bool) -> None:
        """Raise a RouteError that names every mistake of the declaration (the backend's
        code only when it is deployed: `backend_function_arn` replaces it)."""
        own = [(route, route.mistake()) for route in self.routes]
        mistakes = [mistake for _, mistake in own if mistake]
        mistakes += _repeated(self.routes)
        mistakes += _sibling_parameters([route for route, mistake in own if mistake is None])
        mistakes += self._health_mistakes()
        if backend_code:
            mistakes += self._backend_mistakes()
        if mistakes:
            raise RouteError(mistakes)

    def _health_mistakes(self) -> list[str]:
        health = self.health
        if health not in self.routes:
            return [f"the health route {health.declared} is not one of the routes: add it to routes, or name one of them as health"]
        if health.mistake():
            return []  # named with the routes'
        if health.method != "GET":
            return [f"the health route {health.declared} must be a GET: make smoke calls it, signed and unsigned, with GET"]
        if "*" in health.arn_suffix:
            return [
                f"the health route {health.declared} has a path parameter: make smoke calls the path as it is "
                "written, so name a route without one as health"
            ]
        return []

    def _backend_mistakes(self) -> list[str]:
        source = self.backend.source
        if not isinstance(source, str) or not BACKEND_FOLDER.fullmatch(source):
            return [f"Backend({source!r}): the source is the name of a folder of lambda_src/ (letters, digits, '-' and '_')"]
        if not (LAMBDA_SRC / source / "handler.py").is_file():
            return [
                f"Backend({source!r}): lambda_src/{source}/handler.py does not exist: write the backend's "
                "handler(event, context) there (or name the folder that holds it), or set the context key backend_function_arn to answer the routes "
                "with an existing function"
            ]
        return []


def _repeated(routes: tuple[Route, ...]) -> list[str]:
    counts = Counter(routes)
    return [
        f"{route.declared} is declared {count} times: declare each method and path once"
        for route, count in counts.items()
        if count > 1
    ]


def _sibling_parameters(routes: list[Route]) -> list[str]:
    """API Gateway allows one parameter after a given path (a REST resource has at most
    one variable child): /orders/{id} and /orders/{number}/items cannot both be."""
    first: dict[str, tuple[str, Route]] = {}
    mistakes = []
    for route in routes:
        for position, segment in enumerate(route.segments):
            if not PARAMETER.fullmatch(segment):
                continue
            parent = "/" + "/".join(route.segments[:position])
            seen, earlier = first.setdefault(parent, (segment, route))
            if seen != segment:
                mistakes.append(
                    f"{earlier.declared} and {route.declared} have different parameters after {parent!r}, {seen!r} "
                    f"and {segment!r}: API Gateway allows one there, so name them alike, such as {seen!r}"
                )
    return mistakes


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

SERVICE = Service(
    routes=(
        Route("GET", "/"),
        Route("GET", "/orders/{id}"),
        Route("POST", "/orders", body_schema=NEW_ORDER),
    ),
    health=Route("GET", "/"),
    backend=Backend(source="api"),
)
