"""Slack Block Kit rendering of an overdue or expiring job (``contracts.overdue.OverdueNotice``).
Pure: no I/O, no settings.

User text (job name, status details, and kind, status, region, account as read from the body) is
escaped and cut by the rules of ``mrkdwn``. Every part is bounded (name ``blocks.NAME_LIMIT``,
words ``blocks.WORD_LIMIT``, details ``DETAILS_LIMIT``), so the largest alert the contract allows
has under 3,000 characters of text, far inside ``mrkdwn.MESSAGE_TEXT_LIMIT``.
"""

from __future__ import annotations

from typing import Any

from job_monitor.contracts.overdue import OverdueNotice, headline
from job_monitor.contracts.text import human_duration
from job_monitor.notifiers.slack.blocks import NAME_LIMIT, WORD_LIMIT, SlackMessage
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    SECTION_TEXT_LIMIT,
    URL_LIMIT,
    clip,
    code_span,
    mrkdwn,
    shorten_escaped,
    shorten_plain,
    single_line,
    slack_date,
)

OVERDUE_EMOJI = ":hourglass_flowing_sand:"
EXPIRING_EMOJI = ":alarm_clock:"
DETAILS_LIMIT = 500
"""Characters of Bedrock's status details as shown."""


def _word(text: str) -> str:
    return shorten_escaped(single_line(text), WORD_LIMIT)


def slack_overdue_message(notice: OverdueNotice) -> SlackMessage:
    """Block Kit message for one overdue or expiring job: header, what is wrong (status and how
    long, or the time left), the threshold, what Bedrock says the job is doing, where it runs, a
    context line (since when, ARN) and the console button."""
    n = notice
    emoji = EXPIRING_EMOJI if n.expiring else OVERDUE_EMOJI
    word = "about to expire" if n.expiring else "overdue"
    name = shorten_escaped(single_line(n.job_name), NAME_LIMIT)
    what = _word(headline(n.reason, n.status, n.age_seconds, n.time_left_seconds))
    header = shorten_plain(f"{emoji} Bedrock {single_line(n.noun)} {word}", HEADER_LIMIT)
    fields = [f"*Kind*\n{_word(n.kind_label)}", f"*Status*\n{_word(n.status)}"]
    limit = human_duration(n.threshold_seconds)
    if limit:
        fields.append(
            f"*Warning*\n{limit} before expiry"
            if n.expiring
            else f"*Threshold*\n{limit} in {_word(n.status)}"
        )
    if n.expiring and n.expires_at is not None:
        fields.append(f"*Expires*\n{slack_date(n.expires_at)}")
    where = " / ".join(_word(p) for p in (n.account, n.region) if p)
    if where:
        fields.append(f"*Account / region*\n{where}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "text": mrkdwn(clip(f"*{name}* {what}", SECTION_TEXT_LIMIT))},
        {"type": "section", "fields": [mrkdwn(clip(f, FIELD_TEXT_LIMIT)) for f in fields]},
    ]
    if n.status_details:
        details = shorten_escaped(single_line(n.status_details), DETAILS_LIMIT)
        blocks.append({"type": "section", "text": mrkdwn(f"*Bedrock says*\n{details}")})
    context = []
    if n.since is not None:
        context.append(f"Age counted from {slack_date(n.since)}")
    context.append(f"ARN {code_span(n.job_arn, 400)}")
    line = clip(" \u00b7 ".join(context), SECTION_TEXT_LIMIT)
    blocks.append({"type": "context", "elements": [mrkdwn(line)]})
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
    text = clip(
        f"{emoji} [Bedrock] {'Expiring' if n.expiring else 'Overdue'}: {name} "
        f"({_word(n.kind_label)}) {what}",
        FALLBACK_TEXT_LIMIT,
    )
    return SlackMessage(text=text, blocks=blocks)
