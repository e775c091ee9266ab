"""Slack Block Kit rendering of the daily digest (``digest.build.Digest``). Pure.

Same rules as the transition rendering (``blocks``), from the shared ``mrkdwn`` helpers: every user
string (job names, failure messages, and region/kind text from the body) is escaped, so
``<!channel>`` in a job name pings nobody; one-line text loses control and invisible format
characters; every section stays under Slack's 3,000 characters without cutting an escape in half;
at most ``MAX_BLOCKS`` blocks (Slack allows 50); the ``text`` fallback is always there. A completed
job's line also says what it produced where the digest has it: a customization's final losses
(never cut), and the output location as code (in a span it cannot close, at most half the line).

The whole message stays within ``mrkdwn.MESSAGE_TEXT_LIMIT`` characters of text (a busy day lists
enough jobs for 20,000 to 40,000). What gives way, least important first:

1. long job lines are shortened (to ``SHORT_LINE_LIMITS`` in turn) before any job is left out;
2. job lines, one at a time, from the list showing the most (on a tie: the later category, then
   the later group), so every list keeps as many as it can; "and N more" counts what is left out;
3. whole region/kind groups, from the end, into one closing line that says how many groups and
   how many jobs of each category they hold.

The summary line (the day's totals), every heading of a group that is shown and every count stay
and stay true: a heading's count is the list's true total, and its shown lines plus its "and N
more" add up to it.
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
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    MAX_BLOCKS,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    clip,
    code_span,
    message_text_length,
    mrkdwn,
    shorten_escaped,
    single_line,
    slack_date,
)

__all__ = ["LINE_LIMIT", "MAX_BLOCKS", "SHORT_LINE_LIMITS", "slack_digest_message"]

LINE_LIMIT = 400
"""Characters of one job line (name, status, age or failure message) before it is cut."""
SHORT_LINE_LIMITS = (200, 120)
"""Shorter job lines, tried in turn when the whole message is over its total."""

_HEADINGS = {
    "failed": ":red_circle: Failed",
    "overdue": ":hourglass: Overdue",
    "completed": ":large_green_circle: Completed",
    "updated": ":arrows_counterclockwise: Updated",
    "stopped": ":white_circle: Stopped",
    "started": ":large_blue_circle: Started",
    "running": ":hourglass_flowing_sand: Still running",
    "unknown": ":grey_question: In a status this monitor version does not know",
}


def slack_digest_message(digest: Digest, *, text_limit: int = MESSAGE_TEXT_LIMIT) -> SlackMessage:
    """Block Kit message for one digest: a header, the summary, one section per (region, kind)
    group (at most ``MAX_BLOCKS`` blocks in all), and a context line with the period; within
    ``text_limit`` characters of text (``mrkdwn.message_text_length``), trimmed as the module
    says."""
    summary = _summary(digest)
    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "Bedrock daily digest", "emoji": True},
        },
        {"type": "section", "text": mrkdwn(clip(f"*{summary}*", SECTION_TEXT_LIMIT))},
    ]
    if digest.quiet:
        head.append(
            {
                "type": "section",
                "text": mrkdwn(
                    "Quiet day: no job started or finished in the last 24 hours, and none is "
                    "running."
                ),
            }
        )
    closing = {
        "type": "context",
        "elements": [
            mrkdwn(_context(digest)),
            *([mrkdwn(_not_offered(digest))] if digest.not_offered else []),
        ],
    }
    text = clip(f":bar_chart: [Bedrock] Daily digest: {summary}", FALLBACK_TEXT_LIMIT)

    groups = [_Group(section) for section in digest.sections]
    room = MAX_BLOCKS - len(head) - 1  # the context block closes the message
    shown = len(groups) if len(groups) <= room else room - 1
    fixed = message_text_length([*head, closing], text)

    def budget() -> int:
        """Characters left for the shown groups' sections."""
        return text_limit - fixed - len(_more_groups(groups[shown:]))

    def used() -> int:
        return sum(g.length for g in groups[:shown])

    for limit in SHORT_LINE_LIMITS:
        if used() <= budget():
            break
        for group in groups[:shown]:
            group.shorten(limit)
    while used() > budget() and _drop_one_line(groups[:shown]):
        pass
    while shown and used() > budget():
        shown -= 1

    blocks = list(head)
    blocks.extend({"type": "section", "text": mrkdwn(g.text)} for g in groups[:shown])
    if shown < len(groups):
        blocks.append({"type": "section", "text": mrkdwn(_more_groups(groups[shown:]))})
    blocks.append(closing)
    return SlackMessage(text=text, blocks=blocks)


class _Group:
    """One region/kind group as a section: its job lines and how many of each list are shown.
    ``text`` always fits in one section (``SECTION_TEXT_LIMIT``)."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.lists: list[tuple[str, JobList]] = [
            (c, section.of(c)) for c in CATEGORIES if section.of(c).count
        ]
        self.title = (
            f"*{shorten_escaped(single_line(section.kind_label), 100)}* \u00b7 "
            f"{shorten_escaped(single_line(section.region), 50)}"
        )
        self.shown = {c: len(jobs.jobs) for c, jobs in self.lists}
        self.lines: dict[str, list[str]] = {}
        self.text = ""
        self.shorten(LINE_LIMIT)

    @property
    def length(self) -> int:
        return len(self.text)

    def shorten(self, limit: int) -> None:
        """Job lines within ``limit`` characters (never more lines shown than before)."""
        self.lines = {c: [_job_line(job, c, limit) for job in jobs.jobs] for c, jobs in self.lists}
        self.fit()

    def fit(self) -> None:
        """Render; while over Slack's section limit, the longest list loses its last line (on a
        tie the later list: failures go last). Headings and counts always stay."""
        self.text = self._render()
        while len(self.text) > SECTION_TEXT_LIMIT and any(self.shown.values()):
            self.shown[self.longest()] -= 1
            self.text = self._render()
        self.text = clip(self.text, SECTION_TEXT_LIMIT)

    def longest(self) -> str:
        """The category showing the most lines; on a tie the later one."""
        return max(reversed(self.lists), key=lambda item: self.shown[item[0]])[0]

    def drop_line(self, category: str) -> None:
        self.shown[category] -= 1
        self.fit()

    def _render(self) -> str:
        parts = [self.title]
        for category, jobs in self.lists:
            parts.append(f"{_HEADINGS[category]} ({jobs.count})")
            parts.extend(self.lines[category][: self.shown[category]])
            more = jobs.count - self.shown[category]
            if more:
                parts.append(f"\u2022 _and {more} more_")
        return "\n".join(parts)


def _job_line(job: DigestJob, category: str, limit: int) -> str:
    """``\u2022`` and the job's line, escaped, within ``limit`` characters (plus the bullet). A
    completed job's losses always show whole; its output location is a code span of at most
    half of the rest; the name gets what is left."""
    if category != "completed":
        return "\u2022 " + shorten_escaped(describe_job(job, category), limit)
    losses = describe_losses(job)
    tail = f" ({losses})" if losses else ""
    rest = limit - len(tail)
    if job.output_location:
        location = code_span(job.output_location, rest // 2 - 2)
        tail += f" \u00b7 {location}"
        rest -= len(location) + 3
    return f"\u2022 {shorten_escaped(one_line(job.name), rest)}{tail}"


def _drop_one_line(groups: list[_Group]) -> bool:
    """One job line less, from the list showing the most across ``groups``; on a tie the later
    category, then the later group. False when no group shows any line."""
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
    group = groups[best[2]]
    group.drop_line(CATEGORIES[best[1]])
    return True


def _more_groups(groups: list[_Group]) -> str:
    """The line standing for the groups left out, with the true number of jobs per category
    ("" when none is left out)."""
    if not groups:
        return ""
    counts = [
        f"{total} {c}" for c in CATEGORIES if (total := sum(g.section.of(c).count for g in groups))
    ]
    listed = f" ({', '.join(counts)})" if counts else ""
    return clip(
        f"... and {len(groups)} more region/kind group(s){listed}: see the JSON digest.",
        SECTION_TEXT_LIMIT,
    )


def _summary(digest: Digest) -> str:
    if digest.quiet:
        return "quiet day"
    return ", ".join(f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c))


def _not_offered(digest: Digest) -> str:
    """The kinds the watched regions do not offer (escaped), within a section's limit."""
    pairs = [
        f"{shorten_escaped(single_line(n.kind_label), 50)} in "
        f"{shorten_escaped(single_line(n.region), 50)}"
        for n in digest.not_offered
    ]
    return clip(
        ":no_entry_sign: Not offered in its region (re-checked daily): " + ", ".join(pairs),
        SECTION_TEXT_LIMIT,
    )


def _context(digest: Digest) -> str:
    regions = ", ".join(shorten_escaped(single_line(r), 50) for r in digest.regions[:20])
    if len(digest.regions) > 20:
        regions += f" and {len(digest.regions) - 20} more"
    parts = [
        f"{slack_date(digest.period_start)} to {slack_date(digest.period_end)}",
        f"account {shorten_escaped(single_line(digest.account), 50)}" if digest.account else "",
        f"regions {regions}" if regions else "",
    ]
    return clip(" \u00b7 ".join(p for p in parts if p), SECTION_TEXT_LIMIT)
