"""The listing strategy (scan.py) against an in-memory job source: which calls, which jobs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from job_monitor.domain.detect import TrackedJob, list_floor
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION, JobKind
from job_monitor.poll.scan import (
    EPSILON,
    FIRST_PAGE,
    PAGE_SIZE,
    ScanResult,
    first_page_size,
    next_page_size,
    scan_kind,
)
from job_monitor.ports import Page

KIND = MODEL_CUSTOMIZATION
T0 = datetime(2026, 11, 1, tzinfo=UTC)
LOOKBACK = timedelta(minutes=15)


class FakeSource:
    """Newest-first pages of ``page_size`` jobs, strict time filters, like the list operations."""

    def __init__(self, jobs: list[Job], page_size: int = 3) -> None:
        self.jobs = {j.arn: j for j in jobs}
        self.page_size = page_size
        self.calls: Counter[str] = Counter()
        self.limits: list[int | None] = []
        self.afters: list[datetime | None] = []
        self.befores: list[datetime | None] = []
        self.summaries = 0

    def list_page(
        self, kind: JobKind, *, after=None, before=None, status=None, next_token=None, limit=None
    ) -> Page:
        self.calls["list" if status is None else f"list:{status}"] += 1
        self.limits.append(limit)
        self.afters.append(after)
        self.befores.append(before)
        matching = sorted(
            (
                j
                for j in self.jobs.values()
                if (after is None or j.created_at > after)
                and (before is None or j.created_at < before)
                and (status is None or j.status == status)
            ),
            key=lambda j: (j.created_at, j.arn),
            reverse=True,
        )
        start = int(next_token or 0)
        end = start + (limit or self.page_size)
        self.summaries += len(matching[start:end])
        return Page(matching[start:end], str(end) if end < len(matching) else None)

    def describe(self, kind: JobKind, arn: str) -> Job | None:
        self.calls["describe"] += 1
        return self.jobs.get(arn)


def job(name: str, minutes: float, status: str = "Completed") -> Job:
    return Job(
        KIND,
        f"arn:aws:bedrock:us-east-1:1:model-customization-job/m/{name}",
        name,
        status,
        T0 + timedelta(minutes=minutes),
    )


def tracked(j: Job, status: str = "InProgress", *, marked: bool = False) -> dict[str, TrackedJob]:
    """``j`` as the state tracks it, in ``status``; ``marked``: beyond the first page."""
    return {j.arn: TrackedJob(j.arn, j.name, status, j.created_at, beyond_first_page=marked)}


def scan_from_floor(
    source: FakeSource,
    known: dict[str, TrackedJob],
    window: datetime,
    first_page: int | None = None,
) -> ScanResult:
    """``scan_kind`` from the floor ``list_floor`` makes of ``known`` and the window's start."""
    floor = list_floor(window + LOOKBACK, LOOKBACK, known.values())
    return scan_kind(KIND, source, known, floor=floor, window_start=window, first_page=first_page)


def test_everything_since_the_floor_in_one_page_costs_one_call():
    running = job("run", 0, "InProgress")
    source = FakeSource([job("h1", -60), running, job("n1", 10)], page_size=1000)
    result = scan_kind(
        KIND,
        source,
        tracked(running),
        floor=running.created_at,
        window_start=T0 + timedelta(minutes=5),
    )
    assert source.calls == Counter({"list": 1})
    assert set(result.jobs) == {running.arn, job("n1", 10).arn}


def test_paging_stops_once_the_new_job_window_is_covered_and_one_old_job_is_described():
    # Given an old running job under 10 newer jobs, pages of 3, the window covering the newest 4
    old = job("old", 0, "Completed")
    newer = [job(f"n{i}", 100 + i) for i in range(10)]
    source = FakeSource([old, *newer])
    result = scan_kind(
        KIND, source, tracked(old), floor=old.created_at, window_start=T0 + timedelta(minutes=106)
    )
    # Then two pages (the second reaches below the window), then one describe for the old job
    assert source.calls == Counter({"list": 2, "describe": 1})
    assert result.jobs[old.arn].status == "Completed"
    assert result.strategy == "status-lists"


def test_several_old_jobs_are_found_with_one_status_list_and_a_changed_one_described():
    olds = [job(f"old{i}", i, "InProgress") for i in range(3)]
    finished = job("old0", 0, "Failed")
    newer = [job(f"n{i}", 100 + i) for i in range(10)]
    source = FakeSource([finished, *olds[1:], *newer])
    known = {k: v for o in olds for k, v in tracked(o).items()}
    result = scan_kind(
        KIND, source, known, floor=olds[0].created_at, window_start=T0 + timedelta(minutes=106)
    )
    assert source.calls == Counter({"list": 2, "list:InProgress": 1, "describe": 1})
    assert result.jobs[finished.arn].status == "Failed"
    assert {a for a in result.jobs if "old" in a} == {o.arn for o in olds}


def test_jobs_with_equal_creation_times_across_a_page_boundary_are_all_seen():
    same = [job(f"same{i}", 50) for i in range(4)]
    source = FakeSource([*same, job("older", 0)])
    result = scan_kind(
        KIND, source, {}, floor=T0 + timedelta(minutes=49), window_start=T0 + timedelta(minutes=50)
    )
    assert {j.name for j in result.jobs.values()} >= {f"same{i}" for i in range(4)}


def test_a_tracked_job_bedrock_no_longer_knows_is_reported_gone():
    deleted = job("deleted", 0, "InProgress")
    source = FakeSource([job("n1", 10)], page_size=1000)
    result = scan_kind(
        KIND,
        source,
        tracked(deleted),
        floor=deleted.created_at,
        window_start=T0 + timedelta(minutes=5),
    )
    assert [g.arn for g in result.gone] == [deleted.arn]
    assert source.calls == Counter({"list": 1, "describe": 1})


def test_the_first_page_is_small_unless_the_state_knows_more_jobs_in_the_window():
    assert first_page_size(0) == FIRST_PAGE == 50
    assert first_page_size(20) == 50
    assert first_page_size(70) == 140
    assert first_page_size(5_000) == PAGE_SIZE == 1000


def test_the_second_page_is_twice_the_first_and_the_later_ones_full():
    assert [next_page_size(n, first=True) for n in (10, 300, 800)] == [20, 600, 1000]
    assert next_page_size(100, first=False) is None
    assert next_page_size(None, first=True) is None  # a full first page: full pages after it


def _scan_under_a_long_history(new_jobs: int) -> tuple[FakeSource, ScanResult, Job, list[Job]]:
    """A job running for weeks under 2,000 finished ones and ``new_jobs`` new ones in the window,
    on the service's full pages of 1,000, scanned with a first page of ``first_page_size(0)``:
    (source, result, the old job, the new jobs)."""
    old = job("old", 0, "InProgress")
    history = [job(f"h{i}", 100 + i) for i in range(2000)]
    new = [job(f"n{i}", 3000 + i) for i in range(new_jobs)]
    source = FakeSource([old, *history, *new], page_size=1000)
    result = scan_kind(
        KIND,
        source,
        tracked(old),
        floor=old.created_at,
        window_start=T0 + timedelta(minutes=3000),
        first_page=first_page_size(0),
    )
    return source, result, old, new


def test_a_busy_window_is_paged_on_without_reading_the_history_below_it():
    # Given a job running for weeks under 2,000 finished ones, and 145 new jobs in the window
    # When the scan starts with a first page of 50
    source, result, old, new = _scan_under_a_long_history(145)
    # Then the second page is twice the first and reaches below the window: 150 summaries, not
    # the 1,050 of a full second page
    assert source.limits == [50, 100]
    assert {n.arn for n in new} <= set(result.jobs)
    assert result.jobs[old.arn].status == "InProgress"


def test_a_job_running_since_before_a_long_history_costs_a_small_page_and_one_describe():
    # Given a job running for weeks under 2,000 finished ones, and 5 new jobs in the window
    # When the scan asks for a first page of first_page_size(...)
    source, result, old, new = _scan_under_a_long_history(5)
    # Then one page of 50 summaries (not 1,000) covers the window, and the old job is described
    assert source.limits == [FIRST_PAGE]
    assert source.calls == Counter({"list": 1, "describe": 1})
    assert {n.arn for n in new} <= set(result.jobs)
    assert result.jobs[old.arn].status == "InProgress"
    # And it is handed back to be marked: the pages stopped above it
    assert [t.arn for t in result.beyond_first_page] == [old.arn]


def _long_history_with_marked(
    olds: list[Job], marked: bool = True, *, in_account: bool = True, with_recent: bool = True
) -> tuple[FakeSource, ScanResult, Job]:
    """``olds`` (running for weeks, tracked in InProgress, marked ``beyond_first_page`` when
    ``marked``; left out of the account when not ``in_account``: deleted) under 2,000 finished
    jobs, one job running since minute 2990 (tracked, not marked; in the account only
    ``with_recent``) and one new finished job in the window (from minute 3000), scanned from the
    floor ``list_floor`` makes of them: (source, result, the recent running job)."""
    recent = job("recent", 2990, "InProgress")
    history = [job(f"h{i}", 100 + i) for i in range(2000)]
    jobs = [*(olds if in_account else []), *history, job("n0", 3001)]
    source = FakeSource([*jobs, *([recent] if with_recent else [])], page_size=1000)
    known = {arn: t for o in olds for arn, t in tracked(o, marked=marked).items()}
    known |= tracked(recent) if with_recent else {}
    result = scan_from_floor(source, known, T0 + timedelta(minutes=3000), first_page_size(2))
    return source, result, recent


def test_a_job_marked_beyond_the_first_page_is_described_and_the_list_starts_above_it():
    # Given a job running for weeks under 2,000 finished ones, marked beyond the first page
    old = job("old", 0, "InProgress")
    # When the scan runs
    source, result, recent = _long_history_with_marked([old])
    # Then its list starts at the recent running job: 2 summaries read, not a page of 50
    assert source.afters == [recent.created_at - EPSILON]
    assert source.summaries == 2
    # And the old job is described: one list and one Get, as before the mark
    assert source.calls == Counter({"list": 1, "describe": 1})
    assert result.jobs[old.arn].status == "InProgress"
    assert result.beyond_first_page == []  # marked already: nothing to note


def test_without_the_mark_the_same_scan_reads_a_page_of_history():
    # Given the same account, the old job not marked (the mutation check of the test above)
    source, _, _ = _long_history_with_marked([job("old", 0, "InProgress")], marked=False)
    # Then the list starts at the old job and reads a first page of 50
    assert source.afters == [T0 - EPSILON]
    assert source.summaries == FIRST_PAGE
    assert source.calls == Counter({"list": 1, "describe": 1})


def test_marked_jobs_sharing_a_status_are_found_by_one_status_list_bounded_by_the_floor():
    # Given three marked jobs, one of which failed
    olds = [job(f"old{i}", i, "InProgress") for i in range(2)] + [job("old2", 2, "Failed")]
    source, result, recent = _long_history_with_marked(olds)
    # Then one status list finds the two still running, and the failed one is described
    assert source.calls == Counter({"list": 1, "list:InProgress": 1, "describe": 1})
    assert result.jobs[olds[2].arn].status == "Failed"
    assert {o.arn for o in olds} <= set(result.jobs)
    # And the status list spans the marked jobs up to the floor the first list covered
    assert (source.afters[1], source.befores[1]) == (
        T0 - EPSILON,
        recent.created_at + EPSILON,
    )


def test_with_no_unmarked_job_below_the_window_the_status_list_stops_at_the_window():
    # Given two marked jobs and nothing else running: the floor is the window's start
    olds = [job(f"old{i}", i, "InProgress") for i in range(2)]
    source, result, _ = _long_history_with_marked(olds, with_recent=False)
    # Then the list covers the window (from minute 3000), and one status list the marked jobs
    # up to the floor, not up to the oldest job listed (minute 3001)
    assert source.afters[0] == T0 + timedelta(minutes=3000) - EPSILON
    assert source.calls == Counter({"list": 1, "list:InProgress": 1})
    assert source.befores[1] == T0 + timedelta(minutes=3000) + EPSILON
    assert {o.arn for o in olds} <= set(result.jobs)


def test_a_marked_job_the_listing_reaches_anyway_costs_nothing_more():
    # Given a marked job at minute 50 and an unmarked one at minute 0 under 20 finished jobs
    oldest, marked = job("oldest", 0, "InProgress"), job("marked", 50, "InProgress")
    source = FakeSource(
        [oldest, marked, *(job(f"h{i}", 100 + i) for i in range(20))], page_size=1000
    )
    known = tracked(oldest) | tracked(marked, marked=True)
    result = scan_from_floor(source, known, T0 + timedelta(minutes=200), first_page_size(2))
    # Then the list from the unmarked job shows both: no Get, nothing to mark
    assert source.calls == Counter({"list": 1})
    assert {oldest.arn, marked.arn} <= set(result.jobs)
    assert result.beyond_first_page == []


def test_pages_stopping_short_read_marked_and_newly_passed_jobs_apart_together():
    # Given a marked job, an unmarked one from minute 10, and 120 new jobs in the window
    marked, passed = job("marked", 0, "InProgress"), job("passed", 10, "InProgress")
    new = [job(f"n{i}", 3000 + i) for i in range(120)]
    history = [job(f"h{i}", 100 + i) for i in range(2000)]
    source = FakeSource([marked, passed, *history, *new], page_size=1000)
    known = tracked(passed) | tracked(marked, marked=True)
    result = scan_from_floor(source, known, T0 + timedelta(minutes=3000), first_page_size(1))
    # Then pages of 50 and 100 cover the window, one status list finds both running jobs, and
    # only the newly passed one is handed back to be marked
    assert source.limits[:2] == [50, 100]
    assert source.calls == Counter({"list": 2, "list:InProgress": 1})
    assert {marked.arn, passed.arn} <= set(result.jobs)
    assert [t.arn for t in result.beyond_first_page] == [passed.arn]


def test_marked_jobs_inside_what_was_listed_are_described_not_status_listed():
    # Given two marked jobs of one status at minutes 50 and 51, deleted since, and an unmarked
    # running job at minute 0 that holds the floor below them
    oldest = job("oldest", 0, "InProgress")
    gone = [job(f"gone{i}", 50 + i, "InProgress") for i in range(2)]
    source = FakeSource([oldest, job("h0", 100), job("n0", 3001)], page_size=1000)
    known = tracked(oldest) | tracked(gone[0], marked=True) | tracked(gone[1], marked=True)
    result = scan_from_floor(source, known, T0 + timedelta(minutes=3000))
    # Then the listing covered them: each costs a Get (no status list over a range that ends
    # before it starts), and both are reported gone
    assert source.calls == Counter({"list": 1, "describe": 2})
    assert {g.arn for g in result.gone} == {g.arn for g in gone}


def test_a_marked_job_bedrock_no_longer_knows_is_reported_gone():
    # Given a marked job that was deleted (not in the account any more)
    deleted = job("deleted", 0, "InProgress")
    recent = job("recent", 2990, "InProgress")
    source = FakeSource([recent], page_size=1000)
    known = tracked(deleted, marked=True) | tracked(recent)
    result = scan_from_floor(source, known, T0 + timedelta(minutes=3000))
    # Then it is reported gone after one Get
    assert [g.arn for g in result.gone] == [deleted.arn]
    assert source.calls == Counter({"list": 1, "describe": 1})


def test_a_window_larger_than_the_first_page_is_paged_on_with_growing_pages():
    # Given 250 new jobs in the window (a burst the state did not know of)
    new = [job(f"n{i}", 3000 + i) for i in range(250)]
    source = FakeSource([job("h", 0), *new], page_size=1000)
    result = scan_kind(
        KIND, source, {}, floor=None, window_start=T0 + timedelta(minutes=3000), first_page=100
    )
    # Then a page of 100, then one of 200 reaching below the window: every new job seen
    assert source.limits == [100, 200]
    assert {n.arn for n in new} <= set(result.jobs)
