"""Slack as a notifier destination: its renderers (Block Kit) per message type, and delivery to an
incoming webhook. The webhook module (slack_sdk) is imported on the first delivery, not here."""

from __future__ import annotations

from job_monitor.config import NotifierSettings
from job_monitor.contracts.envelope import DIGEST, OVERDUE, TRANSITION
from job_monitor.contracts.overdue import OverdueNotice
from job_monitor.contracts.transition import Notification
from job_monitor.digest.build import Digest
from job_monitor.notifiers.destination import DestinationType
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from job_monitor.notifiers.slack.overdue_blocks import slack_overdue_message
from job_monitor.notifiers.webhook_url import Transport, WebhookDestination

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


class SlackDestination(WebhookDestination):
    """Posts ``SlackMessage`` payloads to a Slack (or Slack-compatible) incoming webhook with
    ``webhook.SlackWebhook`` (``webhook_url.WebhookDestination``: bounded retries under
    ``policy``, waits through ``sleep``, no redirect followed). ``deliver`` raises
    ``SlackDeadWebhookError`` (a ``destination.DeadUrlError``) for an answer that says the URL is
    dead (``webhook.DEAD_URL``: any 3xx, 404, 410, 403 ``invalid_token``), ``SlackDeliveryError``
    when the webhook did not accept it within the budget for any other reason."""

    type_name = SLACK

    def _transport(self) -> Transport:
        from job_monitor.notifiers.slack import webhook  # noqa: PLC0415 - lazy (slack_sdk)

        return Transport(webhook.validate_webhook_url, webhook.SlackWebhook, _as_is)


def _as_is(message: SlackMessage) -> SlackMessage:
    return message


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
