"""The digest handler wired to the simulated account (its environment, clients and clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from job_monitor.handlers import digest as digest_handler
from sim.local import REGION, TABLE_NAME, LocalAccount
from tests.fakes.lambda_context import FakeLambdaContext


@pytest.fixture
def handler_on(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Any], dict[str, Any]]]:
    """Invoke the digest handler with an event, as Lambda would (a fake context of a 60 s
    invocation), with the environment the stack sets and clients pointed at the account."""
    env = {
        "STATE_TABLE_NAME": TABLE_NAME,
        "TOPIC_ARN": account.topic_arn,
        "AWS_REGION": REGION,
        "MESSAGE_FORMAT": "json",
        "POWERTOOLS_METRICS_NAMESPACE": "BedrockJobMonitor",
        "POWERTOOLS_SERVICE_NAME": "bedrock-job-monitor-digest",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    digest_handler._settings.cache_clear()
    monkeypatch.setattr(
        digest_handler,
        "_clients",
        lambda: {"dynamodb": account.clients["dynamodb"], "sns": account.clients["sns"]},
    )
    monkeypatch.setattr(digest_handler, "utc_now", account.clock)
    context = FakeLambdaContext(function_name="digest")
    yield lambda event: digest_handler.handler(event, context)
    digest_handler._settings.cache_clear()
