"""The quiet run's own figures in ``make bench`` (issue 16, goals 2 and 4): what a run that finds
nothing changed costs in modelled Lambda time at the configured memory, and the bytes it reads.

Bytes, not calls, are what cost time in a quiet run: botocore parses every summary of a list page
(about 45 us each on the benchmark machine with the monitor's standard-library timestamp parser,
``job_monitor.adapters.timestamps``; about 300 us each with botocore's default ``dateutil``
parser), and Lambda at 256 MB runs that CPU 6.9 times slower. So the table prints, per run, the
Bedrock response bytes (the JSON bodies the simulator answers with, as they would cross the
network; counted at botocore's ``before-parse``) and the DynamoDB response bytes (moto's JSON
bodies, the same way), beside the calls.

The time model is the benchmark's (``sim.bench``): the monitor's own CPU (process time of all its
threads minus the time inside the simulator and moto, which answer in the requesting thread:
that thread's CPU time between a request's creation and the parsing of its response; botocore's
parsing of the response is the monitor's and stays counted) x the 256 MB slowdown, in full (the
threads share one slice of a vCPU: nothing overlaps), plus the requests' latency. The CPU of a
quiet run is that of the same run made again on one scan thread (``one_thread_cpu``: the
threaded figure is printed beside it). The monitor
makes a region's account-wide scans on ``SCAN_WORKERS`` threads (``job_monitor.poll.run``): each
kind's scan is a chain of requests one after another, and the chains run side by side, so those
requests wait as long as the chains' schedule on the threads (``makespan``: the longest chain
when there are threads enough), not their sum. Every other request (the state's load, claims,
publishes, writes, the describes of a busy run) waits in sequence.

Event-only kinds (Bedrock Data Automation) have no poll figures: they have no list operation, so a
scheduled run never calls for them (their jobs arrive as EventBridge events, ``realtime/``).
Parent-scoped kinds (knowledge-base ingestion, Automated Reasoning policy builds) are measured at
every H and shape by ``sim/bench_parents.py``; ``quiet_text`` prints their rows and the "every
kind enabled" row beside the account-wide kinds' when given them.
"""

from __future__ import annotations

import heapq
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from job_monitor.wiring import SCAN_WORKERS

if TYPE_CHECKING:
    from sim.bench import Cell, Options
    from sim.bench_lambda import FunctionConfig

SCAN_THREAD_PREFIX = "scan"
"""The name prefix of the monitor's scan threads (``job_monitor.poll.run``)."""
QUIET_LAMBDA_TARGET_S = 1.0
"""Issue 16, goal 2: a quiet run's modelled Lambda duration at the configured memory."""
BEDROCK_SERVICES = ("bedrock", "bedrock-runtime", "bedrock-agent")
KB = 1024
ONE_THREAD_RUNS = 3
"""Quiet runs made again on one thread after each measured quiet run (``one_thread_cpu``): the
median of their CPU, plus the scan threads' own cost, is the figure judged."""


@dataclass(frozen=True)
class Asked:
    """What one run asked the services for: Bedrock requests, DynamoDB and SNS requests, and the
    Bedrock response bytes. A quiet run made again asks for exactly the same."""

    bedrock: int
    aws: int
    bedrock_bytes: int


class TableSnapshot:
    """A state table's items as they are now (``pk``/``sk`` keys, ``sim.local``), to put back
    before a quiet run is made again (``restore``): a run with the parent-scoped kinds writes
    the sweep's progress, and the next run would visit other nodes. For the small tables of
    ``sim.bench_parents`` only (a Scan of every item)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._items = self._scan()

    def _scan(self) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("scan").paginate(TableName=self._table)
        return [item for page in pages for item in page["Items"]]

    def restore(self) -> None:
        """Delete the items written since, and put every item back as it was."""
        kept = {(i["pk"]["S"], i["sk"]["S"]) for i in self._items}
        for item in self._scan():
            if (item["pk"]["S"], item["sk"]["S"]) not in kept:
                key = {"pk": item["pk"], "sk": item["sk"]}
                self._dynamodb.delete_item(TableName=self._table, Key=key)
        for start in range(0, len(self._items), 25):  # BatchWriteItem's limit
            puts = [{"PutRequest": {"Item": i}} for i in self._items[start : start + 25]]
            answer = self._dynamodb.batch_write_item(RequestItems={self._table: puts})
            if answer.get("UnprocessedItems"):  # moto processes every item; DynamoDB may not
                raise RuntimeError(f"{self._table}: items not put back: {answer}")


def one_thread_cpu(
    measure: Callable[[], tuple[float, Asked]],
    expected: Asked,
    *,
    scan_tasks: int,
    coordinators: int = 0,
    found: TableSnapshot | None = None,
    left: TableSnapshot | None = None,
    runs: int = ONE_THREAD_RUNS,
) -> float:
    """A measured quiet run's CPU (s), on one thread: the median of ``runs`` calls of
    ``measure``, each making the run again with a monitor on one scan thread
    (``build_monitor(scan_workers=1)``) and returning the monitor's own CPU and what the run
    asked for, plus what the scan threads themselves cost, which that run does not pay
    (``thread_pool_cpu_s`` for ``scan_tasks``, the tasks the measured run gave its scan
    threads, and ``coordinators``, its sweep threads). ``found``: the state table as the
    measured run found it, put back before each run made again (a run with the parent-scoped
    kinds writes the sweep's progress); ``left``: as the measured run left it, put back at the
    end, so the runs after go on from it. Raises RuntimeError when a run asked for other than
    ``expected`` (the measured run's): it would not be the same run.

    Why: the simulator and moto answer in the requesting thread, at once, so the scan threads are
    all busy with CPU together and contend for the interpreter's lock all the time; a Lambda's
    scan threads mostly wait on the network (answers that arrive together still contend there;
    the threaded figure is printed beside this one). On the 2-core benchmark machine, the quiet
    run with every kind enabled at H = 100 (b), 15 rounds each of a threaded run then this
    measure: 82 ms of CPU threaded against 60 ms on one thread (medians), lower in 13 rounds of
    15; a run of a few requests shows no difference. The waits stay modelled from the threaded
    run's chains."""
    cpus = []
    for _ in range(runs):
        if found is not None:
            found.restore()
        cpu, asked = measure()
        if asked != expected:
            raise RuntimeError(
                f"the quiet run made again on one thread asked for {asked}, the measured run "
                f"for {expected}: not the same run, so its CPU cannot stand for it"
            )
        cpus.append(cpu)
    if left is not None:
        left.restore()
    return statistics.median(cpus) + thread_pool_cpu_s(SCAN_WORKERS, scan_tasks, coordinators)


def thread_pool_cpu_s(
    workers: int, tasks: int, coordinators: int = 0, repetitions: int = 7
) -> float:
    """Process CPU (s, median of ``repetitions``) of what a run on ``workers`` scan threads does
    that the same run on one does not (``job_monitor.poll.run``): create the pool (and, with
    ``coordinators``, the parent-scoped kinds' pool of that many sweep threads), hand it
    ``tasks`` tasks and wait for each, shut it down. The first tasks wait for each other (no
    CPU), so the pool starts as many threads as the run's would: ``min(tasks, workers)``."""

    def tasks_on(pool: ThreadPoolExecutor, count: int, threads: int) -> None:
        meeting = threading.Barrier(max(1, min(count, threads)))

        def meet() -> None:
            meeting.wait(timeout=10)

        def rest() -> None:
            return None

        futures = [pool.submit(meet if i < meeting.parties else rest) for i in range(count)]
        for future in futures:
            future.result()

    cpus = []
    for _ in range(repetitions):
        started = time.process_time()
        with ThreadPoolExecutor(workers, thread_name_prefix="bench-pool") as pool:
            if coordinators:
                with ThreadPoolExecutor(coordinators, thread_name_prefix="bench-sweep") as sweeps:
                    tasks_on(sweeps, coordinators, coordinators)
            tasks_on(pool, tasks, workers)
        cpus.append(time.process_time() - started)
    return statistics.median(cpus)


def makespan(chains: Sequence[int], workers: int) -> int:
    """Requests' latencies waited for when ``chains`` (each a number of requests made one after
    another) run on ``workers`` threads, each chain started in order on the first free thread
    (what a ``ThreadPoolExecutor`` does): the latest finish. ``workers`` >= chains: the longest
    chain; 1 worker: their sum."""
    free = [0] * max(1, workers)
    for chain in chains:
        first = heapq.heappop(free)
        heapq.heappush(free, first + chain)
    return max(free)


def bedrock_bytes(response_bytes: dict[str, int]) -> int:
    """Response bytes of the Bedrock services (every job client's), from a run's byte counts by
    botocore service id (``Meter.response_bytes``)."""
    return sum(n for service, n in response_bytes.items() if service in BEDROCK_SERVICES)


@dataclass(frozen=True)
class QuietRow:
    """One quiet run of the monitor: calls, bytes read, CPU and the modelled Lambda duration."""

    history: int
    shape: str
    bedrock_calls: int
    dynamodb_requests: int
    bedrock_bytes: int
    dynamodb_bytes: int
    cpu_s: float
    """The monitor's CPU, seconds, on one thread (``one_thread_cpu``)."""
    lambda_s: float
    threaded_cpu_s: float | None = None
    """The run's CPU as measured with the scan threads (``cpu_s``: on one thread)."""

    @property
    def within_target(self) -> bool:
        return self.lambda_s <= QUIET_LAMBDA_TARGET_S


def quiet_rows(cells: Iterable[Cell], opts: Options, fn: FunctionConfig) -> list[QuietRow]:
    """The monitor's quiet runs of ``cells``, by H then shape."""
    rows = [
        QuietRow(
            history=c.history,
            shape=c.shape,
            bedrock_calls=c.ours.bedrock,
            dynamodb_requests=c.ours.dynamodb,
            bedrock_bytes=bedrock_bytes(c.ours.response_bytes),
            dynamodb_bytes=c.ours.response_bytes.get("dynamodb", 0),
            cpu_s=c.ours.cpu_s,
            lambda_s=c.ours.lambda_s(opts, fn),
            threaded_cpu_s=c.ours.threaded_cpu_s,
        )
        for c in cells
        if c.run == "quiet"
    ]
    return sorted(rows, key=lambda r: (r.history, r.shape))


def cpu_ms(cpu_s: float, threaded_cpu_s: float | None) -> str:
    """A quiet run's CPU cell, ms: the one-thread figure, then the threaded one in parentheses
    (``one_thread_cpu``)."""
    threaded = "" if threaded_cpu_s is None else f" ({threaded_cpu_s * 1000:,.0f})"
    return f"{cpu_s * 1000:,.0f}{threaded}"


def quiet_text(
    rows: Sequence[QuietRow],
    opts: Options,
    fn: FunctionConfig,
    workers: int = 1,
    *,
    parent_rows: Sequence[str] = (),
    parent_note: str = "",
) -> str:
    """The quiet table: the account-wide kinds' runs (all together), then ``parent_rows`` (the
    parent-scoped kinds' and "every kind enabled", ``sim.bench_parents.quiet_parent_rows``,
    explained by ``parent_note``)."""
    lines = [
        f"Quiet runs of the monitor: bytes read, and the modelled Lambda "
        f"duration at {fn.memory_mb} MB = CPU x {fn.cpu_slowdown:.1f} + requests x latency "
        f"({opts.latency_s * 1000:.0f} ms Bedrock, {opts.aws_latency_s * 1000:.0f} ms DynamoDB), "
        f"target <= {QUIET_LAMBDA_TARGET_S:.0f} s:",
        "",
        "| kinds | H per kind | shape | Bedrock calls | Bedrock bytes read | DynamoDB requests "
        f"| DynamoDB bytes read | client CPU, ms: 1 thread ({workers}) | Lambda (s) |",
        "|---|---:|:-:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| account-wide (all together) | {r.history:,} | {r.shape} | {r.bedrock_calls} "
            f"| {r.bedrock_bytes / KB:,.1f} KiB "
            f"| {r.dynamodb_requests} | {r.dynamodb_bytes / KB:,.1f} KiB "
            f"| {cpu_ms(r.cpu_s, r.threaded_cpu_s)} | {r.lambda_s:.2f} |"
        )
    lines += parent_rows
    lines += [
        "",
        "Bytes: the response bodies as botocore receives them (JSON), counted before parsing. "
        f"Latency: a region's scans run on {workers} threads (job_monitor.poll.run), so their "
        "Bedrock requests wait as long as the longest kind's chain of requests, not their sum; "
        "all other requests wait one after another. CPU counts in full: each quiet run is made "
        f"again {ONE_THREAD_RUNS} times by the monitor on one scan thread (the same requests, "
        "checked; the state table put back where the run writes) and the figure is the median "
        "of their CPU plus the scan threads' own cost measured alone (the pools, their threads "
        f"and tasks); in parentheses, the CPU as measured with the {workers} scan threads, "
        "shown, not judged (the simulator and moto answer at once in the requesting thread, so "
        "every scan thread is busy with CPU at the same time, contending for the interpreter's "
        "lock, where threads in Lambda mostly wait on the network). "
        "A scan asks for a small first page (job_monitor.poll.scan.first_page_size) and parses "
        "timestamps with the standard library (job_monitor.adapters.timestamps). "
        "Not in this table: Bedrock Data Automation (event-only: it has no list operation, so a "
        "scheduled run makes no call for it and has no poll figure; its jobs arrive as "
        "EventBridge events).",
    ]
    if parent_note:
        lines += ["", parent_note]
    return "\n".join(lines)


def quiet_target(rows: Sequence[QuietRow]) -> tuple[str, bool | None, str]:
    """(name, verdict, detail) of the target "quiet run <= 1 s of modelled Lambda at every H and
    shape"; None when no quiet run was measured."""
    name = (
        f"Quiet run <= {QUIET_LAMBDA_TARGET_S:.0f} s modelled Lambda at every H and shape "
        "(bytes read printed above)"
    )
    if not rows:
        return name, None, "no quiet run measured"
    worst = max(rows, key=lambda r: r.lambda_s)
    over = [r for r in rows if not r.within_target]
    detail = (
        f"max {worst.lambda_s:.2f} s at H={worst.history:,} ({worst.shape}): "
        f"{worst.bedrock_calls} Bedrock calls, {worst.bedrock_bytes / KB:,.0f} KiB read, "
        f"{worst.cpu_s * 1000:,.0f} ms CPU"
    )
    if over:
        detail += "; over: " + ", ".join(
            f"H={r.history:,} ({r.shape}) {r.lambda_s:.2f} s" for r in over[:4]
        )
    return name, not over, detail


def on_before_parse(
    count: Callable[[str, int], None],
) -> Callable[..., None]:
    """A botocore ``before-parse`` handler that reports (service id, body bytes) of each
    response to ``count`` (streamed bodies, which are not read before parsing, count 0)."""

    def handler(operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
        if operation_model is None or not isinstance(response_dict, dict):
            return
        body = response_dict.get("body")
        size = len(body) if isinstance(body, bytes | bytearray) else 0
        count(operation_model.service_model.service_id.hyphenize(), size)

    return handler
