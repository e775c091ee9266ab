"""Adaptive Card of one overdue or expiring job (``contracts.overdue.OverdueNotice``) for
Microsoft Teams. Pure: the same facts as Slack's ``slack.overdue_blocks`` in the same order (a
header, the job and what is wrong, kind, status, threshold or warning, expiry, account/region,
what Bedrock says the job is doing, since when, the ARN, and a button to the console). User text
is never markdown (``text.plain``/``text_run``); every part is bounded, so the POST body stays far
below ``text.PAYLOAD_BYTE_LIMIT``."""

from __future__ import annotations

from typing import Any

from job_monitor.contracts.overdue import OverdueNotice, headline
from job_monitor.contracts.text import human_duration
from job_monitor.notifiers.teams.cards import (
    ARN_LIMIT,
    CARD_STYLES,
    FALLBACK_LIMIT,
    NAME_LIMIT,
    URL_LIMIT,
    WORD_LIMIT,
    TeamsMessage,
    header,
    new_card,
)
from job_monitor.notifiers.teams.text import (
    card_date,
    markdown,
    plain,
    shorten_to_bytes,
    text_block,
    text_run,
)

DETAILS_LIMIT = 1000
"""Characters of what Bedrock says the job is doing."""


def teams_overdue_card(notice: OverdueNotice) -> TeamsMessage:
    """The card of one overdue (amber) or expiring (red) job."""
    n = notice
    look = CARD_STYLES["red" if n.expiring else "amber"]
    word = "about to expire" if n.expiring else "overdue"
    what = plain(headline(n.reason, n.status, n.age_seconds, n.time_left_seconds), WORD_LIMIT)
    body: list[dict[str, Any]] = [
        header(f"{look.emoji} Bedrock {markdown(n.noun, WORD_LIMIT)} {word}", look.container),
        {
            "type": "RichTextBlock",
            "inlines": [
                text_run(plain(n.job_name, NAME_LIMIT), weight="Bolder"),
                text_run(" " + what),
            ],
        },
        {"type": "FactSet", "facts": _facts(n)},
    ]
    if n.status_details:
        body.append(text_block("Bedrock says", weight="Bolder"))
        body.append(
            {"type": "RichTextBlock", "inlines": [text_run(plain(n.status_details, DETAILS_LIMIT))]}
        )
    if n.since is not None:
        body.append(
            text_block(f"Age counted from {card_date(n.since)}", isSubtle=True, size="Small")
        )
    body.append(
        {
            "type": "RichTextBlock",
            "inlines": [
                text_run("ARN ", isSubtle=True, size="Small"),
                text_run(
                    plain(n.job_arn, ARN_LIMIT), isSubtle=True, size="Small", fontType="Monospace"
                ),
            ],
        }
    )
    actions = []
    if n.console_url and len(n.console_url) <= URL_LIMIT and n.console_url.startswith("https://"):
        actions.append(
            {"type": "Action.OpenUrl", "title": "Open in Bedrock console", "url": n.console_url}
        )
    fallback = shorten_to_bytes(
        f"{look.emoji} [Bedrock] {'Expiring' if n.expiring else 'Overdue'}: "
        f"{markdown(n.job_name, NAME_LIMIT)} ({markdown(n.kind_label, WORD_LIMIT)}) "
        f"{markdown(what, WORD_LIMIT)}",
        FALLBACK_LIMIT * 3,
    )
    return TeamsMessage(new_card(body, fallback, actions))


def _facts(n: OverdueNotice) -> list[dict[str, str]]:
    facts = [
        {"title": "Kind", "value": markdown(n.kind_label, WORD_LIMIT)},
        {"title": "Status", "value": markdown(n.status, WORD_LIMIT)},
    ]
    limit = human_duration(n.threshold_seconds)
    if limit:
        facts.append(
            {"title": "Warning", "value": f"{limit} before expiry"}
            if n.expiring
            else {"title": "Threshold", "value": f"{limit} in {markdown(n.status, WORD_LIMIT)}"}
        )
    if n.expiring and n.expires_at is not None:
        facts.append({"title": "Expires", "value": card_date(n.expires_at)})
    where = " / ".join(markdown(p, WORD_LIMIT) for p in (n.account, n.region) if p)
    if where:
        facts.append({"title": "Account / region", "value": where})
    return facts
