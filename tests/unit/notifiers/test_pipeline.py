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
from job_monitor.notifiers.destination import DeadUrlError, DeliveryError, NotDelivered
from job_monitor.notifiers.pipeline import Notifier, Outcome
from job_monitor.notifiers.registry import NoRenderer
from tests.digest.test_slack_digest import _sample
from tests.notifications.conftest import make_transition
from tests.notifications.support import MemoryDedupe, MemoryDestination

URL = "https://chat.example/hook"


class Secret:
    """Counts reads, to show the secret is read only to deliver. Caches like a warm
    ``SecretWebhookUrl``: a call answers the cached value (the first one) until ``fresh()`` reads
    the store (``value``, which ``put`` replaces, as an operator does) and caches it."""

    def __init__(self, value: object = URL) -> None:
        self.value = value
        self.cached = value
        self.reads = 0
        self.fresh_reads = 0

    def __call__(self) -> object:
        self.reads += 1
        return self.cached

    def fresh(self) -> object:
        self.fresh_reads += 1
        self.cached = self.value
        return self.value

    def put(self, value: object) -> None:
        self.value = value


def _notifier(
    destination: MemoryDestination,
    *,
    secret: Any = None,
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


# -- a delivery counts only on a 2xx; a dead URL re-reads the secret once (issue 12) ----------

NEW_URL = "https://chat.example/new-hook"


def _dead(url: str = URL) -> dict[str, Exception]:
    return {url: DeadUrlError("HTTP 404 ('no_service')")}


def test_a_report_that_is_not_a_2xx_is_not_delivered_and_leaves_no_record() -> None:
    # Given a destination that (wrongly) returns a report for a redirect instead of raising
    dedupe = MemoryDedupe()
    redirected = MemoryDestination(status_code=302)
    # When a message arrives / Then it is not counted as delivered, and nothing is recorded
    with pytest.raises(NotDelivered, match="HTTP 302"):
        _notifier(redirected, dedupe=dedupe).handle("m1", _body())
    assert dedupe.done == set()


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_report_is_delivered(status: int) -> None:
    result = _notifier(MemoryDestination(status_code=status)).handle("m1", _body())
    assert result.outcome is Outcome.POSTED


def test_a_dead_url_with_a_replaced_secret_is_delivered_to_the_new_url_at_once() -> None:
    # Given a warm notifier whose cached secret holds URL A, and A is dead
    secret, dedupe = Secret(URL), MemoryDedupe()
    destination = MemoryDestination(fail_for=_dead(URL))
    notifier = _notifier(destination, secret=secret, dedupe=dedupe)
    with pytest.raises(DeadUrlError):
        notifier.handle("m1", _body())
    # When the operator puts URL B in the secret and the same record is retried (cache warm)
    secret.put(NEW_URL)
    result = notifier.handle("m1", _body())
    # Then A answered dead, the secret was re-read once, and the message went to B
    assert result.outcome is Outcome.POSTED
    assert destination.attempted == [URL, URL, NEW_URL]
    assert [url for url, _ in destination.deliveries] == [NEW_URL]
    assert (secret.reads, secret.fresh_reads) == (2, 2)
    # And the next message goes to B straight away, with no extra read
    assert notifier.handle("m2", _body(status="Completed")).outcome is Outcome.POSTED
    assert destination.attempted[-1] == NEW_URL
    assert (secret.reads, secret.fresh_reads) == (3, 2)


def test_a_dead_url_with_the_secret_unchanged_reads_once_more_then_fails() -> None:
    secret, dedupe = Secret(URL), MemoryDedupe()
    destination = MemoryDestination(fail_for=_dead(URL))
    with pytest.raises(DeadUrlError, match="no_service") as caught:
        _notifier(destination, secret=secret, dedupe=dedupe).handle("m1", _body())
    assert (secret.reads, secret.fresh_reads) == (1, 1)
    assert destination.attempted == [URL]
    assert dedupe.done == set()
    assert any("still holds the same URL" in note for note in caught.value.__notes__)


def test_a_dead_url_whose_replacement_is_dead_too_fails_after_one_delivery_each() -> None:
    secret = Secret(URL)
    destination = MemoryDestination(fail_for={**_dead(URL), **_dead(NEW_URL)})
    notifier = _notifier(destination, secret=secret)
    secret.put(NEW_URL)
    with pytest.raises(DeadUrlError):
        notifier.handle("m1", _body())
    assert destination.attempted == [URL, NEW_URL]
    assert secret.fresh_reads == 1


def test_a_healthy_post_and_a_failure_that_is_not_a_dead_url_never_re_read_the_secret() -> None:
    secret = Secret(URL)
    _notifier(MemoryDestination(), secret=secret).handle("m1", _body())
    down = MemoryDestination(fail_with=DeliveryError("HTTP 500 after 4 attempt(s)"))
    with pytest.raises(DeliveryError, match="HTTP 500"):
        _notifier(down, secret=secret).handle("m2", _body())
    assert (secret.reads, secret.fresh_reads) == (2, 0)


def test_a_replacement_that_is_not_a_url_fails_with_the_destinations_validation() -> None:
    secret, dedupe = Secret(URL), MemoryDedupe()
    notifier = _notifier(MemoryDestination(fail_for=_dead(URL)), secret=secret, dedupe=dedupe)
    secret.put("http://not-https")
    with pytest.raises(ValueError, match="not an https URL") as caught:
        notifier.handle("m1", _body())
    assert isinstance(caught.value.__context__, DeadUrlError)
    assert dedupe.done == set()


def test_a_failed_re_read_lets_the_dead_url_error_stand() -> None:
    class FlakySecret(Secret):
        def fresh(self) -> object:
            raise ConnectionError("Secrets Manager unreachable")

    with pytest.raises(DeadUrlError) as caught:
        _notifier(MemoryDestination(fail_for=_dead(URL)), secret=FlakySecret(URL)).handle(
            "m1", _body()
        )
    assert any("ConnectionError" in note for note in caught.value.__notes__)


def test_a_plain_callable_secret_is_re_read_by_calling_it_again() -> None:
    values = iter([URL, NEW_URL])
    destination = MemoryDestination(fail_for=_dead(URL))
    notifier = _notifier(destination, secret=lambda: next(values))
    assert notifier.handle("m1", _body()).outcome is Outcome.POSTED
    assert destination.attempted == [URL, NEW_URL]


def test_a_digest_to_a_dead_url_re_reads_the_secret_like_a_transition() -> None:
    secret = Secret(URL)
    destination = MemoryDestination(fail_for=_dead(URL))
    notifier = _notifier(destination, secret=secret)
    secret.put(NEW_URL)
    assert notifier.handle("m1", digest.render_digest(_sample()).body).outcome is Outcome.POSTED
    assert destination.attempted == [URL, NEW_URL]
