"""The routes and the backend that stacks/routes.py declares: each mistake is named with
its route and its fix, and stops app.py without a traceback or a template; any right
declaration is accepted, and its ARN is the one API Gateway gives its requests."""

from __future__ import annotations

import dataclasses
import pathlib
import re
import sys
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from hypothesis import given, settings
from hypothesis import strategies as st

import app as cdk_app
from stacks.routes import CDK_RESERVED_SEGMENTS, METHODS, Backend, Route, RouteError, Service
from tests.background import Run, app_py, copy_project
from tests.conftest import config_from, environment_without, suite_context

HEALTH = Route("GET", "/health")
EXISTING = "arn:aws:lambda:eu-west-1:111122223333:function:inventory-backend"
# A backend folder that no project has (an adopter's own may be named anything else).
NO_SUCH_FOLDER = "no-such-backend"
FIX_THERE = ". Fix SERVICE there (docs/adapting.md shows a declaration)."


def with_routes(*routes: Route, health: Route = HEALTH, source: str = "api") -> Service:
    return Service(routes=(HEALTH, *routes), health=health, backend=Backend(source))


MISTAKES = {
    "no leading slash": (
        with_routes(Route("GET", "books/{isbn}")),
        "Route('GET', 'books/{isbn}'): the path must start with '/', such as Route('GET', '/books/{isbn}')",
    ),
    "lowercase method": (
        with_routes(Route("delete", "/books/{isbn}")),
        "Route('delete', '/books/{isbn}'): write the method in capitals, Route('DELETE', '/books/{isbn}'): a request's "
        "execute-api ARN names it so, and a policy naming 'delete' would admit none",
    ),
    "ANY": (
        with_routes(Route("ANY", "/books")),
        "Route('ANY', '/books'): ANY is not supported: a request's execute-api ARN names its own method, so the resource "
        "policy and the roles would admit no request of an ANY route. Declare a route per method, such as "
        "Route('GET', '/books')",
    ),
    "unknown method": (
        with_routes(Route("FETCH", "/books")),
        "Route('FETCH', '/books'): the method must be one of API Gateway's: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
    ),
    "unclosed parameter": (
        with_routes(Route("GET", "/books/{isbn")),
        "Route('GET', '/books/{isbn'): '{isbn' is not a path parameter: a parameter is a whole segment, a name of "
        "letters, digits, '-', '.' and '_' in braces, such as '{isbn}' (or, as the last segment, '{path+}' for the "
        "rest of the path)",
    ),
    "parameter without a name": (
        with_routes(Route("GET", "/books/{}")),
        "Route('GET', '/books/{}'): '{}' is not a path parameter: a parameter is a whole segment",
    ),
    "parameter in a segment": (
        with_routes(Route("GET", "/books/isbn-{isbn}")),
        "Route('GET', '/books/isbn-{isbn}'): 'isbn-{isbn}' is not a path parameter: a parameter is a whole segment",
    ),
    "empty segment": (
        with_routes(Route("GET", "/books//{isbn}")),
        "Route('GET', '/books//{isbn}'): the path has an empty segment ('//'): write each '/' once, "
        "Route('GET', '/books/{isbn}')",
    ),
    "trailing slash": (
        with_routes(Route("GET", "/books/")),
        "Route('GET', '/books/'): no '/' at the end of the path (only the root is '/'): Route('GET', '/books')",
    ),
    "segment CDK cannot build": (
        with_routes(Route("GET", "/books/constructor")),
        "Route('GET', '/books/constructor'): the segment 'constructor' is a name every JavaScript object has, which "
        "CDK cannot build a REST resource of: rename it",
    ),
    "dot segment": (
        with_routes(Route("GET", "/books/../authors")),
        "Route('GET', '/books/../authors'): the segment '..' is one that clients drop from a URL (RFC 3986's dot "
        "segments), so no request would reach the route: remove it",
    ),
    "character API Gateway refuses": (
        with_routes(Route("GET", "/books/~isbn")),
        "Route('GET', '/books/~isbn'): the segment '~isbn' may hold letters, digits, '-', '.' and '_' only (or be a "
        "parameter such as '{isbn}')",
    ),
    "greedy parameter before the end": (
        with_routes(Route("GET", "/files/{path+}/meta")),
        "Route('GET', '/files/{path+}/meta'): the greedy parameter '{path+}' takes the rest of the path, so it must "
        "be the last segment, such as Route('GET', '/files/{path+}')",
    ),
    "parameter twice": (
        with_routes(Route("GET", "/shelves/{id}/books/{id}")),
        "Route('GET', '/shelves/{id}/books/{id}'): the parameter 'id' appears twice: give each parameter of a path its "
        "own name (the backend gets them by name, in pathParameters)",
    ),
    "two parameters in one place": (
        with_routes(Route("GET", "/books/{isbn}"), Route("GET", "/books/{id}/reviews")),
        "Route('GET', '/books/{isbn}') and Route('GET', '/books/{id}/reviews') have different parameters after "
        "'/books', '{isbn}' and '{id}': API Gateway allows one there, so name them alike, such as '{isbn}'",
    ),
    "route twice": (
        with_routes(Route("GET", "/books"), Route("GET", "/books")),
        "Route('GET', '/books') is declared 2 times: declare each method and path once",
    ),
    "health not among the routes": (
        with_routes(health=Route("GET", "/ping")),
        "the health route Route('GET', '/ping') is not one of the routes: add it to routes, or name one of them as health",
    ),
    "health not a GET": (
        with_routes(Route("POST", "/orders"), health=Route("POST", "/orders")),
        "the health route Route('POST', '/orders') must be a GET: make smoke calls it, signed and unsigned, with GET",
    ),
    "health with a parameter": (
        with_routes(Route("GET", "/orders/{id}"), health=Route("GET", "/orders/{id}")),
        "the health route Route('GET', '/orders/{id}') has a path parameter: make smoke calls the path as it is "
        "written, so name a route without one as health",
    ),
    "no backend folder": (
        with_routes(source=NO_SUCH_FOLDER),
        f"Backend({NO_SUCH_FOLDER!r}): lambda_src/{NO_SUCH_FOLDER}/handler.py does not exist: write the backend's "
        "handler(event, context) there (or name the folder that holds it), or set the context key "
        "backend_function_arn to answer the routes with an existing function",
    ),
    "backend outside lambda_src": (
        with_routes(source="../lambda_src/api"),
        "Backend('../lambda_src/api'): the source is the name of a folder of lambda_src/ (letters, digits, '-' and '_')",
    ),
}


@pytest.mark.parametrize(("service", "expected"), MISTAKES.values(), ids=MISTAKES.keys())
def test_each_mistake_names_its_route_and_fix_and_app_py_writes_no_template(
    service: Service, expected: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The suite's configuration and an out dir of the test's own (jsii's Node process
    # started before this test, so it would not see them set in the environment).
    new_app, configured = cdk_app.new_app, cdk_app.load_config
    monkeypatch.setattr(cdk_app, "new_app", lambda: new_app(context=suite_context(), outdir=str(tmp_path)))
    monkeypatch.setattr(cdk_app, "load_config", lambda app: dataclasses.replace(configured(app), service=service))
    assert cdk_app.main() == 1
    error = capsys.readouterr().err
    assert error.startswith(f"Invalid configuration: stacks/routes.py: {expected}")
    assert error.endswith(f"{FIX_THERE}\n") and error.count("Invalid configuration") == 1
    assert not list(tmp_path.rglob("*.template.json"))


def test_every_mistake_is_named_at_once() -> None:
    service = with_routes(Route("get", "/books"), Route("GET", "books"), source=NO_SUCH_FOLDER)
    configuration = config_from()
    with pytest.raises(RouteError) as raised:
        dataclasses.replace(configuration, service=service)
    assert [mistake.split(":")[0] for mistake in raised.value.mistakes] == [
        "Route('get', '/books')",
        "Route('GET', 'books')",
        f"Backend({NO_SUCH_FOLDER!r})",
    ]


def test_an_existing_function_needs_no_backend_folder() -> None:
    config = config_from(backend_function_arn=EXISTING)
    assert dataclasses.replace(config, service=with_routes(source=NO_SUCH_FOLDER)).service.backend.source == NO_SUCH_FOLDER


def checkout_with(wrong: str) -> Callable[[pathlib.Path], None]:
    """What writes the project into a directory, with the route `wrong` added to whatever
    SERVICE it declares."""

    def checkout(directory: pathlib.Path) -> None:
        copy_project(directory, ("app.py", "stacks", "lambda_src", "tools", "cdk.json", "tests", "pytest.ini"))
        routes = directory / "stacks" / "routes.py"
        added = f"\n\nimport dataclasses\n\nSERVICE = dataclasses.replace(SERVICE, routes=(*SERVICE.routes, {wrong}))\n"
        routes.write_text(routes.read_text() + added)

    return checkout


def suite_in(checkout: Callable[[pathlib.Path], None]) -> Run:
    """The routes' tests run in the checkout, without this suite's own pytest settings."""

    def prepare(directory: pathlib.Path) -> dict[str, str]:
        checkout(directory)
        return environment_without({"PYTEST_ADDOPTS"})

    return Run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_routes.py"], prepare, timeout=120)


WRONG = 'Route("GET", "wrong/{id}")'
# Started when the session starts (tests/background.py).
BACKGROUND = {"app.py": app_py(suite_context(), checkout=checkout_with(WRONG)), "the suite": suite_in(checkout_with(WRONG))}


def test_a_wrong_declaration_stops_app_py_and_the_suite_with_its_message_and_no_traceback() -> None:
    expected = "stacks/routes.py: Route('GET', 'wrong/{id}'): the path must start with '/'"
    synth = BACKGROUND["app.py"]
    assert (synth.result.returncode, synth.result.stdout) == (1, "")
    assert synth.result.stderr.startswith(f"Invalid configuration: {expected}") and "Traceback" not in synth.result.stderr
    assert not list(synth.directory.rglob("*.template.json"))
    suite = BACKGROUND["the suite"].result
    output = suite.stdout + suite.stderr
    assert suite.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"Invalid configuration: {expected}" in output and "Traceback" not in output
    assert " passed" not in output and " failed" not in output  # no test ran


# What API Gateway accepts, as the route rules say it: fixed segments (no dot segment,
# which URLs drop, and no name CDK cannot build), parameters, a greedy one last.
NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"
NAMES = st.text(NAME_CHARACTERS, min_size=1, max_size=10)
FIXED = NAMES.filter(lambda text: text not in (".", "..") and text not in CDK_RESERVED_SEGMENTS)
VALUES = st.text(NAME_CHARACTERS + "~", min_size=1, max_size=8).filter(lambda text: text not in (".", ".."))


@st.composite
def right_routes(draw: st.DrawFn) -> Route:
    kinds = draw(st.lists(st.sampled_from(["fixed", "parameter"]), max_size=5))
    if draw(st.booleans()):
        kinds.append("greedy")
    # The position ends each parameter's name: each parameter of a path has its own.
    segments = [
        draw(FIXED) if kind == "fixed" else f"{{{draw(NAMES)}{position}{'+' if kind == 'greedy' else ''}}}"
        for position, kind in enumerate(kinds)
    ]
    return Route(draw(st.sampled_from(METHODS)), "/" + "/".join(segments))


def deployed_arn_suffix(route: Route) -> str:
    """The METHOD/path of the method's execute-api ARN, as CDK makes the REST API's resource."""
    stack = cdk.Stack(cdk.App(), "Routes")
    resource = apigateway.RestApi(stack, "Api").root.resource_for_path(route.path)
    assert resource.path == route.path
    arn = stack.resolve(resource.add_method(route.method).method_arn)
    return arn["Fn::Join"][1][-1].removeprefix("/")


def request_path(route: Route, values: st.DataObject) -> str:
    """A request to the route: each parameter given a value, a greedy one one to three segments."""
    parts = []
    for segment in route.segments:
        if segment.endswith("+}"):
            parts.extend(values.draw(st.lists(VALUES, min_size=1, max_size=3)))
        elif segment.startswith("{"):
            parts.append(values.draw(VALUES))
        else:
            parts.append(segment)
    return "/" + "/".join(parts)


def admits(arn_suffix: str, request: str) -> bool:
    """IAM's matching of a Resource: '*' stands for any characters, '/' included."""
    return re.fullmatch(".*".join(map(re.escape, arn_suffix.split("*"))), request) is not None


@settings(max_examples=60, deadline=None)
@given(route=right_routes(), values=st.data())
def test_any_right_route_is_accepted_and_its_arn_is_the_one_of_its_requests(route: Route, values: st.DataObject) -> None:
    health = Route("GET", "/")
    Service(routes=tuple(dict.fromkeys((health, route))), health=health, backend=Backend("api")).check(backend_code=True)
    assert route.arn_suffix == deployed_arn_suffix(route)
    assert apigatewayv2.HttpRouteKey.with_(route.path, apigatewayv2.HttpMethod(route.method)).key == f"{route.method} {route.path}"
    request = request_path(route, values)
    assert admits(route.arn_suffix, f"{route.method}{request}")
    other = next(method for method in METHODS if method != route.method)
    assert not admits(route.arn_suffix, f"{other}{request}")
