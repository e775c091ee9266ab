"""Slack Block Kit rendering of the daily digest. Pure.

Same rules as ``slack_format`` (whose helpers it uses): every user string (job names, failure
messages, and region/kind text from the body) is escaped, so ``<!channel>`` in a job name pings
nobody; one-line text loses control and invisible format characters; every section stays under
Slack's 3,000 characters without cutting an escape in half; at most ``MAX_BLOCKS`` blocks (Slack
allows 50); the ``text`` fallback is always there.
"""

from __future__ import annotations

from typing import Any

from job_monitor.digest import CATEGORIES, Digest, JobList, Section, describe_job
from job_monitor.slack_format import (
    FALLBACK_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    SlackMessage,
    _clip,
    _mrkdwn,
    _one_line,
    _shorten_escaped,
    _slack_date,
    escape,
)

MAX_BLOCKS = 50
LINE_LIMIT = 400
"""Characters of one job line (name, status, age or failure message) before it is cut."""

_HEADINGS = {
    "failed": ":red_circle: Failed",
    "completed": ":large_green_circle: Completed",
    "stopped": ":white_circle: Stopped",
    "started": ":large_blue_circle: Started",
    "running": ":hourglass_flowing_sand: Still running",
}


def slack_digest_message(digest: Digest) -> SlackMessage:
    summary = _summary(digest)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "Bedrock daily digest", "emoji": True},
        },
        {"type": "section", "text": _mrkdwn(_clip(f"*{summary}*", SECTION_TEXT_LIMIT))},
    ]
    if digest.quiet:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    "Quiet day: no job started or finished in the last 24 hours, and none is "
                    "running."
                ),
            }
        )
    room = MAX_BLOCKS - len(blocks) - 1  # the context block closes the message
    sections = list(digest.sections)
    shown = sections if len(sections) <= room else sections[: room - 1]
    for section in shown:
        blocks.append({"type": "section", "text": _mrkdwn(_section_text(section))})
    if len(shown) < len(sections):
        rest = len(sections) - len(shown)
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(f"... and {rest} more region/kind group(s): see the JSON digest."),
            }
        )
    blocks.append({"type": "context", "elements": [_mrkdwn(_context(digest))]})
    text = _clip(f":bar_chart: [Bedrock] Daily digest: {summary}", FALLBACK_TEXT_LIMIT)
    return SlackMessage(text=text, blocks=blocks)


def _summary(digest: Digest) -> str:
    if digest.quiet:
        return "quiet day"
    return ", ".join(f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c))


def _section_text(section: Section) -> str:
    title = (
        f"*{_shorten_escaped(_one_line(section.kind_label), 100)}* \u00b7 "
        f"{_shorten_escaped(_one_line(section.region), 50)}"
    )
    parts = [title]
    for category in CATEGORIES:
        jobs = section.of(category)
        if jobs.count:
            parts.append(_list_text(category, jobs))
    return _fit(parts)


def _list_text(category: str, jobs: JobList) -> str:
    lines = [f"{_HEADINGS[category]} ({jobs.count})"]
    lines.extend(
        "\u2022 " + _shorten_escaped(describe_job(job, category), LINE_LIMIT) for job in jobs.jobs
    )
    if jobs.more:
        lines.append(f"\u2022 _and {jobs.more} more_")
    return "\n".join(lines)


def _fit(parts: list[str]) -> str:
    """Join the parts, dropping whole job lines from the end when the section would pass Slack's
    limit (each part's heading keeps its count, so nothing is misreported)."""
    text = "\n".join(parts)
    if len(text) <= SECTION_TEXT_LIMIT:
        return text
    lines = text.split("\n")
    suffix = "\n_(cut to fit Slack: see the JSON digest)_"
    while lines and len("\n".join(lines)) + len(suffix) > SECTION_TEXT_LIMIT:
        lines.pop()
    return "\n".join(lines) + suffix


def _context(digest: Digest) -> str:
    regions = ", ".join(_shorten_escaped(_one_line(r), 50) for r in digest.regions[:20])
    if len(digest.regions) > 20:
        regions += f" and {len(digest.regions) - 20} more"
    parts = [
        f"{_slack_date(digest.period_start)} to {_slack_date(digest.period_end)}",
        f"account {escape(_one_line(digest.account))}" if digest.account else "",
        f"regions {regions}" if regions else "",
    ]
    return _clip(" \u00b7 ".join(p for p in parts if p), SECTION_TEXT_LIMIT)
