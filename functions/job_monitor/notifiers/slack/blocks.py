"""Slack Block Kit rendering of one transition (``contracts.transition.Notification``). Pure and
table-driven: no I/O, no settings (the mention is an argument).

User text is escaped and cut by the rules of ``mrkdwn``. Block Kit has no colour bar outside legacy
attachments, so the colour of a status is carried by its emoji (``STATUS_STYLES``).

Size: every block is within Slack's own limit, and the whole message within
``mrkdwn.MESSAGE_TEXT_LIMIT``. Each part is bounded (name ``NAME_LIMIT``, statuses, kind, region and
account ``WORD_LIMIT``, models ``MODEL_LIMIT``, failure messages one section), so the largest
transition the contract allows has about 6,000 characters of text; should a message still be over
the total, the failure messages give way first (as many as fit, then "and N more"), then the
optional facts (duration, models, account/region), then the context line. Status, kind and name
always stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.text import (
    clean_lines,
    code_text,
    optional_facts,
    result_facts,
    unknown_status_note,
)
from job_monitor.contracts.transition import Notification
from job_monitor.domain.kinds import REGISTRY
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    URL_LIMIT,
    clip,
    code_span,
    escape,
    message_text_length,
    mrkdwn,
    shorten_escaped,
    shorten_plain,
    single_line,
    slack_date,
)

NAME_LIMIT = 200
"""Longest job name shown in full: Bedrock allows 63 characters; more is someone being creative."""
MODEL_LIMIT = 300
WORD_LIMIT = 100
"""Characters of a status, kind label, region or account as shown (Bedrock's are under 30): a
body with a longer one still gives a message of bounded size."""
FAILURE_MIN_SHOWN = 40
"""Characters of a failure message that must be visible for it to count as shown."""


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
    # Knowledge-base ingestion jobs (bedrock-agent's own spellings).
    "STARTING": StatusStyle(":large_blue_circle:", "blue", "is starting"),
    "IN_PROGRESS": _BLUE,
    "COMPLETE": _GREEN,
    "FAILED": _RED,
    "STOPPING": StatusStyle(":white_circle:", "grey", "is stopping"),
    "STOPPED": _GREY,
    # Automated Reasoning policy build workflows.
    "SCHEDULED": StatusStyle(":large_blue_circle:", "blue", "is scheduled"),
    "PREPROCESSING": StatusStyle(":large_blue_circle:", "blue", "is preprocessing"),
    "BUILDING": StatusStyle(":large_blue_circle:", "blue", "is building"),
    "TESTING": StatusStyle(":large_blue_circle:", "blue", "is testing"),
    "CANCEL_REQUESTED": StatusStyle(":white_circle:", "grey", "is being cancelled"),
    "COMPLETED": _GREEN,
    "CANCELLED": StatusStyle(":white_circle:", "grey", "was cancelled"),
}
UNKNOWN_STATUS_STYLE = StatusStyle(":white_circle:", "grey", "changed status")
"""A status this notifier has no style for."""
REGISTRY_UNKNOWN_STYLE = StatusStyle(
    ":grey_question:", "grey", "has a status this monitor does not know"
)
"""A status the monitor marked ``unknownStatus`` (its job-kind registry does not know it)."""
MENTION_STATUSES = frozenset({"Failed", "FAILED"})


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


def slack_message(
    notification: Notification,
    *,
    mention: str | None = None,
    text_limit: int = MESSAGE_TEXT_LIMIT,
) -> SlackMessage:
    """Block Kit message for one notification, within ``text_limit`` characters of text
    (``mrkdwn.message_text_length``; the default is Slack's whole-message limit with a margin).

    ``mention`` (``<!here>``, ``<!subteam^ID>``...) comes from trusted configuration, is not
    escaped, and is only used when the new status is Failed.

    A message over ``text_limit`` loses, in this order, the failure messages that do not fit (the
    block keeps those that do and says how many more there are, down to its title and that count),
    the optional facts (duration, models, account/region), then the context line. The header,
    the lead line (name, status change), the kind and the status stay, so a ``text_limit`` below
    about 2,000 characters may not be met.
    """
    n = notification
    style = REGISTRY_UNKNOWN_STYLE if n.unknown_status else style_for(n.status)
    ping = mention if mention and n.status in MENTION_STATUSES else None
    name = shorten_escaped(single_line(n.job_name), NAME_LIMIT)

    header = shorten_plain(
        f"{style.emoji} Bedrock {single_line(_noun(n))} {style.headline}", HEADER_LIMIT
    )
    lead = f"*{name}* {_status_change(n)}"
    if ping:
        lead = f"{ping} {lead}"
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "text": mrkdwn(clip(lead, SECTION_TEXT_LIMIT))},
    ]
    if n.unknown_status:
        note = unknown_status_note(f"*{_word(n.status)}*", _word(_noun(n)))
        head.append({"type": "section", "text": mrkdwn(clip(f"_{note}_", SECTION_TEXT_LIMIT))})
    tail: list[dict[str, Any]] = []
    if n.console_url and len(n.console_url) <= URL_LIMIT and n.console_url.startswith("https://"):
        tail.append(
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
    text = _fallback_text(n, style, ping)
    fields = _fields(n)
    context = _context_line(n)

    def assemble(
        facts: list[str], failure: str | None, context: str | None
    ) -> list[dict[str, Any]]:
        blocks = [*head, {"type": "section", "fields": [mrkdwn(f) for f in facts]}]
        if failure is not None:
            blocks.append({"type": "section", "text": mrkdwn(failure)})
        if context is not None:
            blocks.append({"type": "context", "elements": [mrkdwn(context)]})
        return blocks + tail

    # Each shape is smaller than the one before; the failure block takes the room each one leaves.
    shapes = [(fields, context), (fields[:2], context), (fields[:2], None)]
    blocks: list[dict[str, Any]] = []
    for facts, line in shapes:
        blocks = assemble(facts, None, line)
        if not n.failure_messages:
            if message_text_length(blocks, text) <= text_limit:
                break
            continue
        room = text_limit - message_text_length(blocks, text)
        failure = _failure_block(n.failure_messages, room)
        if failure is not None:
            blocks = assemble(facts, failure, line)
            break
    return SlackMessage(text=text, blocks=blocks)


# ---------------------------------------------------------------------------------------------


def _word(text: str) -> str:
    """A status, kind label, region or account: one line, escaped, within ``WORD_LIMIT``."""
    return shorten_escaped(single_line(text), WORD_LIMIT)


def _status_change(n: Notification) -> str:
    new = _word(n.status)
    if n.previous_status is None:
        return f"is new: *{new}*"
    if n.previous_status == n.status:
        return f"was updated and is *{new}* again"
    return f"{_word(n.previous_status)} \u2192 *{new}*"


SECTION_FIELDS_LIMIT = 10
"""Slack takes at most 10 fields in one section block (Block Kit reference). A Completed
customization shows 9; the tags are the tenth, and left out of a message that has no room."""


def _fields(n: Notification) -> list[str]:
    fields = [
        f"*Kind*\n{_word(n.kind_label)}",
        f"*Status*\n{_word(n.previous_status or 'new')} \u2192 {_word(n.status)}",
    ]
    facts = [
        *optional_facts(n.duration_seconds, n.base_model, n.output_model),
        *result_facts(n.training_loss, n.validation_loss, n.output_location),
    ]
    for label, text, identifier in facts:
        fields.append(f"*{label}*\n{code_span(text, MODEL_LIMIT) if identifier else text}")
    if n.expires_at is not None and not n.terminal:
        fields.append(f"*Expires*\n{slack_date(n.expires_at)}")
    where = " / ".join(_word(p) for p in (n.account, n.region) if p)
    if where:
        fields.append(f"*Account / region*\n{where}")
    if n.details:
        lines = "\n".join(f"{_word(k)}: {_word(v)}" for k, v in n.details)
        fields.append(f"*Details*\n{lines}")
    if n.tags and len(fields) < SECTION_FIELDS_LIMIT:
        # The job's allow-listed tags (user text, escaped); the attributes route on them anyway.
        fields.append("*Tags*\n" + "\n".join(f"{_word(k)}: {_word(v)}" for k, v in n.tags))
    return [clip(f, FIELD_TEXT_LIMIT) for f in fields]


def _failure_block(messages: tuple[str, ...], room: int = SECTION_TEXT_LIMIT) -> str | None:
    """The failure messages in one code block of at most ``room`` (and ``SECTION_TEXT_LIMIT``)
    characters: all of them when they fit; else as many as fit (the last one shown may be cut),
    followed by "and N more failure messages" under the block; when not even one fits, the title
    with the number of messages. None when ``room`` is too small for that."""
    room = min(room, SECTION_TEXT_LIMIT)
    title = "*Failure message*" if len(messages) == 1 else "*Failure messages*"
    opening, closing = f"{title}\n```\n", "\n```"
    texts = [code_text(clean_lines(m)) for m in messages]
    # before[k]: escaped characters of the first k messages and the line break after each
    before = [0]
    for text in texts:
        before.append(before[-1] + len(escape(text)) + 1)
    for shown in range(len(texts), 0, -1):
        rest = len(texts) - shown
        plural = "" if rest == 1 else "s"
        more = f"\n_and {rest} more failure message{plural}_" if rest else ""
        inner = room - len(opening) - len(closing) - len(more)
        last = before[shown] - before[shown - 1] - 1
        if before[shown - 1] + min(last, FAILURE_MIN_SHOWN) <= inner:
            body = shorten_escaped("\n".join(texts[:shown]), inner)
            return opening + body + closing + more
    summary = f"{title}: {len(texts)} not shown, too long for one Slack message"
    return summary if len(summary) <= room else None


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
        f"{style.emoji} [Bedrock] {_word(n.status)}: {name} "
        f"({_word(n.kind_label)}), {_word(n.previous_status or 'new')} "
        f"\u2192 {_word(n.status)}"
    )
    if n.unknown_status:
        text += " (a status this monitor version does not know)"
    if ping:
        text = f"{ping} {text}"
    return clip(text, FALLBACK_TEXT_LIMIT)


def _noun(n: Notification) -> str:
    """ "customization job", "provisioned throughput": the registry's noun for a kind it knows."""
    kind = REGISTRY.get(n.kind)
    return kind.noun if kind is not None else f"{n.kind_label} job"
