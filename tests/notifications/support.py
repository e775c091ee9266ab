"""Helpers shared by the tests that look at what a notifier delivers: the texts Slack shows, an
in-memory destination and dedupe guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from job_monitor.notifiers.destination import DeliveryReport
from job_monitor.notifiers.slack.blocks import SlackMessage


def slack_texts(slack: SlackMessage) -> list[str]:
    """Every text string Slack will show: the fallback and the ``text`` of every object in the
    blocks (mrkdwn and plain_text objects, button labels, ...)."""
    found = [slack.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(slack.blocks)
    return found


class MemoryDestination:
    """An in-memory notifier destination (no HTTP): records each ``(url, payload)`` it is asked to
    deliver; ``fail_with`` makes every delivery raise it instead (a webhook that is down),
    ``fail_for`` only the deliveries to one URL (a dead webhook URL beside a live one);
    ``status_code`` is the status its reports carry. ``attempted`` lists every URL delivered to,
    failed or not."""

    def __init__(
        self,
        type_name: str = "slack",
        fail_with: Exception | None = None,
        *,
        fail_for: dict[str, Exception] | None = None,
        status_code: int = 200,
    ) -> None:
        self.type_name = type_name
        self.fail_with = fail_with
        self.fail_for = dict(fail_for or {})
        self.status_code = status_code
        self.deliveries: list[tuple[str, Any]] = []
        self.attempted: list[str] = []

    @property
    def posted(self) -> list[Any]:
        """The payloads delivered, in order."""
        return [payload for _, payload in self.deliveries]

    def validate_url(self, value: object) -> str:
        if not isinstance(value, str) or not value.startswith("https://"):
            raise ValueError("the webhook secret is not an https URL")
        return value

    def deliver(self, url: str, payload: Any) -> DeliveryReport:
        self.attempted.append(url)
        if self.fail_with is not None:
            raise self.fail_with
        if url in self.fail_for:
            raise self.fail_for[url]
        self.deliveries.append((url, payload))
        return DeliveryReport(status_code=self.status_code, attempts=1)


class MemoryDedupe:
    """A dedupe guard in a set: an action that raises leaves no record (as Powertools does)."""

    def __init__(self) -> None:
        self.done: set[str] = set()

    def register_context(self, context: Any) -> None:
        del context

    def run_once(
        self, dedupe_id: str, action: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        if dedupe_id in self.done:
            return {}, True
        result = action()
        self.done.add(dedupe_id)
        return result, False
