"""Slack Block Kit rendering of one notification. Pure and table-driven: no I/O, no settings.

Every string that comes from a user (job name, failure message, model identifiers) passes through
``escape`` (``&``, ``<``, ``>`` -> entities) before it reaches mrkdwn, so a job named ``<!channel>``
or ``<https://evil|click>`` shows up as that text and neither pings anyone nor becomes a link.
Inside code spans and code blocks backticks are replaced as well, so text cannot close the block.
Block Kit has no colour bar outside legacy attachments, so the colour of a status is carried by its
emoji.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from job_monitor.contracts.transition import Notification, clean_lines, human_duration, one_line
from job_monitor.domain.kinds import REGISTRY

HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
URL_LIMIT = 3000
FALLBACK_TEXT_LIMIT = 3000
NAME_LIMIT = 200
"""Longest job name shown in full: Bedrock allows 63 characters; more is someone being creative."""
MODEL_LIMIT = 300
ELLIPSIS = "..."
BACKTICK_STANDIN = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT: looks like a backtick, is not one


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
_AMBER = StatusStyle(":large_orange_circle:", "amber", "needs a look")

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
    name = _shorten_escaped(_one_line(n.job_name), NAME_LIMIT)

    header = _shorten_plain(
        f"{style.emoji} Bedrock {_one_line(_noun(n))} {style.headline}", HEADER_LIMIT
    )
    lead = f"*{name}* {_status_change(n)}"
    if ping:
        lead = f"{ping} {lead}"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "text": _mrkdwn(_clip(lead, SECTION_TEXT_LIMIT))},
        {"type": "section", "fields": [_mrkdwn(f) for f in _fields(n)]},
    ]
    if n.failure_messages:
        blocks.append({"type": "section", "text": _mrkdwn(_failure_block(n.failure_messages))})
    blocks.append({"type": "context", "elements": [_mrkdwn(_context_line(n))]})
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


def escape(text: str) -> str:
    """Slack's three control characters as entities; everything else is left alone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------


def _status_change(n: Notification) -> str:
    new = escape(_one_line(n.status))
    if n.previous_status is None:
        return f"is new: *{new}*"
    if n.previous_status == n.status:
        return f"was updated and is *{new}* again"
    return f"{escape(_one_line(n.previous_status))} \u2192 *{new}*"


def _fields(n: Notification) -> list[str]:
    fields = [
        f"*Kind*\n{escape(_one_line(n.kind_label))}",
        f"*Status*\n{escape(_one_line(n.previous_status or 'new'))} \u2192 "
        f"{escape(_one_line(n.status))}",
    ]
    duration = human_duration(n.duration_seconds)
    if duration:
        fields.append(f"*Duration*\n{duration}")
    if n.base_model:
        fields.append(f"*Base model*\n{_code_span(n.base_model, MODEL_LIMIT)}")
    if n.output_model:
        fields.append(f"*Output model*\n{_code_span(n.output_model, MODEL_LIMIT)}")
    where = " / ".join(escape(_one_line(p)) for p in (n.account, n.region) if p)
    if where:
        fields.append(f"*Account / region*\n{where}")
    return [_clip(f, FIELD_TEXT_LIMIT) for f in fields]


def _failure_block(messages: tuple[str, ...]) -> str:
    title = "*Failure message*" if len(messages) == 1 else "*Failure messages*"
    opening, closing = f"{title}\n```\n", "\n```"
    room = SECTION_TEXT_LIMIT - len(opening) - len(closing)
    body = "\n".join(clean_lines(m).replace("`", BACKTICK_STANDIN) for m in messages)
    return opening + _shorten_escaped(body, room) + closing


def _context_line(n: Notification) -> str:
    parts = []
    if n.observed_at:
        parts.append(f"Observed {_slack_date(n.observed_at)}")
    if n.created_at:
        parts.append(f"created {_slack_date(n.created_at)}")
    parts.append(f"ARN {_code_span(n.job_arn, 400)}")
    return _clip(" \u00b7 ".join(parts), SECTION_TEXT_LIMIT)


def _slack_date(value: datetime) -> str:
    """Slack date token: shown in the reader's own time zone, with the UTC text as fallback."""
    fallback = value.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _fallback_text(n: Notification, style: StatusStyle, ping: str | None) -> str:
    name = _shorten_escaped(_one_line(n.job_name), NAME_LIMIT)
    text = (
        f"{style.emoji} [Bedrock] {escape(_one_line(n.status))}: {name} "
        f"({escape(_one_line(n.kind_label))}), {escape(_one_line(n.previous_status or 'new'))} "
        f"\u2192 {escape(_one_line(n.status))}"
    )
    if ping:
        text = f"{ping} {text}"
    return _clip(text, FALLBACK_TEXT_LIMIT)


def _code_span(text: str, limit: int) -> str:
    return "`" + _shorten_escaped(_one_line(text).replace("`", BACKTICK_STANDIN), limit) + "`"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _one_line(text: str) -> str:
    """One line without control or invisible format characters (a direction override such as
    U+202E would make a name display reversed); runs of whitespace collapse when there were any."""
    cleaned = one_line(text)
    return " ".join(cleaned.split()) if cleaned != text else text


def _shorten_escaped(raw: str, limit: int) -> str:
    """Escape ``raw`` and keep the result within ``limit`` characters without cutting an entity
    in half (``&am`` would render as garbage, ``&lt`` could even let a ``<`` through)."""
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in raw:
        piece = escape(ch)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def _shorten_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _clip(text: str, limit: int) -> str:
    """Last-resort cap for text assembled from already-escaped parts: cut before any ``&``, ``<``
    or a code fence that the cut would break."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    return cut + ELLIPSIS


def _noun(n: Notification) -> str:
    """ "customization job", "provisioned throughput": the registry's noun for a kind it knows."""
    kind = REGISTRY.get(n.kind)
    return kind.noun if kind is not None else f"{n.kind_label} job"
