"""Slack as a notifier destination: its renderers (Block Kit) per message type, and delivery to an
incoming webhook. The webhook module (slack_sdk) is imported on the first delivery, not here."""

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
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from job_monitor.notifiers.slack.overdue_blocks import slack_overdue_message

if TYPE_CHECKING:
    from ssl import SSLContext

    from job_monitor.notifiers.webhook_url import RetryPolicy

SLACK = "slack"


def render_transition(notification: Notification, settings: NotifierSettings) -> SlackMessage:
    """A transition in Block Kit, with ``settings.mention`` on Failed (``blocks.slack_message``)."""
    return slack_message(notification, mention=settings.mention)


def render_digest(digest: Digest, settings: NotifierSettings) -> SlackMessage:
    """The digest in Block Kit, posted whole (``digest_blocks.slack_digest_message``)."""
    del settings
    return slack_digest_message(digest)


def render_overdue(notice: OverdueNotice, settings: NotifierSettings) -> SlackMessage:
    """An overdue or expiring job in Block Kit (``overdue_blocks.slack_overdue_message``); no
    mention (nothing has failed yet)."""
    del settings
    return slack_overdue_message(notice)


class SlackDestination:
    """Posts ``SlackMessage`` payloads to a Slack (or Slack-compatible) incoming webhook with
    ``webhook.SlackWebhook``: bounded retries under ``policy``, waits through ``sleep``, no
    redirect followed."""

    type_name = SLACK

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
        from job_monitor.notifiers.slack.webhook import validate_webhook_url  # noqa: PLC0415 - lazy

        return validate_webhook_url(value)

    def deliver(self, url: str, payload: SlackMessage) -> DeliveryReport:
        """Returns only when the webhook itself answered a 2xx. Raises
        ``SlackDeadWebhookError`` (a ``destination.DeadUrlError``) for an answer that says the URL
        is dead (``webhook.DEAD_URL``: any 3xx, 404, 410, 403 ``invalid_token``), on which the
        notifier re-reads the secret once; ``SlackDeliveryError`` when the webhook did not accept
        it within the budget for any other reason."""
        from job_monitor.notifiers.slack.webhook import SlackWebhook  # noqa: PLC0415 - lazy

        webhook = SlackWebhook(
            url, policy=self._policy, sleep=self._sleep, ssl_context=self._ssl_context
        )
        return webhook.post(payload)


SLACK_TYPE = DestinationType(
    name=SLACK,
    label="Slack",
    renderers={
        TRANSITION: render_transition,
        DIGEST: render_digest,
        OVERDUE: render_overdue,
    },
    build=SlackDestination,
)
"""Slack's row in ``notifiers.registry.DESTINATIONS``."""
