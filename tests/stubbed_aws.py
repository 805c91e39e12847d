"""A boto3 Session stand-in whose clients answer from botocore's Stubber, for the
tools that call AWS (`make smoke`, `make revoke`): no AWS needed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.stub import Stubber


class StubbedSession:
    """What the tools need of a boto3 Session: `client(name)`, each client stubbed (`stubs`)."""

    def __init__(self, *services: str) -> None:
        self.clients = {
            name: boto3.client(name, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
            for name in services
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, name: str) -> Any:
        return self.clients[name]


@contextlib.contextmanager
def stubbed_session(session: StubbedSession) -> Iterator[StubbedSession]:
    """Its stubs active meanwhile; every queued answer must have been asked for."""
    for stub in session.stubs.values():
        stub.activate()
    yield session
    for stub in session.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()
