"""Microsoft Teams as a notifier destination: its renderers (Adaptive Cards) per message type,
and delivery to a Workflows webhook (``webhook``, standard library only)."""

from __future__ import annotations

from job_monitor.config import NotifierSettings
from job_monitor.contracts.envelope import DIGEST, OVERDUE, TRANSITION
from job_monitor.contracts.overdue import OverdueNotice
from job_monitor.contracts.transition import Notification
from job_monitor.digest.build import Digest
from job_monitor.notifiers.destination import DestinationType
from job_monitor.notifiers.teams.cards import TeamsMessage, teams_card
from job_monitor.notifiers.teams.digest_card import teams_digest_card
from job_monitor.notifiers.teams.overdue_card import teams_overdue_card
from job_monitor.notifiers.webhook_url import Transport, WebhookDestination

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


class TeamsDestination(WebhookDestination):
    """Posts ``TeamsMessage`` payloads to a Teams Workflows webhook with ``webhook.TeamsWebhook``
    (``webhook_url.WebhookDestination``: bounded retries under ``policy``, waits through
    ``sleep``, no redirect followed). ``deliver`` raises ``TeamsDeadWebhookError`` (a
    ``destination.DeadUrlError``) for a dead-URL answer (``webhook.DEAD_URL``),
    ``TeamsDeliveryError`` otherwise."""

    type_name = TEAMS

    def _transport(self) -> Transport:
        from job_monitor.notifiers.teams import webhook  # noqa: PLC0415 - lazy

        return Transport(
            webhook.validate_webhook_url, webhook.TeamsWebhook, TeamsMessage.as_payload
        )


TEAMS_TYPE = DestinationType(
    name=TEAMS,
    label="Teams",
    renderers={TRANSITION: render_transition, DIGEST: render_digest, OVERDUE: render_overdue},
    build=TeamsDestination,
)
"""Teams' row in ``notifiers.registry.DESTINATIONS``."""
