"""The API's routes: the one list that ApiStack deploys and that both the resource
policy and the client role are scoped to, route by route."""

from __future__ import annotations

import re
from dataclasses import dataclass

PATH_PARAMETER = re.compile(r"\{[^/]+\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    @property
    def arn_suffix(self) -> str:
        """The METHOD/path part of an execute-api ARN, path parameters as wildcards."""
        return f"{self.method}{PATH_PARAMETER.sub('*', self.path)}"


ROUTES = (
    Route("GET", "/"),
    Route("GET", "/orders/{id}"),
    Route("POST", "/orders"),
)
