"""Adaptive Card rendering of the daily digest (``digest.build.Digest``) for Microsoft Teams. Pure.

The facts of the Slack digest (``notifiers.slack.digest_blocks``): a title, the day's totals (or
"quiet day"), one container per region/kind group with each list's heading, true count, job lines
and "and N more", and a closing line with the period (card date functions), the account and the
regions. Job lines are ``TextRun`` text (never markdown); kind and region text is escaped. A
completed job's line also says what it produced where the digest has it: a customization's final
losses (never cut), then the output location (at most half the line).

The POST body stays within ``text.PAYLOAD_BYTE_LIMIT`` bytes, counted exactly (a busy day, 2
regions x 7 kinds with long names, is about 60,000). What gives way is Slack's, decided for both
by ``notifiers.digest_layout``: long job lines are shortened (``SHORT_LINE_LIMITS``), then job
lines are left out one at a time, then whole groups from the end become one line "... and N more
region/kind group(s) (X failed, ...): see the JSON digest". The totals, every heading shown and
every count stay true.
"""

from __future__ import annotations

from typing import Any

from job_monitor.digest.build import Digest, DigestJob, Section
from job_monitor.notifiers.digest_layout import DigestGroup, fit, job_line, more_groups, summary
from job_monitor.notifiers.teams.cards import TeamsMessage, header, new_card
from job_monitor.notifiers.teams.text import (
    PAYLOAD_BYTE_LIMIT,
    card_date,
    encode,
    envelope,
    markdown,
    payload_bytes,
    plain,
    text_block,
    text_run,
)

LINE_LIMIT = 400
SHORT_LINE_LIMITS = (200, 120)

HEADINGS = {
    "failed": ("\U0001f534 Failed", "Attention"),
    "completed": ("\U0001f7e2 Completed", "Good"),
    "updated": ("\U0001f504 Updated", "Accent"),
    "stopped": ("\u26aa Stopped", "Default"),
    "started": ("\U0001f535 Started", "Accent"),
    "running": ("\u23f3 Still running", "Default"),
}
"""Category -> (heading, TextBlock colour)."""


def teams_digest_card(digest: Digest, *, byte_limit: int = PAYLOAD_BYTE_LIMIT) -> TeamsMessage:
    """The Adaptive Card of one digest, its POST body within ``byte_limit`` bytes, trimmed as the
    module says."""
    totals = summary(digest)
    head: list[dict[str, Any]] = [
        header("Bedrock daily digest", "emphasis"),
        text_block(f"**{totals}**"),
    ]
    if digest.quiet:
        head.append(
            text_block(
                "Quiet day: no job started or finished in the last 24 hours, and none is running."
            )
        )
    closing = text_block(_context(digest), isSubtle=True, size="Small")
    fallback = f"[Bedrock] Daily digest: {totals}"
    groups = [_Group(section) for section in digest.sections]

    def card_with(shown: int) -> dict[str, Any]:
        body = [*head, *(g.element for g in groups[:shown])]
        more = more_groups(groups[shown:])
        if more:
            body.append(text_block(more, isSubtle=True))
        return new_card([*body, closing], fallback, [])

    shown = len(groups)
    fixed = payload_bytes(envelope(card_with(0))) - len(_more_line_bytes(groups))

    def budget(count: int) -> int:
        """Bytes left for the first ``count`` groups' containers."""
        return byte_limit - fixed - len(_more_line_bytes(groups[count:]))

    shown = fit(groups, shown, budget, SHORT_LINE_LIMITS)
    return TeamsMessage(card_with(shown))


class _Group(DigestGroup):
    """One region/kind group as a container: headings with true counts, job lines, "and N
    more". ``cost``: bytes it adds to the POST body (its JSON and the comma before it)."""

    def __init__(self, section: Section) -> None:
        self.title = (
            f"**{markdown(section.kind_label, 100)}** \u00b7 {markdown(section.region, 50)}"
        )
        self.element: dict[str, Any] = {}
        super().__init__(section, LINE_LIMIT)

    def job_line(self, job: DigestJob, category: str, limit: int) -> str:
        return _job_line(job, category, limit)

    def render(self) -> None:
        items: list[dict[str, Any]] = [text_block(self.title)]
        for category, jobs in self.lists:
            heading, colour = HEADINGS[category]
            items.append(text_block(f"{heading} ({jobs.count})", weight="Bolder", color=colour))
            lines = self.lines[category][: self.shown[category]]
            if lines:
                items.append({"type": "RichTextBlock", "inlines": [text_run("\n".join(lines))]})
            more = jobs.count - self.shown[category]
            if more:
                items.append(text_block(f"\u2022 _and {more} more_", isSubtle=True))
        self.element = {"type": "Container", "separator": True, "items": items}
        self.cost = payload_bytes(self.element) + 1


def _job_line(job: DigestJob, category: str, limit: int) -> str:
    """``digest_layout.job_line`` in plain text (a TextRun), as in Slack: a completed job's
    losses whole, its output location at most half of the rest, the name what is left."""
    return job_line(job, category, limit, shorten=plain, location=plain)


def _more_line_bytes(groups: list[_Group]) -> bytes:
    """The bytes the "more groups" line adds (its element and a comma); empty when none."""
    more = more_groups(groups)
    if not more:
        return b""
    return b"," + encode(text_block(more, isSubtle=True))


def _context(digest: Digest) -> str:
    regions = ", ".join(markdown(r, 50) for r in digest.regions[:20])
    if len(digest.regions) > 20:
        regions += f" and {len(digest.regions) - 20} more"
    parts = [
        f"{card_date(digest.period_start)} to {card_date(digest.period_end)}",
        f"account {markdown(digest.account, 50)}" if digest.account else "",
        f"regions {regions}" if regions else "",
    ]
    return " \u00b7 ".join(p for p in parts if p)
