"""Fixtures and hypothesis profiles for the reliability suite.

Hypothesis profiles (choose with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (default): 25 derandomized examples, no deadline: a few seconds, the same examples on
  every run, so CI is deterministic.
* ``long``: 500 random examples, for a soak run before a release:
  ``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/reliability/test_properties.py``
* ``debug``: like ``ci`` but without shrinking, to see a failing example at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import botocore.endpoint
import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "debug",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """botocore's retry backoffs, recorded instead of slept (retries still happen for real)."""
    recorded: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", recorded.append)
    yield recorded
