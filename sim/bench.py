"""Benchmark: cost per run against account history, side by side with a naive poller
(``make bench``).

For each history size H (jobs per kind, every kind of the registry the simulator knows), in two
shapes: (a) A running jobs per kind, all started within the last hour; (b) the same plus one job
per kind running since before the whole history. In each account it runs the real monitor
(``LocalAccount.monitor()``: the Lambda's wiring, real boto3 clients, moto for DynamoDB and SNS,
the Bedrock simulator) and, on the same simulator and the same moto table, the naive poller of
``sim/naive.py``. After a baseline run of each it measures:

* quiet: nothing changed since the last run;
* busy: N new jobs and T transitions (F of them failures) per kind since the last run.

Each run is made twice, the same way: once for counts and time, once under tracemalloc for the
peak memory (tracemalloc slows Python down several times, so it never times a run). Busy runs get
their memory round in shape (a) at the smallest and largest H only (moto's conditional writes
under tracemalloc take most of a minute per busy run). The peak is the monitor's own
(``sim.bench_memory``): what moto and the simulator allocate and free while answering a request
is left out (in Lambda that memory is AWS's); what they keep is counted, so it is an upper bound.

Figures per run: Bedrock requests (as received by the simulator, retries included), DynamoDB and
SNS requests (botocore ``before-parameter-build``, the same hook for both designs), simulated wall
time, and peak memory. Simulated wall time is *accounted, not slept*: the process CPU time of the
run minus the CPU time spent inside the simulated services (the Bedrock simulator and moto,
between a request's creation and the parsing of its response) and in the benchmark's own counting
hooks (``Meter.excluded_s``), plus a fixed latency per request
(``--latency-ms`` for Bedrock, ``--aws-latency-ms`` for DynamoDB and SNS). A quiet run's CPU is
the median of the same run made again three times by the monitor on one scan thread, its
requests checked to be the same, plus the scan threads' own cost measured alone
(``sim.bench_quiet.one_thread_cpu``: in process, the scan threads contend for CPU as they
mostly would not in Lambda); its waits are the threaded run's.

The naive poller reads the whole history every run, which the simulator and moto serve at about
0.5 ms per job: it runs for real in shape (a) up to ``--naive-real-max`` jobs per kind. Elsewhere
(above that size, and in shape (b), which for it is shape (a) plus one job per kind) its figures
are modelled from its real runs at the two largest sizes (marked ``~``): list calls and Query
pages by their exact page arithmetic (1,000 jobs per list page, 1 MB per Query page, with the
record size measured), Gets, writes and publishes as measured (they do not depend on history),
CPU time and memory extrapolated linearly in H. So the ">= 100x at H = 100,000" target rests on
page arithmetic, and says so. ``--naive-real-kind KIND`` (opt-in, about 5 minutes more: moto
serves 100,000 records slowly) also runs the naive poller for real at H = 100,000 for that one kind
(shape (a), quiet run, counts only), and checks the same target on the measured counts.

The parent-scoped kinds (knowledge-base ingestion, Automated Reasoning builds; ``--parents``,
the default) are measured at every H and shape too, each alone in its own account
(``sim/bench_parents.py``): their rows join the quiet and busy tables, their quiet calls are
judged against ``sweep_budget``, their naive poller is modelled by page arithmetic, and the
latency table gets a running job's and an idle leaf's rows. "Every kind enabled" is one quiet run
of one monitor with every polled kind enabled, in each (H, shape) account after its quiet runs
(the parents added at the same H and shape, its own state table: ``measure_every_kind``), judged
against the quiet-run second; the sum of the three separate quiet runs is printed beside it as a
cross-check.

Cold start (``sim/bench_lambda.py``): (a) a bare ``import boto3``, (b) the same plus the three
clients the monitor builds, (c) the handler module's import, (d) the handler's import plus its
first invocation's clients, each in fresh interpreters. Two targets: the issue's, (c) against
(a); and the whole cold start (the handler defers boto3 to the first invocation), (d) against
(b), what any function building the same clients pays. (d) against (a) is printed too.

The SDK layer (``sim/bench_lambda.py``, ``sdk_layer_cost``): requirements/sdk.txt built with the
synth's own pip command (``infra.wheels``), its size zipped and unzipped against Lambda's 250 MB
limit, and (e) the handler's import + its clients with boto3/botocore taken from the layer without
bytecode (as Lambda loads it), interleaved with (d). Two targets: the layer's share of the limit,
and (e) against (d).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from job_monitor.domain.kinds import FAILURE_STATUSES, REGISTRY, JobKind
from job_monitor.wiring import SCAN_WORKERS, services
from sim import bench_busy, bench_cost, bench_latency, bench_memory, bench_parents
from sim.bedrock import SPECS, BedrockSimulator
from sim.bench_cost import PRICES
from sim.bench_lambda import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    MB,
    SDK_LAYER_COLD_START_TARGET,
    SDK_LAYER_SHARE_TARGET,
    ColdStart,
    FunctionConfig,
    SdkLayerCost,
    cold_start,
    function_config,
    sdk_layer_cost,
)
from sim.bench_parents import EveryKind, ParentRun, ParentSize
from sim.bench_quiet import (
    SCAN_THREAD_PREFIX,
    Asked,
    bedrock_bytes,
    makespan,
    on_before_parse,
    one_thread_cpu,
    quiet_rows,
    quiet_target,
    quiet_text,
)
from sim.bench_sweep import SweepFigures, measure_sweep, sweep_text
from sim.local import REGION, TABLE_NAME, LocalAccount, local_account
from sim.naive import PAGE_SIZE, NaivePoller

DEFAULT_HISTORY = (100, 1_000, 10_000, 100_000)
SHAPES = {"a": "A running, all recent", "b": "+1 running since before history"}
RUNS = ("quiet", "busy")
QUERY_PAGE_BYTES = 1_000_000
"""DynamoDB's 1 MB page (moto uses 1,000,000 bytes)."""
RATIO_TARGET = 100
RATIO_AT = 100_000
COLD_START_TARGET = 1.5
UNMEASURED = -1
"""Peak memory not measured (nor modelled: the real runs it would be modelled from were not)."""


@dataclass(frozen=True)
class Options:
    history: tuple[int, ...]
    kinds: tuple[str, ...]
    latency_s: float
    aws_latency_s: float
    running: int
    new: int
    transitions: int
    failures: int
    naive_real_max: int
    memory: bool = True
    naive_real_kind: str | None = None
    """Also run the naive poller for real at H=100,000 for this kind alone (opt-in)."""
    delivery_batch: int = bench_busy.DELIVERY_BATCH
    """The monitor's ``delivery_batch`` setting (``sim.bench_busy``)."""
    every_kind: ParentSize | None = None
    """The parents of the "every kind enabled" quiet run, measured in each account after its
    quiet runs (``sim.bench_parents.measure_every_kind``); None: not measured."""


# -- measuring ------------------------------------------------------------------------------------


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers approximated by digits)."""
    return sum(len(name) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind in ("S", "B"):
        return len(data.encode() if isinstance(data, str) else data)
    if kind == "N":
        return len(str(data)) // 2 + 1
    if kind == "M":
        return 3 + item_bytes(data)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in data)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in data)
    return 1


class Meter:
    """Counts one design's AWS requests, the DynamoDB capacity units they use and the CPU time
    that is not the design's (``excluded_s``), from botocore events on its clients."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.excluded_s = 0.0
        """CPU seconds to take off a run's process time: spent inside the simulated services
        (moto, ``sim/bedrock.py``) and in this meter's own counting hooks, which run on the
        design's threads (sizing a Query's items takes a few ms a run)."""
        self._lock = threading.Lock()
        self.rru = 0.0
        self.wru = 0.0
        self.bytes_read = 0
        self.response_bytes: Counter[str] = Counter()
        """Response body bytes by botocore service id (``sim.bench_quiet``)."""
        self.on_scan_threads: Counter[str] = Counter()
        """Requests made on the monitor's scan threads (``poll.run``), by operation name."""
        self._started: dict[int, float] = {}
        self._consistent = False

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        events.register(f"before-parameter-build.{service}", self._excluded(self._before_call))
        events.register_last(f"request-created.{service}", self._start)
        events.register(f"before-parse.{service}", self._stop)
        count_bytes = on_before_parse(self._count_bytes)
        events.register(f"before-parse.{service}", self._excluded(count_bytes))
        events.register(f"after-call.{service}", self._excluded(self._after_call))
        return bench_memory.exclude_service_calls(client)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def _excluded(self, hook: Callable[..., None]) -> Callable[..., None]:
        """``hook``, its own CPU time (on the calling thread) added to ``excluded_s``."""

        def timed(**kwargs: Any) -> None:
            started = time.thread_time()
            try:
                hook(**kwargs)
            finally:
                self._add(time.thread_time() - started)

        return timed

    def _add(self, seconds: float) -> None:
        with self._lock:  # the scan threads count at the same time
            self.excluded_s += seconds

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_id.hyphenize()
        with self._lock:  # the scan threads count at the same time
            self.requests[f"{service}.{model.name}"] += 1
            if threading.current_thread().name.startswith(SCAN_THREAD_PREFIX):
                self.on_scan_threads[model.name] += 1
        self._consistent = bool(params.get("ConsistentRead"))
        if service != "dynamodb":
            return
        if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.wru += 1  # every item the designs write is under 1 KB
        elif model.name == "BatchWriteItem":
            self.wru += sum(len(v) for v in params["RequestItems"].values())
        elif model.name == "TransactWriteItems":
            self.wru += bench_busy.transaction_write_units(params)

    def _after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name not in ("Query", "GetItem", "Scan"):
            return
        items = parsed.get("Items") or ([parsed["Item"]] if "Item" in parsed else [])
        size = sum(item_bytes(i) for i in items)
        self.bytes_read += size
        self.rru += max(1, math.ceil(size / 4096)) * (1.0 if self._consistent else 0.5)

    def _count_bytes(self, service: str, size: int) -> None:
        with self._lock:
            self.response_bytes[service] += size

    # The simulator and moto answer in the thread that sends the request, so the time inside
    # them is that thread's CPU time between the two events (process time would also count the
    # other threads' work meanwhile, which is the monitor's).
    def _start(self, **_: Any) -> None:
        self._started[threading.get_ident()] = time.thread_time()

    def _stop(self, **_: Any) -> None:
        started = self._started.pop(threading.get_ident(), None)
        if started is not None:
            self._add(time.thread_time() - started)

    @property
    def dynamodb(self) -> int:
        return sum(n for k, n in self.requests.items() if k.startswith("dynamodb."))

    @property
    def sns(self) -> int:
        return sum(n for k, n in self.requests.items() if k.startswith("sns."))


@dataclass
class Figures:
    """One design's figures for one run."""

    bedrock: int
    bedrock_by_kind: dict[str, int]
    dynamodb: int
    query_pages: int
    sns: int
    cpu_s: float
    """The monitor's own CPU, seconds: process time less the simulator's, moto's and the
    meter's hooks' (``Meter.excluded_s``); for a quiet run, made again on one thread
    (``threaded_cpu_s``)."""
    peak_bytes: int
    rru: float
    wru: float
    bytes_read: int = 0
    modelled: bool = False
    response_bytes: dict[str, int] = field(default_factory=dict)
    """Response body bytes by service (``sim.bench_quiet``)."""
    chains: tuple[int, ...] = ()
    """Bedrock requests per kind made on the scan threads, in the kinds' order: concurrent
    chains, each one kind's requests one after another (``sim.bench_quiet.makespan``)."""
    threaded_cpu_s: float | None = None
    """A quiet run's CPU as measured with the scan threads, printed beside ``cpu_s``, which is
    then the same run's made again on one thread (``sim.bench_quiet.one_thread_cpu``); None:
    ``cpu_s`` is the threaded run's (busy runs)."""

    @property
    def asked(self) -> Asked:
        """What the run asked for, to check that a run made again is the same run."""
        return Asked(self.bedrock, self.dynamodb + self.sns, bedrock_bytes(self.response_bytes))

    @property
    def requests(self) -> int:
        return self.bedrock + self.dynamodb + self.sns

    def waiting_s(self, opts: Options) -> float:
        """Requests x latency, one after another, except the scans' Bedrock requests: those
        wait as long as the longest schedule of their per-kind chains on ``SCAN_WORKERS``."""
        sequential = self.bedrock - sum(self.chains)
        bedrock = sequential + makespan(self.chains, SCAN_WORKERS)
        return bedrock * opts.latency_s + (self.dynamodb + self.sns) * opts.aws_latency_s

    def wall_s(self, opts: Options) -> float:
        return self.cpu_s + self.waiting_s(opts)

    def lambda_s(self, opts: Options, fn: FunctionConfig) -> float:
        """Estimated Lambda duration: CPU slowed to the function's share of a vCPU."""
        return self.cpu_s * fn.cpu_slowdown + self.waiting_s(opts)


@dataclass
class Cell:
    """One (history, shape, run): the monitor's figures and the naive poller's."""

    history: int
    shape: str
    run: str
    ours: Figures
    naive: Figures | None = None
    naive_listed: dict[str, int] = field(default_factory=dict)
    naive_records: dict[str, int] = field(default_factory=dict)
    naive_record_bytes: float = 0.0
    traced: bool = True
    """Whether peak memory was measured."""
    every_kind: EveryKind | None = None
    """A quiet cell's "every kind enabled" run in the same account (``Options.every_kind``)."""


def _measure(
    action: Callable[[], Any], meter: Meter, sim: BedrockSimulator, kinds: Sequence[JobKind]
) -> tuple[Figures, Any]:
    operation_kind = {}
    for kind in kinds:
        operation_kind[kind.list_action.removeprefix(f"{kind.iam_prefix}:")] = kind.name
        operation_kind[kind.detail_action.removeprefix(f"{kind.iam_prefix}:")] = kind.name
    sim.reset_calls()
    meter.reset()
    # The objects alive before the run (the simulator's jobs, moto's tables: hundreds of
    # thousands at H = 100,000) are not the monitor's: frozen, the garbage collector does not
    # traverse them during the run, as in Lambda, whose heap holds only the monitor's objects.
    gc.collect()
    gc.freeze()
    try:
        cpu = time.process_time()
        result = action()
        cpu = time.process_time() - cpu
    finally:
        gc.unfreeze()
    by_kind = Counter(operation_kind.get(name, "?") for name, _ in sim.calls)
    scanned: Counter[str] = Counter()
    for operation, n in meter.on_scan_threads.items():
        scanned[operation_kind.get(operation, "?")] += n
    figures = Figures(
        bedrock=len(sim.calls),
        bedrock_by_kind={k.name: by_kind[k.name] for k in kinds},
        dynamodb=meter.dynamodb,
        query_pages=meter.requests["dynamodb.Query"],
        sns=meter.sns,
        cpu_s=max(0.0, cpu - meter.excluded_s),
        peak_bytes=0,
        rru=meter.rru,
        wru=meter.wru,
        bytes_read=meter.bytes_read,
        response_bytes=dict(meter.response_bytes),
        chains=tuple(scanned[k.name] for k in kinds if scanned[k.name]),
    )
    return figures, result


def _traced_peak(action: Callable[[], Any]) -> tuple[int, Any]:
    """The monitor's peak bytes, without the simulated services' (``sim.bench_memory``)."""
    return bench_memory.traced_peak(action)


def _merge(timed: Figures, traced: Figures, peak: int) -> Figures:
    """Counts: the larger of the two rounds (targets hold for both); time from the untraced
    round; memory from the traced one."""
    return replace(
        timed,
        bedrock=max(timed.bedrock, traced.bedrock),
        bedrock_by_kind={
            k: max(n, traced.bedrock_by_kind.get(k, 0)) for k, n in timed.bedrock_by_kind.items()
        },
        dynamodb=max(timed.dynamodb, traced.dynamodb),
        sns=max(timed.sns, traced.sns),
        peak_bytes=peak,
    )


# -- one simulated account ------------------------------------------------------------------------


def _end_statuses(kind: JobKind, initial: str) -> tuple[str, str]:
    """(a failure status, a success status) of the kind. A kind whose only terminal status is a
    failure (provisioned throughput, deployments) succeeds by reaching its last running status
    (InService, Active)."""
    failure = "Failed" if "Failed" in kind.statuses else sorted(FAILURE_STATUSES & kind.statuses)[0]
    done = sorted(kind.terminal_statuses - FAILURE_STATUSES)
    if "Completed" in done:
        return failure, "Completed"
    if done:
        return failure, done[0]
    later = [s for s in kind.running_order if s != initial]
    return failure, later[-1]


class Account:
    """One simulated account with both designs watching it."""

    def __init__(self, acct: LocalAccount, opts: Options, history: int, shape: str) -> None:
        self.acct = acct
        self.opts = opts
        self.kinds = [REGISTRY[name] for name in opts.kinds]
        self.running: dict[str, list[str]] = {k.name: [] for k in self.kinds}
        self.rounds = 0
        clock = acct.clock
        history_end = clock.now - timedelta(hours=2)
        step = timedelta(days=30) / max(history, 1)
        for kind in self.kinds:
            statuses = sorted(kind.terminal_statuses)
            for i in reversed(range(history)):  # oldest first: the simulator appends
                acct.bedrock.create_job(
                    kind.name,
                    f"old-{i}",
                    status=statuses[i % len(statuses)],
                    created_at=history_end - step * i,
                )
            if shape == "b":
                acct.bedrock.create_job(
                    kind.name, "long-runner", created_at=history_end - timedelta(days=31)
                )
            for i in range(opts.running):
                self.running[kind.name].append(
                    acct.bedrock.create_job(
                        kind.name,
                        f"recent-{i}",
                        created_at=clock.now - timedelta(minutes=60) + timedelta(seconds=90 * i),
                    )
                )
        self.ours_meter = Meter()
        for service in ("bedrock", "dynamodb", "sns"):
            self.ours_meter.attach(acct.clients[service])
        other_services = [s for s in services(self.kinds) if s != "bedrock"]  # bedrock-runtime
        for service in other_services:
            self.ours_meter.attach(acct.job_client(service))
        self.naive_meter = Meter()
        session = boto3.session.Session(region_name=REGION)
        quick = Config(retries={"mode": "standard", "max_attempts": 3})
        self.naive = NaivePoller(
            self.kinds,
            bedrock=self.naive_meter.attach(acct.bedrock.attach(session.client("bedrock"))),
            other_clients={
                service: self.naive_meter.attach(acct.bedrock.attach(session.client(service)))
                for service in other_services
            },
            dynamodb=self.naive_meter.attach(session.client("dynamodb", config=quick)),
            sns=self.naive_meter.attach(session.client("sns", config=quick)),
            table_name=TABLE_NAME,
            topic_arn=acct.topic_arn,
            clock=clock,
        )

    def run_ours(self, scan_workers: int = SCAN_WORKERS) -> Any:
        # A new Monitor per run, as the handler builds one per invocation.
        settings = self.acct.settings(
            kinds=tuple(self.kinds), delivery_batch=self.opts.delivery_batch
        )
        return self.acct.monitor(settings, scan_workers=scan_workers).run()

    def on_one_thread(self, ours: Figures) -> Figures:
        """``ours`` (a measured quiet run) with its CPU measured again on one scan thread
        (``sim.bench_quiet.one_thread_cpu``), the threaded figure kept beside it. Nothing is put
        back between the runs: a quiet run of the account-wide kinds writes nothing (its one
        write, a job's beyond-first-page mark, is made by the run before), and a run that asked
        for anything else stops the benchmark."""

        def measure() -> tuple[float, Asked]:
            sim, meter = self.acct.bedrock, self.ours_meter
            again, _ = _measure(lambda: self.run_ours(scan_workers=1), meter, sim, self.kinds)
            return again.cpu_s, again.asked

        # one task per kind scanned on the scan threads (poll.run)
        cpu = one_thread_cpu(measure, ours.asked, scan_tasks=len(ours.chains))
        return replace(ours, cpu_s=cpu, threaded_cpu_s=ours.cpu_s)

    def busy_changes(self) -> None:
        """N new jobs and T transitions (F failures) per kind, over the last five minutes."""
        self.rounds += 1
        clock = self.acct.clock
        clock.advance(minutes=4)
        for kind in self.kinds:
            failure, done = _end_statuses(kind, SPECS[kind.name].initial_status)
            ending = self.running[kind.name][: self.opts.transitions]
            del self.running[kind.name][: self.opts.transitions]
            for i, arn in enumerate(ending):
                failed = i < self.opts.failures
                self.acct.bedrock.set_status(
                    arn,
                    failure if failed else done,
                    failure_message="Simulated failure: bad input" if failed else None,
                )
            for i in range(self.opts.new):
                self.running[kind.name].append(
                    self.acct.bedrock.create_job(
                        kind.name,
                        f"new-{self.rounds}-{i}",
                        created_at=clock.now - timedelta(seconds=200 * i / max(self.opts.new, 1)),
                    )
                )
        clock.advance(minutes=1)

    def measure(
        self, with_naive: bool, traced: bool, quiet: bool = False
    ) -> tuple[Figures, Figures | None, Any]:
        """Measure the state as it is: both designs, one after the other. Traced: under
        tracemalloc, for the peak memory (its CPU time is then not used). Quiet (untraced):
        the monitor's CPU is measured again on one thread (``on_one_thread``)."""
        sim = self.acct.bedrock

        def one(action: Callable[[], Any], meter: Meter) -> tuple[Figures, Any]:
            if not traced:
                return _measure(action, meter, sim, self.kinds)
            peak, (figures, result) = _traced_peak(lambda: _measure(action, meter, sim, self.kinds))
            figures.peak_bytes = peak
            return figures, result

        ours, _ = one(self.run_ours, self.ours_meter)
        if quiet and not traced:
            ours = self.on_one_thread(ours)
        if not with_naive:
            return ours, None, None
        naive, report = one(self.naive.run, self.naive_meter)
        return ours, naive, report


def run_account(opts: Options, history: int, shape: str) -> list[Cell]:
    """Build one account (history H, shape), take both baselines, then measure a quiet run and a
    busy run, each twice: counted and timed, then counted and traced."""
    # The naive poller runs in shape (a) only: in shape (b) it does the same work plus one job
    # per kind, which the model adds (it lists everything anyway).
    with_naive = history <= opts.naive_real_max and shape == "a"
    cells = []
    with local_account(validate_requests=False) as acct:
        account = Account(acct, opts, history, shape)
        account.run_ours()
        # The first run after the baseline also sends the overdue alerts the history's long
        # running jobs are due (once each, by the default thresholds); the quiet run measures
        # a run after that.
        acct.clock.advance(minutes=5)
        account.run_ours()
        if with_naive:
            account.naive.run()
        for run in RUNS:
            rounds = []
            # The memory round of a busy run is made in shape (a), at the smallest and largest
            # H only: under tracemalloc, moto takes most of a minute for the run's ~1,300
            # conditional writes (the busy run does not depend on H; the (b) one is the (a) one
            # plus one Get per kind).
            ends = (min(opts.history), max(opts.history))
            memory = opts.memory and (run == "quiet" or (shape == "a" and history in ends))
            for traced in (False, True) if memory else (False,):
                if run == "busy":
                    account.busy_changes()
                else:
                    acct.clock.advance(minutes=5)
                rounds.append(account.measure(with_naive, traced, quiet=run == "quiet"))
            (ours_1, naive_1, report), (ours_2, naive_2, _) = rounds[0], rounds[-1]
            cell = Cell(history, shape, run, _merge(ours_1, ours_2, ours_2.peak_bytes))
            cell.traced = memory
            if naive_1 is not None and naive_2 is not None:
                cell.naive = _merge(naive_1, naive_2, naive_2.peak_bytes)
                cell.naive_listed = dict(report.listed)
                cell.naive_records = dict(report.records)
                records = sum(report.records.values())
                cell.naive_record_bytes = naive_1.bytes_read / records if records else 0.0
            if run == "quiet" and opts.every_kind is not None:
                # Before the busy run: the account as the quiet run found it (its own state
                # table; the clock is set back after it)
                cell.every_kind = bench_parents.measure_every_kind(
                    acct,
                    account.ours_meter,
                    account.kinds,
                    opts.every_kind,
                    history=history,
                    shape=shape,
                    latency_s=opts.latency_s,
                    aws_latency_s=opts.aws_latency_s,
                    fn=function_config(),
                    delivery_batch=opts.delivery_batch,
                )
            cells.append(cell)
    return cells


# -- the naive poller above the size it is run at --------------------------------------------------


def model_naive(cells: list[Cell]) -> None:
    """Fill in the naive poller's figures where it was not run (see the module docstring):
    shape (a) above ``--naive-real-max``, and shape (b) everywhere (shape (a) plus one job)."""
    for run in RUNS:
        real = sorted(
            (c for c in cells if c.shape == "a" and c.run == run and c.naive is not None),
            key=lambda c: c.history,
        )
        if len(real) < 2:
            continue
        low, high = real[-2], real[-1]
        span = high.history - low.history
        for cell in cells:
            if cell.run == run and cell.naive is None:
                jobs = cell.history + (1 if cell.shape == "b" else 0)
                cell.naive = _extrapolate(low, high, span, jobs)


def _extrapolate(low: Cell, high: Cell, span: int, history: int) -> Figures:
    ref = high.naive
    assert ref is not None and low.naive is not None
    grow = history - high.history
    listed = {k: n + grow for k, n in high.naive_listed.items()}
    records = {k: n + grow for k, n in high.naive_records.items()}
    list_calls = {k: max(1, math.ceil(n / PAGE_SIZE)) for k, n in listed.items()}
    ref_list_calls = {k: max(1, math.ceil(n / PAGE_SIZE)) for k, n in high.naive_listed.items()}
    record_bytes = high.naive_record_bytes
    pages = sum(max(1, math.ceil(n * record_bytes / QUERY_PAGE_BYTES)) for n in records.values())
    extra_bytes = sum(records.values()) - sum(high.naive_records.values())
    return Figures(
        bedrock=ref.bedrock + sum(list_calls.values()) - sum(ref_list_calls.values()),
        bedrock_by_kind={
            k: ref.bedrock_by_kind[k] + list_calls[k] - ref_list_calls[k] for k in list_calls
        },
        dynamodb=ref.dynamodb - ref.query_pages + pages,
        query_pages=pages,
        sns=ref.sns,
        cpu_s=ref.cpu_s + (ref.cpu_s - low.naive.cpu_s) / span * grow,
        peak_bytes=(
            int(ref.peak_bytes + (ref.peak_bytes - low.naive.peak_bytes) / span * grow)
            if low.traced and high.traced
            else UNMEASURED
        ),
        rru=ref.rru + 0.5 * extra_bytes * record_bytes / 4096,
        wru=ref.wru,
        modelled=True,
    )


# -- the naive poller for real at scale, one kind ------------------------------------------------


@dataclass
class NaiveMeasured:
    """The naive poller run for real at one history size, for one kind alone (opt-in)."""

    kind: str
    history: int
    figures: Figures
    seconds: float


def measure_naive(opts: Options, history: int, kind: str) -> NaiveMeasured:
    """Shape (a), one kind: the naive poller's baseline (a record per job), then a quiet run,
    counted (Bedrock calls, DynamoDB requests), not traced. The monitor is not run here: its
    figure for the kind comes from the full account at the same H."""
    started = time.perf_counter()
    one = replace(opts, kinds=(kind,))
    with local_account() as acct:
        account = Account(acct, one, history, "a")
        account.naive.run()
        acct.clock.advance(minutes=5)
        figures, _ = _measure(account.naive.run, account.naive_meter, acct.bedrock, account.kinds)
    seconds = time.perf_counter() - started
    print(
        f"  measured the naive poller for real at H={history:,}, {kind} alone, in {seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return NaiveMeasured(kind, history, figures, seconds)


# -- targets --------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    passed: bool | None
    detail: str
    basis: str = ""
    """What the verdict rests on, when not only on measured runs (printed next to it)."""

    @property
    def verdict(self) -> str:
        word = {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]
        return f"{word} ({self.basis})" if self.basis and self.passed is not None else word


def targets(
    cells: list[Cell],
    opts: Options,
    cold: ColdStart | None,
    measured: NaiveMeasured | None = None,
    layer: SdkLayerCost | None = None,
) -> list[Target]:
    kinds = [REGISTRY[k] for k in opts.kinds]
    by_key = {(c.history, c.shape, c.run): c for c in cells}
    out = []

    def check(name: str, problems: list[str], checked: int) -> None:
        out.append(
            Target(
                name,
                None if not checked else not problems,
                "; ".join(problems[:4]) or f"{checked} checks",
            )
        )

    def over(shape: str, run: str, bound: Callable[[JobKind, Cell], int]) -> list[str]:
        problems = []
        for cell in (c for c in cells if c.shape == shape and c.run == run):
            for kind in kinds:
                got, limit = cell.ours.bedrock_by_kind[kind.name], bound(kind, cell)
                if got > limit:
                    problems.append(f"H={cell.history:,} {kind.name}: {got} > {limit}")
        return problems

    quiet_a = [c for c in cells if c.shape == "a" and c.run == "quiet"]
    check(
        "Quiet run, shape (a): 1 Bedrock call per kind at every H",
        over("a", "quiet", lambda k, c: 1),
        len(quiet_a) * len(kinds),
    )
    quiet_b = [c for c in cells if c.shape == "b" and c.run == "quiet"]
    check(
        "Quiet run, shape (b): at most 1 + non-terminal statuses per kind",
        over("b", "quiet", lambda k, c: 1 + len(k.non_terminal_statuses)),
        len(quiet_b) * len(kinds),
    )

    def extra(kind: JobKind) -> int:
        # One Get per failure, and one per completion of a kind whose results only the detail
        # response has (a customization's losses, an evaluation's output: detail_statuses).
        _, done = _end_statuses(kind, SPECS[kind.name].initial_status)
        completions = opts.transitions - opts.failures if done in kind.detail_statuses else 0
        return math.ceil(opts.new / 1000) + opts.failures + completions

    busy_problems = []
    busy = [c for c in cells if c.run == "busy"]
    for shape in SHAPES:
        busy_problems += over(
            shape,
            "busy",
            lambda k, c: (
                by_key[(c.history, c.shape, "quiet")].ours.bedrock_by_kind[k.name] + extra(k)
            ),
        )
    check(
        "Busy run: quiet figure + ceil(N/1000) + 1 per failure + 1 per completion whose results "
        f"only the Get has, per kind (N={opts.new}, T={opts.transitions}, F={opts.failures})",
        busy_problems,
        len(busy) * len(kinds),
    )
    quiet = [c for c in cells if c.run == "quiet"]
    check(
        "DynamoDB: at most 2 requests in a quiet run at every H",
        [f"H={c.history:,} ({c.shape}): {c.ours.dynamodb}" for c in quiet if c.ours.dynamodb > 2],
        len(quiet),
    )
    at = by_key.get((RATIO_AT, "a", "quiet"))
    if at is None or at.naive is None:
        out.append(Target(f"Naive/ours Bedrock calls >= {RATIO_TARGET}x", None, "H not run"))
    else:
        ratio = at.naive.bedrock / max(at.ours.bedrock, 1)
        out.append(
            Target(
                f"Naive/ours Bedrock calls at H={RATIO_AT:,}, shape (a), quiet run: "
                f">= {RATIO_TARGET}x",
                ratio >= RATIO_TARGET,
                f"{at.naive.bedrock:,} / {at.ours.bedrock:,} = {ratio:,.0f}x",
                (
                    f"modelled: page arithmetic, naive run for real up to H={opts.naive_real_max:,}"
                    if at.naive.modelled
                    else "measured"
                ),
            )
        )
    one = f"Same, one kind alone, naive run for real at H={RATIO_AT:,}: >= {RATIO_TARGET}x"
    if measured is None or at is None:
        out.append(
            Target(one, None, "not run (opt-in: --naive-real-kind KIND, about 5 minutes more)")
        )
    else:
        ours = at.ours.bedrock_by_kind[measured.kind]
        ratio = measured.figures.bedrock / max(ours, 1)
        out.append(
            Target(
                one.replace("one kind alone", measured.kind),
                ratio >= RATIO_TARGET,
                f"{measured.figures.bedrock:,} / {ours:,} = {ratio:,.0f}x Bedrock calls; "
                f"DynamoDB requests {measured.figures.dynamodb:,} / {at.ours.dynamodb:,} "
                f"(ours: all kinds together); naive run took {measured.seconds:,.0f} s",
                "measured",
            )
        )
    # The target, as written: the handler module's import against a bare boto3 import.
    # It fails if the module loads boto3, botocore's client machinery or anything heavy at import.
    literal = f"Handler import <= {COLD_START_TARGET}x bare `import boto3`"
    # What a cold start really pays also includes the first invocation's clients; every boto3
    # function that builds the same three clients pays (b), so our own overhead is (d) / (b).
    whole = (
        f"Cold start (handler import + its 3 clients) <= {COLD_START_TARGET}x `import boto3` "
        "+ the same 3 clients"
    )
    if cold is None:
        out.append(Target(literal, None, "not measured"))
        out.append(Target(whole, None, "not measured"))
    else:
        ms = 1000
        out.append(
            Target(
                literal,
                cold.paired_handler_ratio <= COLD_START_TARGET,
                f"{cold.paired_handler_ratio:.2f}x (median of {cold.repetitions} interleaved "
                f"rounds' (c) / (a); the medians: {cold.handler_s * ms:.0f} ms / "
                f"{cold.boto3_s * ms:.0f} ms = {cold.handler_s / cold.boto3_s:.2f}x)",
            )
        )
        out.append(
            Target(
                whole,
                cold.paired_ratio_to_clients <= COLD_START_TARGET,
                f"{cold.paired_ratio_to_clients:.2f}x (median of {cold.repetitions} interleaved "
                f"rounds' (d) / (b); the medians: {cold.handler_clients_s * ms:.0f} ms / "
                f"{cold.boto3_clients_s * ms:.0f} ms = {cold.ratio_to_clients:.2f}x); against a "
                "bare `import boto3` "
                f"({cold.boto3_s * ms:.0f} ms) it is {cold.ratio:.2f}x, of which building the "
                f"clients alone is {cold.boto3_clients_s / cold.boto3_s:.2f}x",
            )
        )
    out.extend(sdk_layer_targets(layer))
    return out


def sdk_layer_targets(layer: SdkLayerCost | None) -> list[Target]:
    """The SDK layer's size against Lambda's limit, and what it adds to a cold start."""
    size = (
        f"SDK layer <= {SDK_LAYER_SHARE_TARGET:.0%} of Lambda's "
        f"{LAMBDA_UNZIPPED_LIMIT_BYTES // MB} MB unzipped limit"
    )
    time = (
        f"SDK layer cold start (SDK from the layer, no bytecode, as Lambda loads it) <= "
        f"{SDK_LAYER_COLD_START_TARGET}x the same with a precompiled SDK"
    )
    if layer is None:
        return [Target(size, None, "not measured"), Target(time, None, "not measured")]
    ms = 1000
    return [
        Target(
            size,
            layer.limit_share <= SDK_LAYER_SHARE_TARGET,
            f"{layer.unzipped_bytes / MB:.1f} MB unzipped ({layer.limit_share:.1%}), "
            f"{layer.zipped_bytes / MB:.1f} MB zipped, {layer.files:,} files",
        ),
        Target(
            time,
            layer.paired_ratio <= SDK_LAYER_COLD_START_TARGET,
            f"{layer.paired_ratio:.2f}x (median of {layer.repetitions} interleaved rounds' "
            f"ratios; the medians: {layer.handler_clients_s * ms:.0f} ms / "
            f"{layer.precompiled_s * ms:.0f} ms = {layer.ratio:.2f}x, +{layer.added_s * ms:.0f} "
            "ms)",
        ),
    ]


# -- printing -------------------------------------------------------------------------------------


def _ratio(naive: float, ours: float) -> str:
    if ours == 0:
        return "-" if naive == 0 else "inf"
    return f"{naive / ours:,.1f}x" if naive / ours < 10 else f"{naive / ours:,.0f}x"


def _triple(ours: float, naive: float | None, fmt: str, modelled: bool) -> str:
    if naive is None or naive < 0:
        return f"{ours:{fmt}} / n.m."
    mark = "~" if modelled else ""
    return f"{ours:{fmt}} / {mark}{naive:{fmt}} / {_ratio(naive, ours)}"


def print_results(cells: list[Cell], opts: Options, fn: FunctionConfig) -> None:
    lat = opts.latency_s
    print(
        "Per run, all kinds together: ours / naive / naive:ours (~ = naive modelled, see below)\n"
    )
    print(
        "| H per kind | shape | run | Bedrock calls | DynamoDB requests | SNS publishes "
        "| simulated wall (ms) | peak memory (MiB) |"
    )
    print("|---:|:-:|---|---|---|---|---|---|")
    for c in sorted(cells, key=lambda c: (c.history, c.shape, RUNS.index(c.run))):
        n, o = c.naive, c.ours
        m = bool(n and n.modelled)
        memory = (
            _triple(o.peak_bytes / MB, n and n.peak_bytes / MB, ",.1f", m)
            if c.traced
            else "not measured"
        )
        print(
            f"| {c.history:,} | {c.shape} | {c.run} "
            f"| {_triple(o.bedrock, n and n.bedrock, ',', m)} "
            f"| {_triple(o.dynamodb, n and n.dynamodb, ',', m)} "
            f"| {_triple(o.sns, n and n.sns, ',', m)} "
            f"| {_triple(o.wall_s(opts) * 1000, n and n.wall_s(opts) * 1000, ',.0f', m)} "
            f"| {memory} |"
        )
    print()
    kinds = ", ".join(opts.kinds)
    print(
        f"Kinds ({len(opts.kinds)}): {kinds}. A={opts.running} running per kind; busy: "
        f"N={opts.new} new + T={opts.transitions} transitions ({opts.failures} failures) per "
        f"kind. Latency {lat * 1000:.0f} ms per Bedrock request, "
        f"{opts.aws_latency_s * 1000:.0f} ms per DynamoDB or SNS request, accounted, not slept: "
        "wall = client CPU time (process time minus time inside the simulator, moto and the "
        "benchmark's counting hooks; a "
        "quiet run's made again on one scan thread, sim/bench_quiet.py) + requests x latency. "
        "Peak memory: tracemalloc over the run, a separate round of the "
        "same run (for busy runs in shape (a) only), outside the simulated services' answers: "
        "what moto and the simulator allocate and free while answering a request is not "
        "counted (in Lambda it is AWS's memory; moto's TransactWriteItems copies the items a "
        "transaction names), what they keep (stored items, published messages) is, so the "
        "figure is an upper bound of the monitor's (sim/bench_memory.py)."
    )
    if any(c.naive and c.naive.modelled for c in cells):
        print(
            f"~ Naive poller above H={opts.naive_real_max:,}: not run (it reads every job and "
            "record each run: ~0.5 ms per job in the simulator + moto), nor in shape (b) (shape "
            "(a) plus one job per kind). Modelled from its real runs in shape (a) at the two "
            "largest H run: list calls = ceil(jobs/1000) per kind, Query pages "
            "= ceil(records x measured record size / 1 MB), Gets/writes/publishes as measured, "
            "CPU time and memory linear in H."
        )


def print_lambda(
    cells: list[Cell],
    opts: Options,
    fn: FunctionConfig,
    cold: ColdStart | None,
    layer: SdkLayerCost | None = None,
) -> None:
    print(
        f"\nLambda at the configured {fn.memory_mb} MB ({fn.architecture}, timeout "
        f"{fn.timeout_s} s; infra/constructs/monitor.py, cdk.json): duration = CPU x "
        f"{fn.cpu_slowdown:.1f} (1,769 MB = 1 vCPU; a quiet run's CPU on one scan thread, a busy "
        "run's on the scan threads) + requests x latency; memory = peak RSS of "
        "a fresh interpreter that imported the handler and built its clients + the run's traced "
        "peak outside the simulated services' answers.\n"
    )
    base = cold.base_rss_bytes if cold else 0
    print(
        "| H per kind | shape | run | duration ours / naive (s) | max memory ours / naive (MB) "
        "| headroom ours / naive (MB) |"
    )
    print("|---:|:-:|---|---|---|---|")
    for c in sorted(cells, key=lambda c: (c.history, c.shape, RUNS.index(c.run))):
        o, n = c.ours, c.naive
        mem_o = (base + o.peak_bytes) / MB
        dur_o = o.lambda_s(opts, fn)
        mem_ours = f"{mem_o:,.0f}" if c.traced else "n.m."
        room_ours = f"{fn.memory_mb - mem_o:,.0f}" if c.traced else "n.m."
        if n is None:
            naive_dur = naive_mem = naive_room = "n.a."
        else:
            mark = "~" if n.modelled else ""
            dur_n = n.lambda_s(opts, fn)
            mem_n = (base + n.peak_bytes) / MB
            traced = c.traced and n.peak_bytes != UNMEASURED
            late = " (over timeout)" if dur_n > fn.timeout_s else ""
            naive_dur = f"{mark}{dur_n:,.2f}{late}"
            naive_mem = f"{mark}{mem_n:,.0f}" if traced else "n.m."
            naive_room = f"{mark}{fn.memory_mb - mem_n:,.0f}" if traced else "n.m."
        print(
            f"| {c.history:,} | {c.shape} | {c.run} | {dur_o:,.2f} / {naive_dur} "
            f"| {mem_ours} / {naive_mem} | {room_ours} / {naive_room} |"
        )
    if cold:
        print(f"\n{cold_start_text(cold)}")
    if layer:
        print(f"\n{sdk_layer_text(layer)}")


def sdk_layer_text(layer: SdkLayerCost) -> str:
    ms = 1000
    sdk = ", ".join(f"{name} {version}" for name, version in layer.pins.items())
    return (
        f"SDK layer (requirements/sdk.txt: {sdk}), built as the synth builds it: "
        f"{layer.files:,} files, {layer.unzipped_bytes / MB:.1f} MB unzipped "
        f"({layer.limit_share:.1%} of Lambda's {LAMBDA_UNZIPPED_LIMIT_BYTES // MB} MB for a "
        f"function and its layers), {layer.zipped_bytes / MB:.1f} MB zipped. Cold start, median "
        f"of {layer.repetitions} fresh interpreters each: the handler's import + its first "
        f"invocation's clients with boto3/botocore from the layer and no bytecode (the layer "
        f"ships none and /opt is read-only, so Lambda compiles the SDK modules it imports) "
        f"{layer.handler_clients_s * ms:.0f} ms, against {layer.precompiled_s * ms:.0f} ms with "
        f"the same versions precompiled (d): +{layer.added_s * ms:.0f} ms, {layer.ratio:.2f}x. "
        f"The handler's import alone (c) still loads no SDK (tests/unit/test_cold_start.py); the "
        f"cost falls on the first invocation, with the clients."
    )


def cold_start_text(cold: ColdStart) -> str:
    ms = 1000
    return (
        f"Cold start, median of {cold.repetitions} fresh interpreters each (only functions/ on "
        f"the path): (a) bare `import boto3` {cold.boto3_s * ms:.0f} ms; (b) `import boto3` + "
        f"the same 3 clients (Bedrock, DynamoDB, SNS) {cold.boto3_clients_s * ms:.0f} ms; (c) "
        f"the handler module's import alone {cold.handler_s * ms:.0f} ms (it does not import "
        f"boto3); (d) the handler's import + its first invocation's clients (`_clients()`) "
        f"{cold.handler_clients_s * ms:.0f} ms. What a cold start of the monitor pays is (d): "
        f"{cold.ratio:.2f}x (a), {cold.ratio_to_clients:.2f}x (b)."
    )


def print_costs(cells: list[Cell], opts: Options, fn: FunctionConfig) -> tuple[bool, str] | None:
    """The quiet month of the default stack (``sim.bench_cost``: counts from the synthesized
    template and the code), with the quiet run measured at the largest H, shape (a); returns
    goal 3's (passed, detail), or None when no quiet run of shape (a) was measured."""
    quiet = [c for c in cells if c.shape == "a" and c.run == "quiet"]
    verdict = None
    if quiet:
        c = max(quiet, key=lambda c: c.history)
        o = c.ours
        with tempfile.TemporaryDirectory() as out:
            bill, run = bench_cost.measure(
                Path(out), bench_cost.QuietRun(o.lambda_s(opts, fn), o.rru, o.wru, o.sns, 0, 0)
            )
        print(f"\n(quiet run measured at H={c.history:,}, shape (a))")
        print(bench_cost.cost_text(bill, run))
        verdict = bench_cost.cost_target(bill, run)
        budget = json.loads((bench_cost.ROOT / "cdk.json").read_text())["context"]["sweep_budget"]
        extra = bench_cost.sweep_month(bill, int(budget), opts.latency_s)
        print(
            f"An account with knowledge bases adds the ingestion sweep (not in this quiet "
            f"account): at most sweep_budget = {budget} bedrock-agent calls per run x "
            f"{opts.latency_s * 1000:.0f} ms, up to ${extra:.2f} a month at this schedule."
        )
    busy = [c for c in cells if c.shape == "a" and c.run == "busy"]
    if busy:
        c = max(busy, key=lambda c: c.history)
        o = c.ours
        per_run = (
            PRICES["sns_publish"] * o.sns
            + PRICES["dynamodb_wru"] * o.wru
            + PRICES["dynamodb_rru"] * o.rru
            + PRICES["secret_api_call"]
        )
        print(
            f"\nA busy run (ours, H={c.history:,}) adds {o.sns} publishes and {o.wru:.0f} write "
            f"units: ${per_run:.6f} per run beyond Lambda, i.e. about "
            f"${per_run * 1_000_000:,.0f} per million such runs (+ one secret read per run when "
            "Slack posts, SNS deliveries to email at $2 per 100,000)."
        )
    return verdict


# -- main -----------------------------------------------------------------------------------------


def latency_section(
    cells: list[Cell],
    opts: Options,
    fn: FunctionConfig,
    sweep: SweepFigures | None,
    *,
    parents: Sequence[ParentRun] = (),
    every: Sequence[EveryKind] = (),
    size: ParentSize | None = None,
) -> list[Target]:
    """Goal 5 (``sim.bench_latency``): alert latency at the default schedule, and the Bedrock
    requests per API and region against the (assumed) quotas; prints them, returns the targets.
    With the parent-scoped kinds measured (``parents``, ``every``): their rows at the default
    configuration, with every kind enabled (the slowest such quiet run): a running job's change
    (judged like the others) and a job on an idle leaf (K runs; printed, not judged)."""
    quiet = [c for c in cells if c.run == "quiet"]
    busy = [c for c in cells if c.run == "busy"]
    if not quiet:
        return [Target("Alert latency and request rates (sim/bench_latency.py)", None, "no run")]
    calls: dict[str, dict[str, int]] = {}
    for name, group in (("quiet", quiet), ("busy", busy)):
        if group:
            calls[name] = {k: max(c.ours.bedrock_by_kind[k] for c in group) for k in opts.kinds}
    if sweep is not None:
        calls.setdefault("quiet", {})[bench_latency.SWEEP] = sweep.quiet_calls_max
        calls.setdefault("busy", {})[bench_latency.SWEEP] = sweep.busy_calls
    apis = {k: f"{REGISTRY[k].list_action}, {REGISTRY[k].detail_action}" for k in opts.kinds}
    apis[bench_latency.SWEEP] = "bedrock:ListKnowledgeBases, ListDataSources, ListIngestionJobs"
    swept = sorted({r.kind for r in parents})
    for name in ("quiet", "busy"):
        for kind in swept:
            group = [r.bedrock_calls for r in parents if r.kind == kind and r.run == name]
            if group:
                calls.setdefault(name, {})[kind] = max(group)
    for kind in swept:
        apis[kind] = ", ".join([*REGISTRY[kind].parent_actions, REGISTRY[kind].list_action])
    latencies, rates = bench_latency.measure(
        period_s=fn.schedule_minutes * 60.0,
        quiet_run_s=max(c.ours.lambda_s(opts, fn) for c in quiet),
        busy_run_s=max(c.ours.lambda_s(opts, fn) for c in busy) if busy else None,
        latency_s=opts.latency_s,
        aws_latency_s=opts.aws_latency_s,
        calls=calls,
    )
    if every:
        size = size or ParentSize()
        budget = parents[0].budget
        latencies += bench_latency.parent_latencies(
            period_s=fn.schedule_minutes * 60.0,
            run_s=max(e.lambda_s for e in every),
            latency_s=opts.latency_s,
            aws_latency_s=opts.aws_latency_s,
            sweeps={kind: (size.nodes(kind), budget) for kind in swept},
            pass_jobs={
                kind: math.ceil(max(opts.history) / size.leaves(kind))
                for kind in swept
                if not REGISTRY[kind].sort_params
            },
        )
    print("\n" + bench_latency.latency_text(latencies, rates, apis))
    return [
        Target(f"{name} (sim/bench_latency.py)", passed, detail)
        for name, passed, detail in bench_latency.targets(latencies, rates, swept)
    ]


def _task(args: tuple[Options, int, str]) -> list[Cell]:
    opts, history, shape = args
    started = time.perf_counter()
    cells = run_account(opts, history, shape)
    print(
        f"  measured H={history:,} shape ({shape}) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return cells


def run_all(opts: Options, workers: int) -> list[Cell]:
    tasks = sorted(
        ((opts, h, s) for h in opts.history for s in SHAPES),
        key=lambda t: -(t[1] * (3 if t[1] <= opts.naive_real_max else 1)),
    )
    if workers <= 1:
        results: Iterable[list[Cell]] = map(_task, tasks)
        cells = [c for r in results for c in r]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            cells = [c for r in pool.map(_task, tasks) for c in r]
    model_naive(cells)
    return cells


def parse_args(argv: list[str] | None) -> tuple[Options, argparse.Namespace]:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    simulated = [k for k in REGISTRY if k in SPECS]
    parser.add_argument("--history", type=int, nargs="+", default=list(DEFAULT_HISTORY))
    parser.add_argument("--kinds", nargs="+", default=simulated, choices=simulated)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="per Bedrock request")
    parser.add_argument(
        "--aws-latency-ms", type=float, default=10.0, help="per DynamoDB or SNS request"
    )
    parser.add_argument("--running", type=int, default=20, help="A: running jobs per kind")
    parser.add_argument("--new", type=int, default=50, help="N: new jobs per kind (busy)")
    parser.add_argument("--transitions", type=int, default=10, help="T: per kind (busy)")
    parser.add_argument("--failures", type=int, default=3, help="failures among T")
    parser.add_argument(
        "--naive-real-max",
        type=int,
        default=1_000,
        help="largest H at which the naive poller is run (above: modelled)",
    )
    parser.add_argument(
        "--naive-real-kind",
        choices=simulated,
        help=f"also run the naive poller for real at H={RATIO_AT:,} for this kind alone, "
        "shape (a), quiet run, counts only (about 5 minutes more)",
    )
    parser.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="repeat each run under tracemalloc for its peak memory",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="accounts measured in parallel (more is faster, but each run's CPU time is then "
        "measured beside another process's work: the default measures one at a time)",
    )
    parser.add_argument(
        "--delivery-batch",
        type=int,
        default=bench_busy.DELIVERY_BATCH,
        help="the monitor's delivery_batch (transitions delivered together; 1: one at a time)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=bench_busy.BURST,
        help="transitions of the large-account burst (sim/bench_busy.py); 0 to skip",
    )
    parser.add_argument("--cold-start-reps", type=int, default=15, help="0 to skip")
    parser.add_argument(
        "--sweep-knowledge-bases",
        type=int,
        default=200,
        help="knowledge bases (x 3 data sources) of the sweep benchmark (sim/bench_sweep.py); "
        "0 to skip",
    )
    parser.add_argument(
        "--parents",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="quiet and busy runs of the parent-scoped kinds at every H and shape "
        "(sim/bench_parents.py, a few minutes)",
    )
    args = parser.parse_args(argv)
    if args.failures > args.transitions or args.transitions > args.running:
        parser.error("need failures <= transitions <= running")
    opts = Options(
        history=tuple(sorted(set(args.history))),
        kinds=tuple(args.kinds),
        latency_s=args.latency_ms / 1000,
        aws_latency_s=args.aws_latency_ms / 1000,
        running=args.running,
        new=args.new,
        transitions=args.transitions,
        failures=args.failures,
        naive_real_max=args.naive_real_max,
        memory=args.memory,
        naive_real_kind=args.naive_real_kind,
        delivery_batch=args.delivery_batch,
        every_kind=ParentSize() if args.parents else None,
    )
    return opts, args


def measure_sdk_layer(repetitions: int) -> SdkLayerCost | None:
    """The SDK layer's figures (``sim.bench_lambda.sdk_layer_cost``), or None when not asked
    for (no cold-start repetitions) or when the layer cannot be built (pip needs PyPI)."""
    if repetitions <= 0:
        return None
    try:
        return sdk_layer_cost(repetitions)
    except subprocess.CalledProcessError as exc:
        print(f"note: the SDK layer could not be built, not measured: {exc}", file=sys.stderr)
        return None


@contextmanager
def monitor_info_logs_off() -> Iterator[None]:
    """Keep the monitor's INFO records out of the report while measuring. Importing a handler
    (the cost model's log measure) gives the job_monitor loggers a stdout handler: the runs
    measured after it (the parent-scoped kinds, the burst) would print thousands of records.
    Before it, they have no handler and INFO records are dropped unformatted: the same cost."""
    monitor_logs = logging.getLogger("job_monitor")
    level = monitor_logs.level
    monitor_logs.setLevel(logging.WARNING)
    try:
        yield
    finally:
        monitor_logs.setLevel(level)


def run_burst(size: int, opts: Options, fn: FunctionConfig) -> bench_busy.Burst:
    """The large-account burst (``sim.bench_busy.measure_burst``), its INFO logs off."""
    with monitor_info_logs_off():
        return bench_busy.measure_burst(
            size,
            delivery_batch=opts.delivery_batch,
            fn=fn,
            latency_s=opts.latency_s,
            aws_latency_s=opts.aws_latency_s,
        )


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    opts, args = parse_args(argv)
    # An event-only kind (Data Automation) has no list: a scheduled run never calls for it.
    # Parent-scoped kinds are measured by sim/bench_parents.py (and the sweep's bound at a
    # large account by sim/bench_sweep.py).
    missing = [
        k for k, kind in REGISTRY.items() if kind.polled and not kind.parents and k not in SPECS
    ]
    if missing:
        print(f"note: kinds without a simulator spec are not measured: {missing}", file=sys.stderr)
    fn = function_config()
    cold = cold_start(args.cold_start_reps) if args.cold_start_reps > 0 else None
    layer = measure_sdk_layer(args.cold_start_reps)
    if opts.naive_real_kind and RATIO_AT in opts.history:
        # Its own process, alongside the accounts (it is the longest task by far).
        with ProcessPoolExecutor(max_workers=1) as extra:
            future = extra.submit(measure_naive, opts, RATIO_AT, opts.naive_real_kind)
            cells = run_all(opts, args.jobs)
            measured: NaiveMeasured | None = future.result()
    else:
        cells = run_all(opts, args.jobs)
        measured = None
    print_results(cells, opts, fn)
    print_lambda(cells, opts, fn, cold, layer)
    cost = print_costs(cells, opts, fn)
    quiet = quiet_rows(cells, opts, fn)
    size = opts.every_kind or ParentSize()
    parents: list[ParentRun] = []
    if args.parents:
        with monitor_info_logs_off():
            parents = bench_parents.measure_for_run(size, opts, fn)
    every = bench_parents.with_sums(
        [c.every_kind for c in cells if c.every_kind is not None], quiet, parents
    )
    print(
        "\n"
        + quiet_text(
            quiet,
            opts,
            fn,
            SCAN_WORKERS,
            parent_rows=bench_parents.quiet_parent_rows(parents, every),
            parent_note=bench_parents.QUIET_NOTE if parents else "",
        )
    )
    print(
        "\n"
        + bench_busy.busy_table(
            cells,
            opts,
            fn,
            parent_rows=bench_parents.busy_parent_rows(
                parents, opts.latency_s, opts.aws_latency_s, fn
            ),
            parent_note=bench_parents.busy_note(size) if parents else "",
        )
    )
    if parents:
        print(
            "\n" + bench_parents.parents_text(parents, size, opts.latency_s, opts.aws_latency_s, fn)
        )
    results = targets(cells, opts, cold, measured, layer)
    results.append(Target(*quiet_target(quiet)))
    if args.parents:
        results.append(Target(*bench_parents.every_kind_target(every)))
        results.append(Target(*bench_parents.sweep_calls_target(parents)))
    results += [Target(*check) for check in bench_busy.busy_checks(cells, opts, fn)]
    results.append(
        Target(
            f"Quiet month of the default stack <= ${bench_cost.TARGET_USD:.2f} (sim/bench_cost.py)",
            None if cost is None else cost[0],
            "no quiet run of shape (a) measured" if cost is None else cost[1],
        )
    )
    burst = run_burst(args.burst, opts, fn) if args.burst > 0 else None
    if burst is not None:
        print("\n" + bench_busy.burst_text(burst))
    results.append(Target(*bench_busy.burst_check(burst)))
    sweep = None
    if args.sweep_knowledge_bases > 0:
        sweep = measure_sweep(args.sweep_knowledge_bases)
        print("\n" + sweep_text(sweep))
        results.append(
            Target(
                "ingestion sweep: quiet run within sweep_budget, every data source within K runs",
                sweep.quiet_calls_max <= sweep.budget and sweep.runs_to_cover <= sweep.k_formula,
                f"max {sweep.quiet_calls_max} calls (budget {sweep.budget}), covered in "
                f"{sweep.runs_to_cover} runs (K = {sweep.k_formula})",
            )
        )
    results.extend(latency_section(cells, opts, fn, sweep, parents=parents, every=every, size=size))
    print("\nTargets:")
    for t in results:
        print(f"  {t.verdict}  {t.name}: {t.detail}")
    print(f"\nBenchmark took {time.perf_counter() - started:.0f} s.")
    return 1 if any(t.passed is False for t in results) else 0


if __name__ == "__main__":
    sys.exit(main())
