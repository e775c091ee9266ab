"""The notifier: one SNS record in, at most one delivery out, whatever the destination.

Each record goes through five steps:

1. **parse**: the body's message type picks its contract (``contracts.messages.parse_message``);
2. **filter**: a message about a job whose name does not match ``settings.job_name_pattern`` is
   dropped (a digest is about no single job: never filtered by name);
3. **dedupe**: the rest runs inside the dedupe guard, so a ``dedupeId`` already delivered within
   the window is not delivered again;
4. **render**: the renderer of (message type, destination type) from ``notifiers.registry``;
5. **deliver**: the webhook URL is read from the secret (only now: a duplicate or a filtered
   record needs none), validated by the destination, and the payload posted. A delivery counts
   only when the destination returns a report with a 2xx status (``NotDelivered`` otherwise); a
   redirect is never followed (``destination`` module docstring). When the destination raises
   ``DeadUrlError`` (the URL itself is dead: Slack's 404 ``no_service``, a 3xx...), the secret
   is re-read once bypassing its cache; a changed value is validated and delivered to once, an
   unchanged one lets the dead-URL error stand. A healthy post reads the secret once (from the
   cache), as before.

The collaborators are ports (destination, secret reader, dedupe guard), so tests swap any of
them; ``wiring.build_notifier`` wires the real ones, whose SDKs are imported only when used,
which keeps the handler's import short (slack_sdk and the Powertools utilities that pull in boto3
cost about 0.3 s). Failures are isolated per record and reported together at the end; a failed
delivery leaves no dedupe record, so SNS's retry delivers it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from job_monitor.config import NotifierSettings
from job_monitor.contracts.envelope import ContractError
from job_monitor.contracts.messages import Message, parse_message
from job_monitor.notifiers.dedupe import DedupeGuard
from job_monitor.notifiers.destination import (
    DeadUrlError,
    DeliveryReport,
    Destination,
    NotDelivered,
    Renderer,
)
from job_monitor.notifiers.registry import RENDERERS, renderer_for
from job_monitor.notifiers.secret import RefreshableSecret


class Outcome(StrEnum):
    POSTED = "posted"
    DUPLICATE = "duplicate"
    FILTERED = "filtered"
    FAILED = "failed"


@dataclass(frozen=True)
class RecordResult:
    """What happened to one SNS record. ``attempts``: HTTP attempts of the delivery (POSTED
    only); ``error``: ``"<exception type>: <message>"`` (FAILED only)."""

    message_id: str
    outcome: Outcome
    dedupe_id: str | None = None
    error: str | None = None
    attempts: int | None = None


@dataclass(frozen=True)
class BatchResult:
    results: tuple[RecordResult, ...]
    errors: tuple[BaseException, ...] = field(default=())

    @property
    def failed(self) -> tuple[RecordResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)


def _accepted(report: DeliveryReport) -> DeliveryReport:
    """The report of a delivery the destination accepted; ``NotDelivered`` for any other status."""
    if not 200 <= report.status_code <= 299:
        raise NotDelivered(
            f"the destination reported HTTP {report.status_code}, not a 2xx: not delivered"
        )
    return report


class NotifyError(RuntimeError):
    """At least one record was not delivered; raised so SNS retries the invocation."""


class Notifier:
    """parse -> filter -> dedupe -> render -> deliver, for one destination.

    ``webhook_url`` returns the secret's value on each delivery (``SecretWebhookUrl``); if it
    also has ``fresh()`` (``secret.RefreshableSecret``) that is how it is re-read after a dead-URL
    answer, else it is called again. ``renderers`` is the (message type, destination type) table
    (``registry.RENDERERS``).
    """

    def __init__(
        self,
        *,
        settings: NotifierSettings,
        destination: Destination,
        webhook_url: Callable[[], object],
        dedupe: DedupeGuard,
        renderers: Mapping[tuple[str, str], Renderer] = RENDERERS,
    ) -> None:
        self.settings = settings
        self.destination = destination
        self._webhook_url = webhook_url
        self._dedupe = dedupe
        self._renderers = renderers

    def register_context(self, context: Any) -> None:
        self._dedupe.register_context(context)

    def handle(self, message_id: str, body: str | None) -> RecordResult:
        """One SNS message body. Raises ContractError on a body it cannot read, NoRenderer on a
        message type the destination has no renderer for, and the destination's or the secret's
        error on a failed delivery."""
        if body is None:
            raise ContractError("the SNS record has no message body")
        message = parse_message(body)
        dedupe_id = message.dedupe_id
        if not self._wanted(message):
            return RecordResult(message_id, Outcome.FILTERED, dedupe_id)
        reports: list[DeliveryReport] = []

        def render_and_deliver() -> dict[str, Any]:
            render = renderer_for(message.type.name, self.destination.type_name, self._renderers)
            payload = render(message.content, self.settings)
            reports.append(self._deliver(payload))
            return {"posted": True, "dedupeId": dedupe_id}  # what the dedupe record keeps

        _, duplicate = self._dedupe.run_once(dedupe_id, render_and_deliver)
        if duplicate:
            return RecordResult(message_id, Outcome.DUPLICATE, dedupe_id)
        attempts = reports[0].attempts if reports else None
        return RecordResult(message_id, Outcome.POSTED, dedupe_id, attempts=attempts)

    def _deliver(self, payload: Any) -> DeliveryReport:
        """The URL from the secret, validated; one delivery, and after a ``DeadUrlError`` one
        re-read of the secret and, if its value changed, one delivery to the new URL."""
        url = self.destination.validate_url(self._webhook_url())
        try:
            return _accepted(self.destination.deliver(url, payload))
        except DeadUrlError as dead:
            try:
                fresh = self._read_fresh()
            except Exception as read_error:
                dead.add_note(
                    f"re-reading the webhook secret after the dead-URL answer failed: "
                    f"{type(read_error).__name__}"
                )
                raise dead from None
            # A replaced value that is not a usable URL fails here with the destination's
            # validation error (the dead-URL error is its context).
            new_url = self.destination.validate_url(fresh)
            if new_url == url:
                dead.add_note("the webhook secret was re-read: it still holds the same URL")
                raise
            return _accepted(self.destination.deliver(new_url, payload))

    def _read_fresh(self) -> object:
        source = self._webhook_url
        if isinstance(source, RefreshableSecret):
            return source.fresh()
        return source()

    def _wanted(self, message: Message) -> bool:
        pattern = self.settings.job_name_pattern
        name = message.job_name
        return pattern is None or name is None or pattern.search(name) is not None

    def handle_all(self, records: Iterable[tuple[str, str | None]]) -> BatchResult:
        """Every ``(message_id, body)``; a failure does not stop the others."""
        results: list[RecordResult] = []
        errors: list[BaseException] = []
        for message_id, body in records:
            try:
                results.append(self.handle(message_id, body))
            except Exception as exc:
                errors.append(exc)
                results.append(
                    RecordResult(message_id, Outcome.FAILED, error=f"{type(exc).__name__}: {exc}")
                )
        return BatchResult(tuple(results), tuple(errors))
