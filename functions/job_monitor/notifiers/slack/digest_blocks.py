"""Slack Block Kit rendering of the daily digest (``digest.build.Digest``). Pure.

Same rules as the transition rendering (``blocks``), from the shared ``mrkdwn`` helpers: every user
string (job names, failure messages, and region/kind text from the body) is escaped, so
``<!channel>`` in a job name pings nobody; one-line text loses control and invisible format
characters; every section stays under Slack's 3,000 characters without cutting an escape in half;
at most ``MAX_BLOCKS`` blocks (Slack allows 50); the ``text`` fallback is always there.
"""

from __future__ import annotations

from typing import Any

from job_monitor.digest.build import CATEGORIES, Digest, Section, describe_job
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    clip,
    escape,
    mrkdwn,
    shorten_escaped,
    single_line,
    slack_date,
)

MAX_BLOCKS = 50
LINE_LIMIT = 400
"""Characters of one job line (name, status, age or failure message) before it is cut."""

_HEADINGS = {
    "failed": ":red_circle: Failed",
    "completed": ":large_green_circle: Completed",
    "updated": ":arrows_counterclockwise: Updated",
    "stopped": ":white_circle: Stopped",
    "started": ":large_blue_circle: Started",
    "running": ":hourglass_flowing_sand: Still running",
}


def slack_digest_message(digest: Digest) -> SlackMessage:
    """Block Kit message for one digest: a header, the summary, one section per (region, kind)
    group (at most ``MAX_BLOCKS`` blocks in all), and a context line with the period."""
    summary = _summary(digest)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "Bedrock daily digest", "emoji": True},
        },
        {"type": "section", "text": mrkdwn(clip(f"*{summary}*", SECTION_TEXT_LIMIT))},
    ]
    if digest.quiet:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    "Quiet day: no job started or finished in the last 24 hours, and none is "
                    "running."
                ),
            }
        )
    room = MAX_BLOCKS - len(blocks) - 1  # the context block closes the message
    sections = list(digest.sections)
    shown = sections if len(sections) <= room else sections[: room - 1]
    for section in shown:
        blocks.append({"type": "section", "text": mrkdwn(_section_text(section))})
    if len(shown) < len(sections):
        rest = len(sections) - len(shown)
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(f"... and {rest} more region/kind group(s): see the JSON digest."),
            }
        )
    blocks.append({"type": "context", "elements": [mrkdwn(_context(digest))]})
    text = clip(f":bar_chart: [Bedrock] Daily digest: {summary}", FALLBACK_TEXT_LIMIT)
    return SlackMessage(text=text, blocks=blocks)


def _summary(digest: Digest) -> str:
    if digest.quiet:
        return "quiet day"
    return ", ".join(f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c))


def _section_text(section: Section) -> str:
    """The title, then each non-empty list: its heading with the true count, its job lines, and
    "and N more". When that would pass Slack's limit, job lines are dropped from the end of the
    longest list first (a short list keeps its lines); headings and counts always stay, and
    "and N more" counts the dropped lines too."""
    title = (
        f"*{shorten_escaped(single_line(section.kind_label), 100)}* \u00b7 "
        f"{shorten_escaped(single_line(section.region), 50)}"
    )
    lists = [(c, section.of(c)) for c in CATEGORIES if section.of(c).count]
    lines = {
        c: ["\u2022 " + shorten_escaped(describe_job(job, c), LINE_LIMIT) for job in jobs.jobs]
        for c, jobs in lists
    }
    shown = {c: len(lines[c]) for c, _ in lists}

    def render() -> str:
        parts = [title]
        for category, jobs in lists:
            parts.append(f"{_HEADINGS[category]} ({jobs.count})")
            parts.extend(lines[category][: shown[category]])
            more = jobs.count - shown[category]
            if more:
                parts.append(f"\u2022 _and {more} more_")
        return "\n".join(parts)

    text = render()
    while len(text) > SECTION_TEXT_LIMIT and any(shown.values()):
        # The longest list loses its last line; on a tie the later list (failures go last).
        longest = max(reversed(lists), key=lambda item: shown[item[0]])[0]
        shown[longest] -= 1
        text = render()
    return clip(text, SECTION_TEXT_LIMIT)


def _context(digest: Digest) -> str:
    regions = ", ".join(shorten_escaped(single_line(r), 50) for r in digest.regions[:20])
    if len(digest.regions) > 20:
        regions += f" and {len(digest.regions) - 20} more"
    parts = [
        f"{slack_date(digest.period_start)} to {slack_date(digest.period_end)}",
        f"account {escape(single_line(digest.account))}" if digest.account else "",
        f"regions {regions}" if regions else "",
    ]
    return clip(" \u00b7 ".join(p for p in parts if p), SECTION_TEXT_LIMIT)
