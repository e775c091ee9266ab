"""How a run finds out what changed for one kind without listing the account's whole history.

The list operations cannot filter on last-modified time, only on creation (or submit) time, so:

1. One list, newest first, from the *floor*: the older of the oldest tracked (still running) job
   and the start of the new-job window, leaving out the jobs read apart (step 4). When everything
   since the floor fits in one page (1,000), this single call shows every other tracked job's
   status and every new job: a quiet run costs 1 call (and those of step 4).
   A kind whose list operation has no time filter (``JobKind.filters_by_time``) is paged newest
   first until a page reaches below the floor: the same jobs, at most one page more.
2. When it does not fit, keep paging only until the new-job window is covered (ceil(N/1000) pages
   for N new jobs). Tracked jobs older than those pages are then resolved by whichever is cheaper:
   one ``describe`` per job, or one ``statusEquals`` list per status they were last seen in
   (bounded by running jobs, not history; a kind without a status filter describes each). A
   tracked job absent from its status list has changed
   status, so it is described (that call also carries its failure message).
3. A tracked job that a complete listing does not show is described; if Bedrock no longer knows it
   (deleted), it is reported as gone.
4. A tracked job the pages stopped above is marked so (``TrackedJob.beyond_first_page``: the
   kind's poll writes the mark once). Later runs leave it out of the floor and read it apart as in
   step 2 from the start: their list covers only the jobs above it. In an account with a long
   history, a job running for days then costs a Get a run, not also a first page of history
   (shape (b) of the benchmark: 20 summaries and a Get a kind instead of 50 and a Get).

The first page is small (``first_page_size``: ``FIRST_PAGE`` summaries, or twice the jobs the
state already knows in the window, at most 1,000), the second twice as large, the later ones
full (``next_page_size``). What a run costs
is mostly the summaries botocore parses and the jobs made of them (about 60 us each on the
benchmark machine, x 6.9 at 256 MB: 0.4 ms, so a full page of 1,000 costs about 0.4 s of
Lambda), not the calls (50 ms each, and a region's scans run concurrently: ``poll.run``).
Newest first, a small first page still covers the new-job window of a quiet or ordinary busy run
in one call; when a tracked job was created long before the window (a job running for weeks in an
account with a long history), the first page passes the window after ``FIRST_PAGE`` summaries
instead of 1,000, and that job is described (step 2): one call more than a full page that reached
it, at most 1,000 summaries fewer. A window of a few more new jobs than the first page holds is
covered by the second page, twice its size, where a full second page would read up to 1,000 more
summaries of the history below the window; a larger window costs at most one list call more than
full pages from the second would (issue 16, goals 1 and 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import JobKind
from job_monitor.ports import JobSource, Page

FIRST_PAGE = 50
"""Summaries asked for on a scan's first page (see the module docstring), unless the state knows
of more jobs in the window."""
LEAF_FIRST_PAGE = 10
"""Summaries asked for on the first page of a sweep's leaf (a data source's ingestion jobs,
newest first; ``poll.sweep``), unless the state knows of more jobs there. A leaf is visited every
run while a job runs on it and every K runs otherwise, so its window holds the jobs started
since its last visit (a few, even for a data source synced every few minutes); a fuller window
costs one more call, on a page twice as large. A full page of a long-synced data source's
history would be 1,000 summaries of about 450 bytes each."""
PASS_PAGE = 100
"""Summaries asked for on each page of a pass over a sweep's leaf whose list has no sort (a
policy's build workflows, about 290 bytes each; ``domain.sweep``): one page a visit, so a visit
reads about 29 KB whatever the history, and a pass over B builds takes ceil(B / 100) visits."""
EPSILON = timedelta(seconds=1)
"""Margin on time filters (their inclusiveness is undocumented); extra jobs listed are harmless."""
PAGE_SIZE = 1000
"""The list operations' largest ``maxResults``."""


@dataclass
class ScanResult:
    jobs: dict[str, Job] = field(default_factory=dict)
    """Every job observed this run, by ARN (the latest record when seen twice)."""
    gone: list[TrackedJob] = field(default_factory=list)
    """Tracked jobs that Bedrock no longer knows (deleted)."""
    strategy: str = "single-page"
    beyond_first_page: list[TrackedJob] = field(default_factory=list)
    """Tracked jobs the pages stopped above this run (read apart instead), not yet marked so
    (``TrackedJob.beyond_first_page``): ``poll.kind`` notes them, and later scans start their
    list above them."""

    def add(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.jobs[job.arn] = job


def list_pages(
    source: JobSource,
    kind: JobKind,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    status: str | None = None,
    first_limit: int | None = None,
) -> Iterator[Page]:
    """Every page of one list query, newest first, following ``nextToken`` (lazily: a caller
    that has seen enough stops asking). ``first_limit``: the first page's ``maxResults`` (the
    second's is twice as many, the later ones full: ``next_page_size``); the source's full page
    size for every page when None."""
    token: str | None = None
    limit = first_limit
    first = True
    while True:
        page = source.list_page(
            kind, after=after, before=before, status=status, next_token=token, limit=limit
        )
        limit, first = next_page_size(limit, first=first), False
        yield page
        token = page.next_token
        if token is None:
            return


def next_page_size(previous: int | None, *, first: bool) -> int | None:
    """``maxResults`` of the page after one of ``previous`` summaries: after a small first page,
    twice as many (at most ``PAGE_SIZE``); after that, the source's full page (None). N new jobs
    cost at most one list call more than full pages from the second would (2 + ceil(N / 1000)),
    while the common overflow (a few more jobs than the first page holds) reads twice the first
    page instead of up to 1,000 summaries of the history below the window."""
    if previous is None or not first:
        return None
    return min(PAGE_SIZE, 2 * previous)


def first_page_size(known: int, smallest: int = FIRST_PAGE) -> int:
    """``maxResults`` of a scan's first page: ``smallest`` (``FIRST_PAGE``; a sweep's leaf:
    ``LEAF_FIRST_PAGE``), or twice the jobs the state already knows since the list's floor
    (every tracked job not read apart, and the recently reported), at most ``PAGE_SIZE``."""
    return min(PAGE_SIZE, max(smallest, 2 * known))


def scan_kind(
    kind: JobKind,
    source: JobSource,
    tracked: Mapping[str, TrackedJob],
    *,
    floor: datetime | None,
    window_start: datetime | None,
    first_page: int | None = None,
) -> ScanResult:
    """What changed for ``kind`` (see the module docstring). ``floor``: ``domain.detect.
    list_floor`` (below the tracked jobs read apart: ``TrackedJob.beyond_first_page``).
    ``first_page``: the first list page's size (``first_page_size``; the source's full page when
    None). Raises what ``source`` raises."""
    result = ScanResult()
    after = floor - EPSILON if floor is not None else None
    oldest_listed: datetime | None = None
    complete = True
    pages = list_pages(source, kind, after=after, first_limit=first_page)
    for number, page in enumerate(pages):
        result.add(page.jobs)
        if number:
            result.strategy = "paged"
        if page.jobs:
            oldest_listed = min(j.created_at for j in page.jobs)
        if page.next_token is None:
            break
        if not kind.filters_by_time and _passed(oldest_listed, after):
            # No time filter: newest first, so everything since the floor has been listed.
            break
        if _passed(oldest_listed, window_start):
            complete = False
            break

    missing = [t for arn, t in tracked.items() if arn not in result.jobs]
    # Read apart: the jobs known to lie below the floor, and those the pages stopped above.
    # Every other tracked job missing from a complete listing is described (deleted?).
    apart = [t for t in missing if t.beyond_first_page or not complete]
    result.beyond_first_page = [t for t in apart if not t.beyond_first_page]
    if apart:
        result.strategy = "status-lists"
        # A complete listing covered everything created since the floor.
        until = oldest_listed if not complete else floor
        left = _resolve_by_status(kind, source, apart, until, result)
        apart_arns = {t.arn for t in apart}
        missing = [t for t in missing if t.arn not in apart_arns] + left
    for job in missing:
        described = source.describe(kind, job.arn)
        if described is None:
            result.gone.append(job)
        else:
            result.jobs[described.arn] = described
    return result


def _resolve_by_status(
    kind: JobKind,
    source: JobSource,
    missing: list[TrackedJob],
    listed_until: datetime | None,
    result: ScanResult,
) -> list[TrackedJob]:
    """Find older tracked jobs (created before ``listed_until``, the oldest creation time the
    listing covered) with one status list per status; return those still unaccounted for, to be
    described: those the status lists did not show, and those the listing covered (missing from
    it, they were deleted or their list entry lags)."""
    below = [t for t in missing if listed_until is None or t.created_at < listed_until]
    statuses = sorted({t.status for t in below})
    if len(below) <= len(statuses) or not kind.filters_by_status:
        # Describing each is no dearer than one list per status (or the list has no status
        # filter, as for advanced prompt optimization: then each is described).
        return missing
    after = min(t.created_at for t in below) - EPSILON
    before = listed_until + EPSILON if listed_until is not None else None
    for status in statuses:
        for page in list_pages(source, kind, after=after, before=before, status=status):
            result.add(page.jobs)
            if not kind.filters_by_time and _passed(page_oldest(page), after):
                break
    return [t for t in missing if t.arn not in result.jobs]


def _passed(oldest_listed: datetime | None, limit: datetime | None) -> bool:
    """Paging newest first has gone below ``limit``."""
    return limit is not None and oldest_listed is not None and oldest_listed < limit


def page_oldest(page: Page) -> datetime | None:
    return min((j.created_at for j in page.jobs), default=None)
