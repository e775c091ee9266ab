"""What a notifier delivers to: a destination (one chat service) and its renderers.

A destination type (Slack today; Microsoft Teams would be the next) is one ``DestinationType``:
its name, one renderer per message type (``contracts.messages.MESSAGE_TYPES``), and how to build
its delivery. Its folder (``notifiers/slack/``) holds everything specific to it; the pipeline
(``notifiers.pipeline``) only sees these shapes, and ``notifiers.registry`` lists the types.

**When a delivery counts as delivered.** Only when the destination's service answered the POST
itself with a 2xx that it accepted. A destination's transport must never follow a redirect: a 3xx
answer to the POST (301, 302, 303, 307, 308) is a ``DeadUrlError`` naming the status and the
host of its ``Location`` (``redirect_host``), never the path or query (the webhook URL is the
credential). HTTP stacks follow 301/302/303 with a bodyless GET by default (urllib does, and so
slack_sdk's ``WebhookClient``), and a landing page's ``200`` would otherwise be taken for an
accepted message and recorded as done by the dedupe guard. The pipeline checks the reported
``DeliveryReport.status_code`` as well (``NotDelivered`` for anything but a 2xx).

**A dead URL.** ``deliver`` raises ``DeadUrlError`` (a ``DeliveryError``) when the answer says
that the URL itself is gone, revoked or moved, as opposed to the message being refused or the
service being down. The pipeline then re-reads the secret once, bypassing its cache, and if the
value changed delivers once to the new URL before failing (an operator who replaced the URL
does not wait for the cache to expire); if it did not change the error stands. Each destination
documents its own set of dead-URL answers (Slack's: ``notifiers.slack.webhook.DEAD_URL``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from job_monitor.config import NotifierSettings

Renderer = Callable[[Any, NotifierSettings], Any]
"""Typed message (``Notification``, ``Digest``...) and the notifier's settings -> the payload the
destination delivers (for Slack a ``SlackMessage``). Pure; raises nothing for any parsed message."""


@dataclass(frozen=True)
class DeliveryReport:
    """How one delivery went: the HTTP ``status_code`` that accepted it (a 2xx: the pipeline
    raises ``NotDelivered`` for any other), the number of HTTP
    ``attempts`` (1 = no retry) and each wait before a retry, in seconds (``waits``)."""

    status_code: int
    attempts: int
    waits: tuple[float, ...] = ()


class DeliveryError(RuntimeError):
    """The destination did not accept the message (an HTTP error, a redirect, the retries spent,
    the service unreachable). The message names the status and why, never the URL. Any other
    exception from ``deliver`` fails the record the same way; this base lets callers tell a
    delivery failure from a bug."""


class DeadUrlError(DeliveryError):
    """The answer says the webhook URL itself is dead (revoked, deleted, archived, moved): a
    retry to the same URL cannot succeed, a new URL in the secret can. What counts as dead is the
    destination's to say (from its service's documented error answers) and is documented next to
    its transport; every destination counts a 3xx answer to the POST as dead (its URL moved or
    answers with a web page). The pipeline reacts by re-reading the secret once (see the module
    docstring)."""


class NotDelivered(DeliveryError):
    """A destination reported a delivery whose status is not a 2xx (a destination bug: its
    ``deliver`` must raise instead); the pipeline refuses to count it as delivered."""


def redirect_host(url: str, location: str | None) -> str:
    """The host a redirect from ``url`` points to, for an error message: ``Location`` resolved
    against ``url`` (a relative ``Location: /`` is the webhook's own host), only its host name
    (``"<no Location>"`` when absent, ``"<no host>"`` when it has none). Never the path or query,
    which may hold the secret."""
    if not location:
        return "<no Location>"
    try:
        host = urlsplit(urljoin(url, location.strip())).hostname
    except ValueError:
        return "<unreadable Location>"
    return host or "<no host>"


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
        destination's own budget, without following redirects. Returns only for a 2xx the
        service accepted. Raises (never returns a failure) when it was not accepted: a
        ``DeadUrlError`` when the answer says the URL is dead (any 3xx included), else a
        ``DeliveryError``; the exception message never contains the URL's path or query."""
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
