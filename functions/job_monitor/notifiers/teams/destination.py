"""Microsoft Teams as a notifier destination: its renderers (Adaptive Cards) per message type,
and delivery to a Workflows webhook (``webhook``, standard library only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from job_monitor.config import NotifierSettings
from job_monitor.contracts.envelope import DIGEST, OVERDUE, TRANSITION
from job_monitor.contracts.overdue import OverdueNotice
from job_monitor.contracts.transition import Notification
from job_monitor.digest.build import Digest
from job_monitor.notifiers.destination import DeliveryReport, DestinationType
from job_monitor.notifiers.teams.cards import TeamsMessage, teams_card
from job_monitor.notifiers.teams.digest_card import teams_digest_card
from job_monitor.notifiers.teams.overdue_card import teams_overdue_card

if TYPE_CHECKING:
    from ssl import SSLContext

    from job_monitor.notifiers.webhook_url import RetryPolicy

TEAMS = "teams"


def render_transition(notification: Notification, settings: NotifierSettings) -> TeamsMessage:
    """A transition as an Adaptive Card (``cards.teams_card``); the mention setting is Slack's."""
    del settings
    return teams_card(notification)


def render_digest(digest: Digest, settings: NotifierSettings) -> TeamsMessage:
    """The digest as an Adaptive Card (``digest_card.teams_digest_card``)."""
    del settings
    return teams_digest_card(digest)


def render_overdue(notice: OverdueNotice, settings: NotifierSettings) -> TeamsMessage:
    """An overdue or expiring job as an Adaptive Card (``overdue_card.teams_overdue_card``)."""
    del settings
    return teams_overdue_card(notice)


class TeamsDestination:
    """Posts ``TeamsMessage`` payloads to a Teams Workflows webhook with ``webhook.TeamsWebhook``:
    bounded retries under ``policy``, waits through ``sleep``, no redirect followed."""

    type_name = TEAMS

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: SSLContext | None = None,
    ) -> None:
        self._policy = policy
        self._sleep = sleep
        self._ssl_context = ssl_context

    def validate_url(self, value: object) -> str:
        """``webhook.validate_webhook_url``: an https URL with a host; raises
        ``WebhookConfigError`` (a ValueError) that never quotes the value."""
        from job_monitor.notifiers.teams.webhook import validate_webhook_url  # noqa: PLC0415 - lazy

        return validate_webhook_url(value)

    def deliver(self, url: str, payload: TeamsMessage) -> DeliveryReport:
        """Returns only when the webhook itself answered a 2xx. Raises ``TeamsDeadWebhookError``
        (a ``destination.DeadUrlError``) for a dead-URL answer (``webhook.DEAD_URL``), on which
        the notifier re-reads the secret once; ``TeamsDeliveryError`` otherwise."""
        from job_monitor.notifiers.teams.webhook import TeamsWebhook  # noqa: PLC0415 - lazy

        webhook = TeamsWebhook(
            url, policy=self._policy, sleep=self._sleep, ssl_context=self._ssl_context
        )
        return webhook.post(payload.as_payload())


TEAMS_TYPE = DestinationType(
    name=TEAMS,
    label="Teams",
    renderers={TRANSITION: render_transition, DIGEST: render_digest, OVERDUE: render_overdue},
    build=TeamsDestination,
)
"""Teams' row in ``notifiers.registry.DESTINATIONS``."""
