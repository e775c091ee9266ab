"""Adaptive Card rendering of the daily digest (``digest.build.Digest``) for Microsoft Teams. Pure.

The facts of the Slack digest (``notifiers.slack.digest_blocks``): a title, the day's totals (or
"quiet day"), one container per region/kind group with each list's heading, true count, job lines
and "and N more", and a closing line with the period (card date functions), the account and the
regions. Job lines are ``TextRun`` text (never markdown); kind and region text is escaped. A
completed job's line also says what it produced where the digest has it: a customization's final
losses (never cut), then the output location (at most half the line).

The POST body stays within ``text.PAYLOAD_BYTE_LIMIT`` bytes, counted exactly (a busy day, 2
regions x 7 kinds with long names, is about 60,000). What gives way, as in Slack, least important
first: long job lines are shortened (``SHORT_LINE_LIMITS``), then job lines are left out one at a
time from the list showing the most (on a tie the later category, then the later group), then whole
groups from the end become one line "... and N more region/kind group(s) (X failed, ...): see the
JSON digest". The totals, every heading shown and every count stay true.
"""

from __future__ import annotations

from typing import Any

from job_monitor.contracts.text import one_line
from job_monitor.digest.build import (
    CATEGORIES,
    Digest,
    DigestJob,
    JobList,
    Section,
    describe_job,
    describe_losses,
)
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
    summary = _summary(digest)
    head: list[dict[str, Any]] = [
        header("Bedrock daily digest", "emphasis"),
        text_block(f"**{summary}**"),
    ]
    if digest.quiet:
        head.append(
            text_block(
                "Quiet day: no job started or finished in the last 24 hours, and none is running."
            )
        )
    closing = text_block(_context(digest), isSubtle=True, size="Small")
    fallback = f"[Bedrock] Daily digest: {summary}"
    groups = [_Group(section) for section in digest.sections]

    def card_with(shown: int) -> dict[str, Any]:
        body = [*head, *(g.element for g in groups[:shown])]
        more = _more_groups(groups[shown:])
        if more:
            body.append(text_block(more, isSubtle=True))
        return new_card([*body, closing], fallback, [])

    shown = len(groups)
    fixed = payload_bytes(envelope(card_with(0))) - len(_more_line_bytes(groups))

    def budget() -> int:
        return byte_limit - fixed - len(_more_line_bytes(groups[shown:]))

    def used() -> int:
        return sum(g.size for g in groups[:shown])

    for limit in SHORT_LINE_LIMITS:
        if used() <= budget():
            break
        for group in groups[:shown]:
            group.shorten(limit)
    while used() > budget() and _drop_one_line(groups[:shown]):
        pass
    while shown and used() > budget():
        shown -= 1
    return TeamsMessage(card_with(shown))


class _Group:
    """One region/kind group as a container: headings with true counts, job lines, "and N
    more". ``size``: bytes it adds to the POST body (its JSON and the comma before it)."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.lists: list[tuple[str, JobList]] = [
            (c, section.of(c)) for c in CATEGORIES if section.of(c).count
        ]
        self.title = (
            f"**{markdown(section.kind_label, 100)}** \u00b7 {markdown(section.region, 50)}"
        )
        self.shown = {c: len(jobs.jobs) for c, jobs in self.lists}
        self.lines: dict[str, list[str]] = {}
        self.element: dict[str, Any] = {}
        self.size = 0
        self.shorten(LINE_LIMIT)

    def shorten(self, limit: int) -> None:
        self.lines = {c: [_job_line(job, c, limit) for job in jobs.jobs] for c, jobs in self.lists}
        self.render()

    def longest(self) -> str:
        return max(reversed(self.lists), key=lambda item: self.shown[item[0]])[0]

    def drop_line(self, category: str) -> None:
        self.shown[category] -= 1
        self.render()

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
        self.size = payload_bytes(self.element) + 1


def _job_line(job: DigestJob, category: str, limit: int) -> str:
    """``\u2022`` and the job's line (plain) within ``limit`` characters (plus the bullet), as in
    Slack: a completed job's losses whole, its output location at most half of the rest, the
    name what is left."""
    if category != "completed":
        return "\u2022 " + plain(describe_job(job, category), limit)
    losses = describe_losses(job)
    tail = f" ({losses})" if losses else ""
    rest = limit - len(tail)
    if job.output_location:
        location = plain(job.output_location, rest // 2)
        tail += f" \u00b7 {location}"
        rest -= len(location) + 3
    return f"\u2022 {plain(one_line(job.name), rest)}{tail}"


def _drop_one_line(groups: list[_Group]) -> bool:
    best: tuple[int, int, int] | None = None
    for index, group in enumerate(groups):
        if not any(group.shown.values()):
            continue
        category = group.longest()
        key = (group.shown[category], CATEGORIES.index(category), index)
        if best is None or key > best:
            best = key
    if best is None:
        return False
    groups[best[2]].drop_line(CATEGORIES[best[1]])
    return True


def _more_groups(groups: list[_Group]) -> str:
    if not groups:
        return ""
    counts = [
        f"{total} {c}" for c in CATEGORIES if (total := sum(g.section.of(c).count for g in groups))
    ]
    listed = f" ({', '.join(counts)})" if counts else ""
    return f"... and {len(groups)} more region/kind group(s){listed}: see the JSON digest."


def _more_line_bytes(groups: list[_Group]) -> bytes:
    """The bytes the "more groups" line adds (its element and a comma); empty when none."""
    more = _more_groups(groups)
    if not more:
        return b""
    return b"," + encode(text_block(more, isSubtle=True))


def _summary(digest: Digest) -> str:
    if digest.quiet:
        return "quiet day"
    return ", ".join(f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c))


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
