"""The quiet-run section of the benchmark (sim/bench_quiet.py) at a small size, so the quiet
target, its arithmetic and what it measures are checked in CI.

A history of 120 jobs per kind is enough to put the long-running job of shape (b) below the
scan's small first page (120 + 4 running > 50): the case that used to parse a page of 1,000.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from job_monitor.wiring import SCAN_WORKERS
from sim import bench, bench_parents, bench_quiet
from sim.bench_lambda import function_config
from sim.bench_parents import (
    QUIET_NOTE,
    ParentSize,
    every_kind_target,
    measure_for_run,
    quiet_parent_rows,
    sweep_calls_target,
    with_sums,
)
from sim.bench_quiet import (
    ONE_THREAD_RUNS,
    QUIET_LAMBDA_TARGET_S,
    Asked,
    QuietRow,
    TableSnapshot,
    bedrock_bytes,
    makespan,
    one_thread_cpu,
    quiet_rows,
    quiet_target,
    quiet_text,
)
from sim.local import TABLE_NAME, LocalAccount, local_account

SMALL = [
    "--history", "120",
    "--running", "4", "--new", "3", "--transitions", "2", "--failures", "1",
    "--jobs", "1", "--cold-start-reps", "0", "--no-memory", "--naive-real-max", "0",
]  # fmt: skip


TINY = [
    "--history", "20", "--kinds", "evaluation", "model-copy",
    "--running", "2", "--new", "1", "--transitions", "1", "--failures", "1",
    "--jobs", "1", "--cold-start-reps", "0", "--no-memory", "--naive-real-max", "0",
]  # fmt: skip
"""Two account-wide kinds (the second one's scan runs on a scan thread) at H = 20."""

PARENTS = ParentSize(knowledge_bases=1, sources=2, policies=2, running=1, new=1)


@pytest.fixture(scope="module")
def measured() -> tuple[bench.Options, list[bench.Cell]]:
    opts, _ = bench.parse_args(SMALL)
    opts = replace(opts, every_kind=PARENTS)
    return opts, bench.run_all(opts, workers=1)


def test_quiet_runs_are_within_a_second_and_read_little(measured):
    # Given every simulated kind at H=120 in both shapes
    opts, cells = measured
    rows = quiet_rows(cells, opts, function_config())
    # Then both quiet runs pass the target, and the bytes read are printed per run
    assert [(r.history, r.shape) for r in rows] == [(120, "a"), (120, "b")]
    _, passed, detail = quiet_target(rows)
    assert passed, detail
    a, b = rows
    kinds = len(opts.kinds)
    # Shape (a): one list per kind, each of the few recent jobs; shape (b): a first page of at
    # most 50 summaries per kind and a describe of the long-running job (1 KiB of JSON or so
    # per summary: 9 kinds x 50 summaries stay far below 9 pages of 1,000)
    assert a.bedrock_calls == kinds
    assert b.bedrock_calls == 2 * kinds
    assert 0 < a.bedrock_bytes < b.bedrock_bytes < kinds * 60 * 1024
    assert a.dynamodb_requests == 1 and a.dynamodb_bytes > 0
    text = quiet_text(rows, opts, function_config(), 10)
    assert "Bedrock bytes read" in text and "Data Automation (event-only" in text
    assert "| client CPU, ms: 1 thread (10) |" in text


def test_quiet_rows_print_both_cpu_figures_and_busy_runs_keep_the_threaded_one(measured):
    # Given the quiet and busy runs as measured (that a quiet run's judged CPU is the one-thread
    # figure: test_the_judged_cpu_of_every_quiet_row_is_the_one_thread_figure)
    opts, cells = measured
    fn = function_config()
    # Then a busy run has only its threaded CPU, and a quiet run keeps it beside the other
    assert all(c.ours.threaded_cpu_s is None for c in cells if c.run == "busy")
    quiet = [c for c in cells if c.run == "quiet"]
    assert quiet and all(c.ours.threaded_cpu_s for c in quiet)
    assert all(c.every_kind is not None and c.every_kind.threaded_cpu_s for c in quiet)
    # and the quiet table prints both, one thread first: "| 31 (44) |"
    text = quiet_text(quiet_rows(cells, opts, fn), opts, fn, 10)
    cells_printed = re.findall(r"^\| account-wide .*\| (\d+) \((\d+)\) \| [\d.]+ \|$", text, re.M)
    expected = [
        (f"{c.ours.cpu_s * 1000:,.0f}", f"{c.ours.threaded_cpu_s * 1000:,.0f}")  # type: ignore[operator]
        for c in sorted(quiet, key=lambda c: (c.history, c.shape))
    ]
    assert cells_printed == expected


class RecordingSnapshot:
    def __init__(self, name: str, events: list[str]) -> None:
        self.name, self.events = name, events

    def restore(self) -> None:
        self.events.append(f"restore {self.name}")


def test_one_thread_cpu_is_the_median_of_runs_on_the_state_found_plus_the_threads_cost(
    monkeypatch,
):
    # Given a measured quiet run that asked for 18 Bedrock and 1 DynamoDB requests, 8 of them
    # on its scan threads, and scan threads that cost 1 ms
    monkeypatch.setattr(bench_quiet, "thread_pool_cpu_s", lambda workers, tasks, _: tasks / 8000)
    asked = Asked(bedrock=18, aws=1, bedrock_bytes=93_000)
    events: list[str] = []
    cpus = iter([0.09, 0.05, 0.04])

    def made_again() -> tuple[float, Asked]:
        events.append("run")
        return next(cpus), asked

    # When it is made again on one thread
    figure = one_thread_cpu(
        made_again,
        asked,
        scan_tasks=8,
        found=RecordingSnapshot("found", events),  # type: ignore[arg-type]
        left=RecordingSnapshot("left", events),  # type: ignore[arg-type]
    )
    # Then the figure is the median of the runs, plus the threads' cost
    assert ONE_THREAD_RUNS == 3 and figure == pytest.approx(0.05 + 0.001)
    # and each run started from the state the measured run found; the state it left is put back
    assert events == ["restore found", "run"] * 3 + ["restore left"]
    # and a run made again that asked for anything else stops the benchmark
    other = replace(asked, bedrock_bytes=40_000)
    with pytest.raises(RuntimeError, match="not the same run"):
        one_thread_cpu(lambda: (0.05, other), asked, scan_tasks=0)


def test_the_thread_pools_cost_is_measured_with_as_many_threads_as_the_run_started(monkeypatch):
    # Given the pools recorded as they shut down
    started: list[tuple[str, int]] = []

    class RecordingPool(ThreadPoolExecutor):
        def shutdown(self, *args: Any, **kwargs: Any) -> None:
            started.append((self._thread_name_prefix, len(self._threads)))
            super().shutdown(*args, **kwargs)

    monkeypatch.setattr(bench_quiet, "ThreadPoolExecutor", RecordingPool)
    # When the cost of 10 scan threads given 4 tasks, and 2 sweep threads, is measured once
    cpu = bench_quiet.thread_pool_cpu_s(10, 4, coordinators=2, repetitions=1)
    # Then the scan pool started a thread per task, the sweeps' pool one per coordinator
    assert cpu >= 0
    assert sorted(started) == [("bench-pool", 4), ("bench-sweep", 2)]


MARKER_CPU_S = 0.0123
"""The one-thread CPU a fake ``one_thread_cpu`` returns (``test_the_judged_cpu_...``)."""


def test_the_judged_cpu_of_every_quiet_row_is_the_one_thread_figure(monkeypatch):
    # Given one_thread_cpu replaced by one that makes the run again once, records the scan
    # workers of the monitors built meanwhile, and returns a marker
    built: list[int] = []
    inside = [False]
    monitor = LocalAccount.monitor

    def recording_monitor(self, *args, scan_workers=SCAN_WORKERS, **kwargs):
        if inside[0]:
            built.append(scan_workers)
        return monitor(self, *args, scan_workers=scan_workers, **kwargs)

    states: list[tuple[bool, bool]] = []

    def fake(measure, expected, *, scan_tasks, coordinators=0, found=None, left=None):
        states.append((found is not None, left is not None))
        inside[0] = True
        try:
            if found is not None:
                found.restore()
            assert measure()[1] == expected
            if left is not None:
                left.restore()
        finally:
            inside[0] = False
        return MARKER_CPU_S

    monkeypatch.setattr(LocalAccount, "monitor", recording_monitor)
    monkeypatch.setattr(bench, "one_thread_cpu", fake)
    monkeypatch.setattr(bench_parents, "one_thread_cpu", fake)
    opts, _ = bench.parse_args(TINY)
    opts = replace(opts, every_kind=PARENTS)
    fn = function_config()
    # When the quiet and busy runs are measured, the parent kinds' and every kind's too
    cells = bench.run_all(opts, workers=1)
    parents = measure_for_run(PARENTS, opts, fn)
    # Then every quiet figure judged is the one-thread one, made by monitors on one thread;
    # the runs that write (the parent kinds' sweep) from the state the measured run found, and
    # leaving the state it left; the account-wide kinds' run writes nothing
    assert built and set(built) == {1}
    assert set(states) == {(False, False), (True, True)}
    assert states.count((False, False)) == sum(c.run == "quiet" for c in cells)
    for cell in cells:
        o = cell.ours
        if cell.run == "busy":
            assert o.cpu_s != MARKER_CPU_S and o.threaded_cpu_s is None
            continue
        assert o.cpu_s == MARKER_CPU_S and o.threaded_cpu_s not in (None, MARKER_CPU_S)
        assert o.lambda_s(opts, fn) == pytest.approx(
            MARKER_CPU_S * fn.cpu_slowdown + o.waiting_s(opts)
        )
        every = cell.every_kind
        assert every is not None and every.cpu_s == MARKER_CPU_S
        assert every.lambda_s == pytest.approx(MARKER_CPU_S * fn.cpu_slowdown + every.wait_s)
    for run in parents:
        if run.run == "busy":
            assert run.cpu_s != MARKER_CPU_S and run.threaded_cpu_s is None
            continue
        waits = run.wall_s - run.cpu_s
        assert run.cpu_s == MARKER_CPU_S and waits > 0
        assert run.lambda_s == pytest.approx(MARKER_CPU_S * fn.cpu_slowdown + waits)


def test_a_table_snapshot_puts_back_the_items_a_run_changed_added_or_deleted():
    # Given a state table holding 30 items (more than one BatchWriteItem), snapshotted
    with local_account() as acct:
        dynamodb = acct.clients["dynamodb"]

        def put(sk: str, value: str) -> None:
            item = {"pk": {"S": "p"}, "sk": {"S": sk}, "v": {"S": value}}
            dynamodb.put_item(TableName=TABLE_NAME, Item=item)

        def items() -> list[dict[str, object]]:
            return sorted(dynamodb.scan(TableName=TABLE_NAME)["Items"], key=str)

        for sk in ("a", "c", *(f"x{i:02}" for i in range(28))):
            put(sk, "before")
        before = items()
        snapshot = TableSnapshot(dynamodb, TABLE_NAME)
        # When a run changes every item, adds one and deletes one
        for item in before:
            put(str(item["sk"]["S"]), "after")  # type: ignore[index]
        put("d", "new")
        dynamodb.delete_item(TableName=TABLE_NAME, Key={"pk": {"S": "p"}, "sk": {"S": "c"}})
        snapshot.restore()
        # Then the table is as it was
        assert items() == before


def test_a_monitor_on_one_scan_thread_makes_every_request_on_the_calling_thread():
    # Given a simulated account whose monitor has taken its baseline
    with local_account() as acct:
        threads: list[str] = []
        acct.clients["bedrock"].meta.events.register(
            "before-call.bedrock", lambda **_: threads.append(threading.current_thread().name)
        )
        acct.monitor().run()
        # When a run is made by the default monitor, then by one on one scan thread
        acct.clock.advance(minutes=5)
        threads.clear()
        acct.monitor().run()
        threaded = set(threads)
        acct.clock.advance(minutes=5)
        threads.clear()
        acct.monitor(scan_workers=1).run()
    # Then the first made its scans on the scan threads, the second every request in place
    assert any(name.startswith("scan") for name in threaded)
    assert set(threads) == {threading.current_thread().name}


def test_the_scans_are_modelled_as_concurrent_chains(measured):
    # Given the quiet runs as measured: each kind's scan ran on a scan thread
    opts, cells = measured
    quiet_b = next(c for c in cells if c.run == "quiet" and c.shape == "b").ours
    # Then the chains are the per-kind requests (2 each) of every kind (the first kind's scan
    # starts with the others: poll.run), and the waits count the longest chain
    assert quiet_b.chains == (2,) * len(opts.kinds)
    waited = quiet_b.waiting_s(opts)
    assert waited == pytest.approx(2 * opts.latency_s + quiet_b.dynamodb * opts.aws_latency_s)
    # and without threads the same requests would wait in sequence
    sequential = replace(quiet_b, chains=())
    assert sequential.waiting_s(opts) == pytest.approx(
        quiet_b.bedrock * opts.latency_s + quiet_b.dynamodb * opts.aws_latency_s
    )


def test_makespan_schedules_chains_in_order_on_the_first_free_thread():
    assert makespan([], 10) == 0
    assert makespan([2, 2, 2], 10) == 2
    assert makespan([2, 2, 2], 1) == 6
    assert makespan([3, 1, 1, 1], 2) == 3  # 3 | 1+1+1
    assert makespan([1, 3, 2], 2) == 3  # 1+2 | 3
    assert makespan([2] * 11, 10) == 4  # the eleventh waits for a thread


def test_the_target_fails_above_a_second_and_names_the_run():
    def row(shape: str, seconds: float) -> QuietRow:
        return QuietRow(1_000, shape, 18, 210_000, 1, 56_000, 0.05, seconds)

    _, passed, detail = quiet_target([row("a", 0.3), row("b", QUIET_LAMBDA_TARGET_S + 0.01)])
    assert passed is False and "H=1,000 (b) 1.01 s" in detail
    assert quiet_target([row("a", 0.3), row("b", QUIET_LAMBDA_TARGET_S)])[1] is True
    assert quiet_target([])[1] is None


def test_bedrock_bytes_count_every_bedrock_service_and_nothing_else():
    counted = {"bedrock": 10, "bedrock-runtime": 5, "bedrock-agent": 1, "dynamodb": 100}
    assert bedrock_bytes(counted) == 16


def test_every_kind_enabled_is_judged_at_every_h_and_shape(measured):
    # Given every simulated account-wide kind at H=120 and both parent-scoped kinds at the
    # same H and shapes (1 knowledge base with 2 data sources, 2 policies, 1 running job each),
    # one monitor with every kind enabled measured in each account after its quiet runs
    opts, cells = measured
    fn = function_config()
    parents = measure_for_run(PARENTS, opts, fn)
    quiet = quiet_rows(cells, opts, fn)
    every = with_sums([c.every_kind for c in cells if c.every_kind is not None], quiet, parents)
    # Then every (H, shape) has its every-kind figure, one run making the separate runs' calls
    assert [(e.history, e.shape) for e in every] == [(120, "a"), (120, "b")]
    for e, q in zip(every, quiet, strict=True):
        # the knowledge base's 4 nodes (+ a Get for shape (b)'s old job, not on its data
        # source's first page of LEAF_FIRST_PAGE) and the policies' 3
        old_job_get = 1 if e.shape == "b" else 0
        assert e.bedrock_calls == e.summed_calls == q.bedrock_calls + 4 + old_job_get + 3
        assert e.published == 0 and e.summed_lambda_s is not None
    # and the target judges each of them
    _, passed, detail = every_kind_target(every)
    assert passed is all(e.lambda_s <= QUIET_LAMBDA_TARGET_S for e in every), detail
    _, passed, detail = sweep_calls_target(parents)
    assert passed, detail
    text = quiet_text(
        quiet, opts, fn, 10, parent_rows=quiet_parent_rows(parents, every), parent_note=QUIET_NOTE
    )
    assert "| **every kind enabled** (one monitor, median of 3 runs) | 120 | b |" in text
    assert "| knowledge-base-ingestion | 120 | a |" in text
    assert "Every kind enabled (one monitor)" in text
