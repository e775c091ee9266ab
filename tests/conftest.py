"""Shared fixtures: an embedded simulated account (moto + the Bedrock simulator), and the
environment every test that builds boto3 clients itself needs (fake credentials, one region)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sim.local import LocalAccount, local_account
from tests.fakes.lambda_context import REGION


@pytest.fixture
def account() -> Iterator[LocalAccount]:
    with local_account() as acct:
        yield acct


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and the test region, so boto3 clients built by the code under test (or
    by moto's decorators) never look for a real account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "1",
    }.items():
        monkeypatch.setenv(key, value)
