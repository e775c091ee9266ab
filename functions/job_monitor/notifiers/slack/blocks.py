"""Slack Block Kit rendering of one transition (``contracts.transition.Notification``). Pure and
table-driven: no I/O, no settings (the mention is an argument).

User text is escaped and cut by the rules of ``mrkdwn``. Block Kit has no colour bar outside legacy
attachments, so the colour of a status is carried by its emoji (``STATUS_STYLES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.text import clean_lines, code_text, optional_facts
from job_monitor.contracts.transition import Notification
from job_monitor.domain.kinds import REGISTRY
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    SECTION_TEXT_LIMIT,
    URL_LIMIT,
    clip,
    code_span,
    escape,
    mrkdwn,
    shorten_escaped,
    shorten_plain,
    single_line,
    slack_date,
)

NAME_LIMIT = 200
"""Longest job name shown in full: Bedrock allows 63 characters; more is someone being creative."""
MODEL_LIMIT = 300


@dataclass(frozen=True)
class StatusStyle:
    emoji: str
    colour: str
    """What the emoji shows: red, green, grey, blue or amber."""
    headline: str


_RED = StatusStyle(":red_circle:", "red", "failed")
_GREEN = StatusStyle(":large_green_circle:", "green", "completed")
_GREY = StatusStyle(":white_circle:", "grey", "stopped")
_BLUE = StatusStyle(":large_blue_circle:", "blue", "is running")

STATUS_STYLES: dict[str, StatusStyle] = {
    "Failed": _RED,
    "Completed": _GREEN,
    "Stopped": _GREY,
    "Stopping": StatusStyle(":white_circle:", "grey", "is stopping"),
    "Deleting": StatusStyle(":white_circle:", "grey", "is being deleted"),
    "InProgress": _BLUE,
    "Submitted": StatusStyle(":large_blue_circle:", "blue", "was submitted"),
    "Validating": StatusStyle(":large_blue_circle:", "blue", "is validating"),
    "Scheduled": StatusStyle(":large_blue_circle:", "blue", "is scheduled"),
    "PartiallyCompleted": StatusStyle(":large_orange_circle:", "amber", "partially completed"),
    "Expired": StatusStyle(":large_orange_circle:", "amber", "expired"),
    # Long-lived resources (provisioned throughput, custom model deployments).
    "Creating": StatusStyle(":large_blue_circle:", "blue", "is being created"),
    "Updating": StatusStyle(":large_blue_circle:", "blue", "is updating"),
    "InService": StatusStyle(":large_green_circle:", "green", "is in service"),
    "Active": StatusStyle(":large_green_circle:", "green", "is active"),
}
UNKNOWN_STATUS_STYLE = StatusStyle(":white_circle:", "grey", "changed status")
MENTION_STATUSES = frozenset({"Failed"})


@dataclass(frozen=True)
class SlackMessage:
    """What is posted to the webhook: the ``text`` fallback (notifications, screen readers, clients
    without Block Kit) and the ``blocks``."""

    text: str
    blocks: list[dict[str, Any]]

    def as_payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def style_for(status: str) -> StatusStyle:
    return STATUS_STYLES.get(status, UNKNOWN_STATUS_STYLE)


def slack_message(notification: Notification, *, mention: str | None = None) -> SlackMessage:
    """Block Kit message for one notification.

    ``mention`` (``<!here>``, ``<!subteam^ID>``...) comes from trusted configuration, is not
    escaped, and is only used when the new status is Failed.
    """
    n = notification
    style = style_for(n.status)
    ping = mention if mention and n.status in MENTION_STATUSES else None
    name = shorten_escaped(single_line(n.job_name), NAME_LIMIT)

    header = shorten_plain(
        f"{style.emoji} Bedrock {single_line(_noun(n))} {style.headline}", HEADER_LIMIT
    )
    lead = f"*{name}* {_status_change(n)}"
    if ping:
        lead = f"{ping} {lead}"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "text": mrkdwn(clip(lead, SECTION_TEXT_LIMIT))},
        {"type": "section", "fields": [mrkdwn(f) for f in _fields(n)]},
    ]
    if n.failure_messages:
        blocks.append({"type": "section", "text": mrkdwn(_failure_block(n.failure_messages))})
    blocks.append({"type": "context", "elements": [mrkdwn(_context_line(n))]})
    if n.console_url and len(n.console_url) <= URL_LIMIT and n.console_url.startswith("https://"):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Bedrock console"},
                        "url": n.console_url,
                        "action_id": "open_console",
                    }
                ],
            }
        )
    return SlackMessage(text=_fallback_text(n, style, ping), blocks=blocks)


# ---------------------------------------------------------------------------------------------


def _status_change(n: Notification) -> str:
    new = escape(single_line(n.status))
    if n.previous_status is None:
        return f"is new: *{new}*"
    if n.previous_status == n.status:
        return f"was updated and is *{new}* again"
    return f"{escape(single_line(n.previous_status))} \u2192 *{new}*"


def _fields(n: Notification) -> list[str]:
    fields = [
        f"*Kind*\n{escape(single_line(n.kind_label))}",
        f"*Status*\n{escape(single_line(n.previous_status or 'new'))} \u2192 "
        f"{escape(single_line(n.status))}",
    ]
    for label, text, identifier in optional_facts(n.duration_seconds, n.base_model, n.output_model):
        fields.append(f"*{label}*\n{code_span(text, MODEL_LIMIT) if identifier else text}")
    where = " / ".join(escape(single_line(p)) for p in (n.account, n.region) if p)
    if where:
        fields.append(f"*Account / region*\n{where}")
    return [clip(f, FIELD_TEXT_LIMIT) for f in fields]


def _failure_block(messages: tuple[str, ...]) -> str:
    title = "*Failure message*" if len(messages) == 1 else "*Failure messages*"
    opening, closing = f"{title}\n```\n", "\n```"
    room = SECTION_TEXT_LIMIT - len(opening) - len(closing)
    body = "\n".join(code_text(clean_lines(m)) for m in messages)
    return opening + shorten_escaped(body, room) + closing


def _context_line(n: Notification) -> str:
    parts = []
    if n.observed_at:
        parts.append(f"Observed {slack_date(n.observed_at)}")
    if n.created_at:
        parts.append(f"created {slack_date(n.created_at)}")
    parts.append(f"ARN {code_span(n.job_arn, 400)}")
    return clip(" \u00b7 ".join(parts), SECTION_TEXT_LIMIT)


def _fallback_text(n: Notification, style: StatusStyle, ping: str | None) -> str:
    name = shorten_escaped(single_line(n.job_name), NAME_LIMIT)
    text = (
        f"{style.emoji} [Bedrock] {escape(single_line(n.status))}: {name} "
        f"({escape(single_line(n.kind_label))}), {escape(single_line(n.previous_status or 'new'))} "
        f"\u2192 {escape(single_line(n.status))}"
    )
    if ping:
        text = f"{ping} {text}"
    return clip(text, FALLBACK_TEXT_LIMIT)


def _noun(n: Notification) -> str:
    """ "customization job", "provisioned throughput": the registry's noun for a kind it knows."""
    kind = REGISTRY.get(n.kind)
    return kind.noun if kind is not None else f"{n.kind_label} job"
