"""What a notifier delivers to: a destination (one chat service) and its renderers.

A destination type (Slack today; Microsoft Teams would be the next) is one ``DestinationType``:
its name, one renderer per message type (``contracts.messages.MESSAGE_TYPES``), and how to build
its delivery. Its folder (``notifiers/slack/``) holds everything specific to it; the pipeline
(``notifiers.pipeline``) only sees these shapes, and ``notifiers.registry`` lists the types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from job_monitor.config import NotifierSettings

Renderer = Callable[[Any, NotifierSettings], Any]
"""Typed message (``Notification``, ``Digest``...) and the notifier's settings -> the payload the
destination delivers (for Slack a ``SlackMessage``). Pure; raises nothing for any parsed message."""


@dataclass(frozen=True)
class DeliveryReport:
    """How one delivery went: the HTTP ``status_code`` that accepted it, the number of HTTP
    ``attempts`` (1 = no retry) and each wait before a retry, in seconds (``waits``)."""

    status_code: int
    attempts: int
    waits: tuple[float, ...] = ()


class Destination(Protocol):
    """One chat service a notifier posts to.

    ``type_name`` keys the renderer table (``notifiers.registry.RENDERERS``) and names the service
    in logs ("slack"); it is also the prefix of the dedupe records (``<type_name>-notifier``).
    """

    @property
    def type_name(self) -> str: ...

    def validate_url(self, value: object) -> str:
        """The webhook URL from the secret's value, stripped. Raises ValueError saying what is
        wrong with it without ever quoting it (the URL is the credential)."""
        ...

    def deliver(self, url: str, payload: Any) -> DeliveryReport:
        """Post one rendered ``payload`` to ``url`` (already validated), retrying within the
        destination's own budget. Raises (never returns a failure) when it was not accepted; the
        exception message never contains the URL."""
        ...


@dataclass(frozen=True)
class DestinationType:
    """One row of the destination registry.

    ``renderers``: message type (``envelope.TRANSITION``, ``envelope.DIGEST``...) -> renderer.
    ``build``: the destination with its real delivery (HTTP client imported lazily by it).
    """

    name: str
    """The type name (``slack``): keys the renderer table, names the function's service."""
    label: str
    """How people and metric names call it (``Slack``: ``SlackPosted``...)."""
    renderers: Mapping[str, Renderer]
    build: Callable[[], Destination]
