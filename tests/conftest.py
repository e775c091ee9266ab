"""Shared fixtures: an embedded simulated account (moto + the Bedrock simulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sim.local import LocalAccount, local_account


@pytest.fixture
def account() -> Iterator[LocalAccount]:
    with local_account() as acct:
        yield acct
