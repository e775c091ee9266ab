"""The notifier pipeline with an in-memory destination and dedupe guard (no HTTP, no AWS):
parse -> filter -> dedupe -> render -> deliver."""

from __future__ import annotations

import re
from typing import Any

import pytest

from job_monitor.config import NotifierSettings
from job_monitor.contracts import digest, transition
from job_monitor.contracts.envelope import ContractError
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from job_monitor.notifiers.pipeline import Notifier, Outcome
from job_monitor.notifiers.registry import NoRenderer
from tests.digest.test_slack_digest import _sample
from tests.notifications.conftest import make_transition
from tests.notifications.support import MemoryDedupe, MemoryDestination

URL = "https://chat.example/hook"


class Secret:
    """Counts reads, to show the secret is read only to deliver."""

    def __init__(self, value: object = URL) -> None:
        self.value = value
        self.reads = 0

    def __call__(self) -> object:
        self.reads += 1
        return self.value


def _notifier(
    destination: MemoryDestination,
    *,
    secret: Secret | None = None,
    dedupe: MemoryDedupe | None = None,
    pattern: str | None = None,
    renderers: Any = None,
) -> Notifier:
    settings = NotifierSettings(
        secret_arn="arn:aws:secretsmanager:x",
        idempotency_table_name="t",
        job_name_pattern=re.compile(pattern) if pattern else None,
    )
    extra = {"renderers": renderers} if renderers is not None else {}
    return Notifier(
        settings=settings,
        destination=destination,
        webhook_url=secret or Secret(),
        dedupe=dedupe or MemoryDedupe(),
        **extra,
    )


def _body(name: str = "prod-nightly", status: str = "Failed") -> str:
    return transition.render(make_transition(BATCH_INFERENCE, status, name=name)).body


def test_a_message_goes_through_every_step_once() -> None:
    # Given a destination "chat" with its own renderer that records what it was handed
    seen: list[tuple[str, Any]] = []

    def render(message: Any, settings: NotifierSettings) -> dict[str, str]:
        seen.append((type(message).__name__, settings.job_name_pattern))
        return {"text": f"{message.status}: {message.job_name}"}

    destination = MemoryDestination("chat")
    secret = Secret()
    notifier = _notifier(destination, secret=secret, renderers={("transition", "chat"): render})

    # When one transition arrives twice
    first = notifier.handle("m1", _body())
    second = notifier.handle("m2", _body())

    # Then it was parsed (a Notification), rendered once, delivered once to the URL from the
    # secret, and the copy is a duplicate that neither read the secret nor rendered
    assert (first.outcome, second.outcome) == (Outcome.POSTED, Outcome.DUPLICATE)
    assert first.dedupe_id == second.dedupe_id == transition.parse(_body()).dedupe_id
    assert first.attempts == 1
    assert seen == [("Notification", None)]
    assert destination.deliveries == [(URL, {"text": "Failed: prod-nightly"})]
    assert secret.reads == 1


def test_a_name_outside_the_pattern_is_filtered_before_anything_else() -> None:
    destination, secret, dedupe = MemoryDestination(), Secret(), MemoryDedupe()
    notifier = _notifier(destination, secret=secret, dedupe=dedupe, pattern="^prod-")
    result = notifier.handle("m1", _body(name="dev-experiment"))
    assert result.outcome is Outcome.FILTERED
    assert (destination.deliveries, secret.reads, dedupe.done) == ([], 0, set())


def test_a_digest_is_never_filtered_by_name() -> None:
    destination = MemoryDestination()
    notifier = _notifier(destination, pattern="^prod-")
    result = notifier.handle("m1", digest.render_digest(_sample()).body)
    assert result.outcome is Outcome.POSTED
    assert len(destination.posted) == 1


def test_a_failed_delivery_raises_and_leaves_no_dedupe_record_so_a_retry_delivers() -> None:
    # Given a destination that is down
    dedupe = MemoryDedupe()
    down = MemoryDestination(fail_with=ConnectionError("webhook down"))
    # When a message arrives / Then the delivery error propagates and nothing is recorded
    with pytest.raises(ConnectionError, match="webhook down"):
        _notifier(down, dedupe=dedupe).handle("m1", _body())
    assert dedupe.done == set()
    # When the destination recovers and the same message is retried / Then it is delivered
    up = MemoryDestination()
    assert _notifier(up, dedupe=dedupe).handle("m1", _body()).outcome is Outcome.POSTED
    assert len(up.posted) == 1


def test_a_bad_webhook_secret_fails_the_record_through_the_destinations_validation() -> None:
    dedupe = MemoryDedupe()
    with pytest.raises(ValueError, match="not an https URL"):
        _notifier(MemoryDestination(), secret=Secret("http://x"), dedupe=dedupe).handle(
            "m1", _body()
        )
    assert dedupe.done == set()


def test_a_message_type_without_renderer_fails_clearly_and_records_nothing() -> None:
    dedupe = MemoryDedupe()
    notifier = _notifier(MemoryDestination("chat"), dedupe=dedupe, renderers={})
    with pytest.raises(NoRenderer, match="'transition' to destination 'chat'"):
        notifier.handle("m1", _body())
    assert dedupe.done == set()


def test_a_batch_isolates_failures_per_record() -> None:
    # Given a good body, a body that is not the contract and an empty record
    destination = MemoryDestination()
    good = transition.render(make_transition(MODEL_CUSTOMIZATION, "Completed")).body
    # When they arrive together
    batch = _notifier(destination).handle_all([("bad", "[1]"), ("none", None), ("good", good)])
    # Then the good one was delivered and each failure says what was wrong
    assert [r.outcome for r in batch.results] == [Outcome.FAILED, Outcome.FAILED, Outcome.POSTED]
    assert [type(e) for e in batch.errors] == [ContractError, ContractError]
    assert "not an object" in (batch.failed[0].error or "")
    assert "no message body" in (batch.failed[1].error or "")
    assert len(destination.posted) == 1
