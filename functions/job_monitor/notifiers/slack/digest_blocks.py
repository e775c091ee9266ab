"""Slack Block Kit rendering of the daily digest (``digest.build.Digest``). Pure.

Same rules as the transition rendering (``blocks``), from the shared ``mrkdwn`` helpers: every user
string (job names, failure messages, and region/kind text from the body) is escaped, so
``<!channel>`` in a job name pings nobody; one-line text loses control and invisible format
characters; every section stays under Slack's 3,000 characters without cutting an escape in half;
at most ``MAX_BLOCKS`` blocks (Slack allows 50); the ``text`` fallback is always there. A completed
job's line also says what it produced where the digest has it: a customization's final losses
(never cut), and the output location as code (in a span it cannot close, at most half the line).

The whole message stays within ``mrkdwn.MESSAGE_TEXT_LIMIT`` characters of text (a busy day lists
enough jobs for 20,000 to 40,000). What gives way, least important first (decided for every
destination by ``notifiers.digest_layout``):

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

from job_monitor.digest.build import Digest, DigestJob, Section
from job_monitor.notifiers.digest_layout import DigestGroup, fit, job_line, more_groups, summary
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
    totals = summary(digest)
    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "Bedrock daily digest", "emoji": True},
        },
        {"type": "section", "text": mrkdwn(clip(f"*{totals}*", SECTION_TEXT_LIMIT))},
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
    text = clip(f":bar_chart: [Bedrock] Daily digest: {totals}", FALLBACK_TEXT_LIMIT)

    groups = [_Group(section) for section in digest.sections]
    room = MAX_BLOCKS - len(head) - 1  # the context block closes the message
    shown = len(groups) if len(groups) <= room else room - 1
    fixed = message_text_length([*head, closing], text)

    def budget(count: int) -> int:
        """Characters left for the first ``count`` groups' sections."""
        return text_limit - fixed - len(_more_groups(groups[count:]))

    shown = fit(groups, shown, budget, SHORT_LINE_LIMITS)
    blocks = list(head)
    blocks.extend({"type": "section", "text": mrkdwn(g.text)} for g in groups[:shown])
    if shown < len(groups):
        blocks.append({"type": "section", "text": mrkdwn(_more_groups(groups[shown:]))})
    blocks.append(closing)
    return SlackMessage(text=text, blocks=blocks)


class _Group(DigestGroup):
    """One region/kind group as a section: its job lines and how many of each list are shown.
    ``text`` always fits in one section (``SECTION_TEXT_LIMIT``); ``cost`` is its length."""

    def __init__(self, section: Section) -> None:
        self.title = (
            f"*{shorten_escaped(single_line(section.kind_label), 100)}* \u00b7 "
            f"{shorten_escaped(single_line(section.region), 50)}"
        )
        self.text = ""
        super().__init__(section, LINE_LIMIT)

    def job_line(self, job: DigestJob, category: str, limit: int) -> str:
        return _job_line(job, category, limit)

    def render(self) -> None:
        """Render; while over Slack's section limit, the longest list loses its last line (on a
        tie the later list: failures go last). Headings and counts always stay."""
        self.text = self._text()
        while len(self.text) > SECTION_TEXT_LIMIT and any(self.shown.values()):
            self.shown[self.longest()] -= 1
            self.text = self._text()
        self.text = clip(self.text, SECTION_TEXT_LIMIT)
        self.cost = len(self.text)

    def _text(self) -> str:
        parts = [self.title]
        for category, jobs in self.lists:
            parts.append(f"{_HEADINGS[category]} ({jobs.count})")
            parts.extend(self.lines[category][: self.shown[category]])
            more = jobs.count - self.shown[category]
            if more:
                parts.append(f"\u2022 _and {more} more_")
        return "\n".join(parts)


def _job_line(job: DigestJob, category: str, limit: int) -> str:
    """``digest_layout.job_line``, escaped; the output location as code (in a span it cannot
    close)."""
    return job_line(job, category, limit, shorten=shorten_escaped, location=_location_code_span)


def _location_code_span(location: str, limit: int) -> str:
    return code_span(location, limit - 2)


def _more_groups(groups: list[_Group]) -> str:
    """``digest_layout.more_groups`` within a section ("" when no group is left out)."""
    line = more_groups(groups)
    return clip(line, SECTION_TEXT_LIMIT) if line else ""


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
