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
threads share one slice of a vCPU: nothing overlaps), plus the requests' latency. The monitor
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.bench import Cell, Options
    from sim.bench_lambda import FunctionConfig

SCAN_THREAD_PREFIX = "scan"
"""The name prefix of the monitor's scan threads (``job_monitor.poll.run``)."""
QUIET_LAMBDA_TARGET_S = 1.0
"""Issue 16, goal 2: a quiet run's modelled Lambda duration at the configured memory."""
BEDROCK_SERVICES = ("bedrock", "bedrock-runtime", "bedrock-agent")
KB = 1024


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
    lambda_s: float

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
        )
        for c in cells
        if c.run == "quiet"
    ]
    return sorted(rows, key=lambda r: (r.history, r.shape))


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
        "| DynamoDB bytes read | client CPU (ms) | Lambda (s) |",
        "|---|---:|:-:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| account-wide (all together) | {r.history:,} | {r.shape} | {r.bedrock_calls} "
            f"| {r.bedrock_bytes / KB:,.1f} KiB "
            f"| {r.dynamodb_requests} | {r.dynamodb_bytes / KB:,.1f} KiB "
            f"| {r.cpu_s * 1000:,.0f} | {r.lambda_s:.2f} |"
        )
    lines += parent_rows
    lines += [
        "",
        "Bytes: the response bodies as botocore receives them (JSON), counted before parsing. "
        f"Latency: a region's scans run on {workers} threads (job_monitor.poll.run), so their "
        "Bedrock requests wait as long as the longest kind's chain of requests, not their sum; "
        "all other requests wait one after another. CPU (all threads) counts in full. "
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
