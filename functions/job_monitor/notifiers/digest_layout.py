"""How a chat digest gives way when it is too long, whatever the destination. Pure.

The Slack digest (``notifiers.slack.digest_blocks``) and the Teams digest card
(``notifiers.teams.digest_card``) show the same facts: one group per region/kind section of the
``Digest``, each list's heading with its true count, job lines, and "and N more". Each destination
measures its own size (Slack: characters of text; Teams: bytes of the POST body) and renders its
own markup; what gives way, least important first, is decided here once:

1. long job lines are shortened (``short_line_limits``, in order);
2. job lines are left out one at a time from the list showing the most (on a tie the later
   category, then the later group: failures go last);
3. whole groups from the end become one line "... and N more region/kind group(s) (X failed, ...):
   see the JSON digest" (``more_groups``).

The totals, every heading shown and every count stay true.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

Shorten = Callable[[str, int], str]
"""(text, at most this many characters) -> the text as the destination shows it, within that."""


class DigestGroup:
    """One region/kind group: its non-empty lists (``lists``, in ``CATEGORIES`` order), their
    job lines (``lines``) and how many of each are shown (``shown``). A destination subclasses
    it with ``job_line`` (one job's line within a length) and ``render`` (builds its markup and
    sets ``cost``: what the group adds to the message, in the destination's unit)."""

    def __init__(self, section: Section, line_limit: int) -> None:
        self.section = section
        self.lists: list[tuple[str, JobList]] = [
            (c, section.of(c)) for c in CATEGORIES if section.of(c).count
        ]
        self.shown = {c: len(jobs.jobs) for c, jobs in self.lists}
        self.lines: dict[str, list[str]] = {}
        self.cost = 0
        self.shorten(line_limit)

    def job_line(self, job: DigestJob, category: str, limit: int) -> str:
        raise NotImplementedError

    def render(self) -> None:
        raise NotImplementedError

    def shorten(self, limit: int) -> None:
        """Job lines within ``limit`` characters (never more lines shown than before)."""
        self.lines = {
            c: [self.job_line(job, c, limit) for job in jobs.jobs] for c, jobs in self.lists
        }
        self.render()

    def longest(self) -> str:
        """The category showing the most lines; on a tie the later one."""
        return max(reversed(self.lists), key=lambda item: self.shown[item[0]])[0]

    def drop_line(self, category: str) -> None:
        self.shown[category] -= 1
        self.render()


def fit(
    groups: Sequence[DigestGroup],
    shown: int,
    budget: Callable[[int], int],
    short_line_limits: Sequence[int],
) -> int:
    """How many of ``groups`` (at most ``shown``) the message shows once trimmed as the module
    says, so that their total ``cost`` is within ``budget(number shown)`` (what the rest of the
    message leaves them). Shortens and drops lines of the groups in place."""

    def used() -> int:
        return sum(g.cost for g in groups[:shown])

    for limit in short_line_limits:
        if used() <= budget(shown):
            break
        for group in groups[:shown]:
            group.shorten(limit)
    while used() > budget(shown) and _drop_one_line(groups[:shown]):
        pass
    while shown and used() > budget(shown):
        shown -= 1
    return shown


def _drop_one_line(groups: Sequence[DigestGroup]) -> bool:
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
    groups[best[2]].drop_line(CATEGORIES[best[1]])
    return True


def more_groups(groups: Sequence[DigestGroup]) -> str:
    """The line standing for the groups left out, with the true number of jobs per category
    ("" when none is left out)."""
    if not groups:
        return ""
    counts = [
        f"{total} {c}" for c in CATEGORIES if (total := sum(g.section.of(c).count for g in groups))
    ]
    listed = f" ({', '.join(counts)})" if counts else ""
    return f"... and {len(groups)} more region/kind group(s){listed}: see the JSON digest."


def summary(digest: Digest) -> str:
    """``3 failed, 5 completed`` (each category with jobs), or ``quiet day``."""
    if digest.quiet:
        return "quiet day"
    return ", ".join(f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c))


def job_line(
    job: DigestJob, category: str, limit: int, *, shorten: Shorten, location: Shorten
) -> str:
    """``\u2022`` and the job's line within ``limit`` characters (plus the bullet), each text put
    through the destination's ``shorten``. A completed job's losses always show whole; its output
    location (``location``) gets at most half of the rest; the name gets what is left."""
    if category != "completed":
        return "\u2022 " + shorten(describe_job(job, category), limit)
    losses = describe_losses(job)
    tail = f" ({losses})" if losses else ""
    rest = limit - len(tail)
    if job.output_location:
        shown = location(job.output_location, rest // 2)
        tail += f" \u00b7 {shown}"
        rest -= len(shown) + 3
    return f"\u2022 {shorten(one_line(job.name), rest)}{tail}"
