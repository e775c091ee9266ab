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
Parent-scoped kinds (knowledge-base ingestion, Automated Reasoning policy builds) are measured at a
realistic size by ``quiet_parent_rows`` (``sim/parents.py`` answers them).
"""

from __future__ import annotations

import gc
import heapq
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.bedrock import json_default

if TYPE_CHECKING:
    from job_monitor.domain.kinds import JobKind
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
    rows: Sequence[QuietRow], opts: Options, fn: FunctionConfig, workers: int = 1
) -> str:
    lines = [
        f"Quiet runs of the monitor (all kinds together): bytes read, and the modelled Lambda "
        f"duration at {fn.memory_mb} MB = CPU x {fn.cpu_slowdown:.1f} + requests x latency "
        f"({opts.latency_s * 1000:.0f} ms Bedrock, {opts.aws_latency_s * 1000:.0f} ms DynamoDB), "
        f"target <= {QUIET_LAMBDA_TARGET_S:.0f} s:",
        "",
        "| H per kind | shape | Bedrock calls | Bedrock bytes read | DynamoDB requests "
        "| DynamoDB bytes read | client CPU (ms) | Lambda (s) |",
        "|---:|:-:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.history:,} | {r.shape} | {r.bedrock_calls} | {r.bedrock_bytes / KB:,.1f} KiB "
            f"| {r.dynamodb_requests} | {r.dynamodb_bytes / KB:,.1f} KiB "
            f"| {r.cpu_s * 1000:,.0f} | {r.lambda_s:.2f} |"
        )
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


# -- parent-scoped kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParentRun:
    """One run of the monitor with one parent-scoped kind enabled (``measure_parent_kinds``)."""

    kind: str
    run: str
    bedrock_calls: int
    bedrock_bytes: int
    dynamodb_requests: int
    sns: int
    cpu_s: float
    lambda_s: float
    published: int


@dataclass(frozen=True)
class ParentSize:
    """A realistic account: a few knowledge bases with two data sources each, a few Automated
    Reasoning policies, each with a history of finished jobs and a couple running."""

    knowledge_bases: int = 5
    sources: int = 2
    policies: int = 3
    history: int = 40
    """Finished jobs per data source / per policy."""
    running: int = 2
    """Jobs running per kind at the baseline (the busy run finishes them)."""
    new: int = 3
    """New jobs per kind in the busy run."""


def measure_parent_kinds(
    size: ParentSize, latency_s: float, aws_latency_s: float, fn: FunctionConfig
) -> list[ParentRun]:
    """Quiet and busy runs of the monitor with each parent-scoped kind alone (``sim/parents.py``
    answers them), measured as ``sim.bench`` measures the others. ``sim/parents.py`` answers
    at botocore's ``before-call``, so no HTTP body is parsed: here the answer is serialized to
    JSON (the bytes read; its time is the simulator's) and parsed by botocore's own rest-json
    parser with the monitor's timestamp parser (its time is the monitor's: it would parse it)."""
    from job_monitor.domain.kinds import AUTOMATED_REASONING_BUILD, KNOWLEDGE_BASE_INGESTION  # noqa: PLC0415

    return [
        run
        for kind in (KNOWLEDGE_BASE_INGESTION, AUTOMATED_REASONING_BUILD)
        for run in _measure_parent_kind(kind.name, size, latency_s, aws_latency_s, fn)
    ]


def _populate(
    sim: Any, kind: JobKind, size: ParentSize, clock: Any
) -> tuple[list[Callable[[str], None]], Callable[[], None]]:
    """The parents, their finished history and the running jobs of ``kind``; returns a setter
    of each running job's status and a starter of the busy run's new jobs."""
    running: list[Callable[[str], None]] = []
    clock.advance(days=-30)
    if kind.service == "bedrock-agent":
        leaves = []
        for i in range(size.knowledge_bases):
            kb = sim.add_knowledge_base(f"kb-{i}")
            leaves += [(kb, sim.add_data_source(kb, f"source-{j}")) for j in range(size.sources)]
        for _ in range(size.history):
            clock.advance(minutes=30)
            for kb, ds in leaves:
                sim.set_ingestion_status(kb, ds, sim.start_ingestion_job(kb, ds), "COMPLETE")
        clock.advance(days=10)
        for kb, ds in leaves[: size.running]:
            job = sim.start_ingestion_job(kb, ds, "IN_PROGRESS")
            running.append(
                lambda s, kb=kb, ds=ds, job=job: sim.set_ingestion_status(kb, ds, job, s)
            )
        return running, lambda: [sim.start_ingestion_job(kb, ds) for kb, ds in leaves[: size.new]]
    policies = [sim.add_policy(f"policy-{i}") for i in range(size.policies)]
    for _ in range(size.history):
        clock.advance(minutes=30)
        for arn in policies:
            sim.set_build_status(arn, sim.start_build(arn), "COMPLETED")
    clock.advance(days=10)
    for arn in policies[: size.running]:
        build = sim.start_build(arn)
        sim.set_build_status(arn, build, "BUILDING")
        running.append(lambda s, arn=arn, build=build: sim.set_build_status(arn, build, s))
    return running, lambda: [sim.start_build(arn) for arn in policies[: size.new]]


class _ParentProbe:
    """Times the parent-scoped simulator (its CPU is not the monitor's) and makes up for the
    parsing it skips: each answer is serialized to JSON (counted as bytes read; the
    serialization's time is the simulator's) and parsed by botocore's rest-json parser with the
    monitor's timestamp parser (the monitor's time: it would parse that body)."""

    def __init__(self, sim: Any) -> None:
        from botocore.parsers import ResponseParserFactory  # noqa: PLC0415

        from job_monitor.adapters.timestamps import parse_timestamp  # noqa: PLC0415

        factory = ResponseParserFactory()
        factory.set_parser_defaults(timestamp_parser=parse_timestamp)
        self._parser = factory.create_parser("rest-json")
        self._sim = sim
        self.sim_s = 0.0
        self.body_bytes = 0
        answer = sim._on_call  # wrapped before the first attach registers it

        def timed_answer(**kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return answer(**kwargs)
            finally:
                self.sim_s += time.thread_time() - started

        sim._on_call = timed_answer

    def reset(self) -> None:
        self.sim_s = 0.0
        self.body_bytes = 0

    def watch(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(
            f"after-call.{service}", self._parse, unique_id="bench-quiet-parse"
        )

    def _parse(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name not in self._sim.calls:
            return  # not a parent-scoped operation (the bedrock client's other kinds)
        started = time.thread_time()
        content = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        body = json.dumps(content, default=json_default).encode()
        self.sim_s += time.thread_time() - started
        self.body_bytes += len(body)
        self._parser.parse({"body": body, "headers": {}, "status_code": 200}, model.output_shape)


def _measure_parent_kind(
    kind_name: str, size: ParentSize, latency_s: float, aws_latency_s: float, fn: FunctionConfig
) -> list[ParentRun]:
    from job_monitor.domain.kinds import REGISTRY  # noqa: PLC0415
    from sim.bench import Meter  # noqa: PLC0415
    from sim.local import local_account  # noqa: PLC0415

    kind = REGISTRY[kind_name]
    runs: list[ParentRun] = []
    with local_account(validate_requests=False) as acct:
        sim = acct.parents
        settings = acct.settings(kinds=(kind,))
        clock = acct.clock
        running, start_new = _populate(sim, kind, size, clock)
        meter = Meter()
        for service in ("dynamodb", "sns"):
            meter.attach(acct.clients[service])
        probe = _ParentProbe(sim)

        def once(label: str) -> ParentRun:
            monitor = acct.monitor(settings)
            probe.watch(monitor.regions[0].sources[kind.service].client)
            calls_before = sum(sim.calls.values())
            meter.reset()
            probe.reset()
            gc.collect()
            gc.freeze()  # as sim.bench does: the simulated account's objects are not the monitor's
            try:
                cpu = time.process_time()
                report = monitor.run()
                cpu = time.process_time() - cpu
            finally:
                gc.unfreeze()
            calls = sum(sim.calls.values()) - calls_before
            own = max(0.0, cpu - probe.sim_s - meter.server_s)
            waits = calls * latency_s + (meter.dynamodb + meter.sns) * aws_latency_s
            return ParentRun(
                kind=kind.name,
                run=label,
                bedrock_calls=calls,
                bedrock_bytes=probe.body_bytes,
                dynamodb_requests=meter.dynamodb,
                sns=meter.sns,
                cpu_s=own,
                lambda_s=own * fn.cpu_slowdown + waits,
                published=len(report.published),
            )

        acct.monitor(settings).run()  # baseline
        for _ in range(2):  # the sweep finds the running jobs (K = 1 at this size)
            clock.advance(minutes=5)
            acct.monitor(settings).run()
        clock.advance(minutes=5)
        runs.append(once("quiet"))
        clock.advance(minutes=4)
        done = sorted(kind.terminal_statuses - {"FAILED", "CANCELLED", "STOPPED"})[0]
        for index, finish in enumerate(running):
            finish("FAILED" if index == 0 else done)
        start_new()
        clock.advance(minutes=1)
        runs.append(once("busy"))
    return runs


def parents_text(
    runs: Sequence[ParentRun], size: ParentSize, quiet: Sequence[QuietRow] = ()
) -> str:
    lines = [
        f"Parent-scoped kinds (sim/parents.py), each alone: {size.knowledge_bases} knowledge "
        f"bases x {size.sources} data sources, {size.policies} Automated Reasoning policies, "
        f"{size.history} finished jobs per data source or policy; busy: {size.running} running "
        f"jobs finish (1 failed), {size.new} new. Their parents and leaves are listed one after "
        "another (the bounded sweep, job_monitor.poll.sweep), after the account-wide kinds' "
        "scans; Lambda (s) is what they add to a run.",
        "",
        "| kind | run | Bedrock calls | Bedrock bytes read | DynamoDB requests | SNS publishes "
        "| client CPU (ms) | Lambda (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.kind} | {r.run} | {r.bedrock_calls} | {r.bedrock_bytes / KB:,.1f} KiB "
            f"| {r.dynamodb_requests} | {r.sns} | {r.cpu_s * 1000:,.0f} | {r.lambda_s:.2f} |"
        )
    added = sum(r.lambda_s for r in runs if r.run == "quiet")
    if quiet:
        worst = max(quiet, key=lambda r: r.lambda_s)
        total = worst.lambda_s + added
        verdict = "within" if total <= QUIET_LAMBDA_TARGET_S else "NOT within"
        lines += [
            "",
            f"With both enabled at this size, the slowest quiet run above (H={worst.history:,}, "
            f"shape ({worst.shape}), {worst.lambda_s:.2f} s) becomes about {total:.2f} s: "
            f"{verdict} the {QUIET_LAMBDA_TARGET_S:.0f} s of goal 2 (the quiet-run target "
            "above covers the account-wide kinds; the sweep's leaves are listed one after "
            "another, each with a full page).",
        ]
    return "\n".join(lines)
