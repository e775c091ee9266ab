"""Busy runs and a large account's burst (issue 16, goals 1 and 6): the "Busy run" targets of
``make bench``.

Goal 1, from the benchmark's busy cells (``sim.bench``: per kind N new jobs and T transitions,
every H, both shapes): the monitor's simulated wall time at least ``SPEED_TARGET`` times faster
than the naive poller's, and its modelled Lambda duration at most ``LAMBDA_TARGET_S``. The
monitor runs with ``delivery_batch`` = ``DELIVERY_BATCH`` (``--delivery-batch``): per kind, 50
transitions' claims in one TransactWriteItems, their messages in PublishBatch requests of 10,
their commits (record and in-view item) in one TransactWriteItems. Nothing runs concurrently, so
the benchmark's time model needs no change: wall = client CPU + requests x latency, Lambda = CPU
x 6.9 + requests x latency. A transactional write costs 2 write units per item (DynamoDB's
price), which the write units per transition show.

Goal 6 (``measure_burst``): ``--burst`` transitions at once in one region (batch inference jobs
that all complete), the monitor run as Lambda would run it: each invocation's time left is the
timeout minus its *modelled* duration so far (CPU x slowdown + requests x latency, from the same
meter), so the time budget (``poll.budget``) stops it at a safe point exactly when the modelled
Lambda would have to. Invocations follow one another until nothing is left; the figures: how many
transitions each invocation handled, how many invocations, and whether every transition was
published exactly once (dedupe ids as SNS received them).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from job_monitor.domain.kinds import REGISTRY
from sim.bench_lambda import FunctionConfig, function_config
from sim.local import local_account

if TYPE_CHECKING:
    from sim.bench import Cell, Meter, Options

DELIVERY_BATCH = 50
"""The benchmark's ``delivery_batch`` (the setting ``DELIVERY_BATCH``)."""
SPEED_TARGET = 1.5
LAMBDA_TARGET_S = 10.0
BURST = 5_000
BURST_KIND = "batch-inference"
TRANSACT_WRITE_UNITS = 2
"""Write units per item of a TransactWriteItems (DynamoDB bills transactional writes double)."""

Check = tuple[str, bool | None, str]
"""(target name, PASS/FAIL/None = not run, detail), made into ``sim.bench.Target`` there."""


def transaction_write_units(params: dict[str, Any]) -> int:
    """What a TransactWriteItems request costs in write units (items under 1 KB)."""
    return TRANSACT_WRITE_UNITS * len(params.get("TransactItems", []))


# -- goal 1: the busy cells of the benchmark ------------------------------------------------------


def transitions_per_run(opts: Options) -> int:
    """Transitions a busy run publishes: N new + T per kind."""
    return (opts.new + opts.transitions) * len(opts.kinds)


def busy_table(
    cells: list[Cell],
    opts: Options,
    fn: FunctionConfig,
    *,
    parent_rows: Sequence[str] = (),
    parent_note: str = "",
) -> str:
    """The busy runs side by side: wall and Lambda time, and DynamoDB requests and write units
    per transition; then ``parent_rows`` (the parent-scoped kinds',
    ``sim.bench_parents.busy_parent_rows``, explained by ``parent_note``)."""
    per = transitions_per_run(opts)
    lines = [
        f"Busy runs ({per} transitions: N={opts.new} new + T={opts.transitions} per kind, "
        f"{len(opts.kinds)} kinds; delivery_batch={opts.delivery_batch}):\n",
        "| kinds | H per kind | shape | wall ours / naive (s) | naive:ours "
        "| Lambda ours / naive (s) "
        "| DynamoDB requests / transition ours / naive | write units / transition ours / naive "
        "| SNS requests ours / naive |",
        "|---|---:|:-:|---|---:|---|---|---|---|",
    ]
    for c in sorted((c for c in cells if c.run == "busy"), key=lambda c: (c.history, c.shape)):
        o, n = c.ours, c.naive
        if n is None:
            continue
        mark = "~" if n.modelled else ""
        lines.append(
            f"| account-wide (all together) | {c.history:,} | {c.shape} "
            f"| {o.wall_s(opts):.2f} / {mark}{n.wall_s(opts):.2f} "
            f"| {n.wall_s(opts) / o.wall_s(opts):.1f}x "
            f"| {o.lambda_s(opts, fn):.2f} / {mark}{n.lambda_s(opts, fn):.2f} "
            f"| {o.dynamodb / per:.2f} / {mark}{n.dynamodb / per:.2f} "
            f"| {o.wru / per:.2f} / {mark}{n.wru / per:.2f} | {o.sns} / {mark}{n.sns} |"
        )
    lines += parent_rows
    lines.append(
        "\nOne request per 50 claims and one per 50 commits (TransactWriteItems, 2 write units "
        "per item: a claim, a record commit and an in-view item each cost 2 instead of 1), one "
        "PublishBatch per 10 messages; no concurrency, so requests x latency is the waiting."
    )
    if parent_note:
        lines.append("\n" + parent_note)
    return "\n".join(lines)


def busy_checks(cells: list[Cell], opts: Options, fn: FunctionConfig) -> list[Check]:
    busy = [c for c in cells if c.run == "busy" and c.naive is not None]
    slow: list[str] = []
    long: list[str] = []
    for c in sorted(busy, key=lambda c: (c.history, c.shape)):
        assert c.naive is not None
        ratio = c.naive.wall_s(opts) / c.ours.wall_s(opts)
        if ratio < SPEED_TARGET:
            slow.append(f"H={c.history:,} ({c.shape}): {ratio:.2f}x")
        duration = c.ours.lambda_s(opts, fn)
        if duration > LAMBDA_TARGET_S:
            long.append(f"H={c.history:,} ({c.shape}): {duration:.1f} s")
    if busy:
        worst = min(busy, key=lambda c: c.naive.wall_s(opts) / c.ours.wall_s(opts))  # type: ignore[union-attr]
        longest = max(busy, key=lambda c: c.ours.lambda_s(opts, fn))
        assert worst.naive is not None
        speed = (
            f"slowest: {worst.naive.wall_s(opts):.2f} s / {worst.ours.wall_s(opts):.2f} s = "
            f"{worst.naive.wall_s(opts) / worst.ours.wall_s(opts):.1f}x at H={worst.history:,} "
            f"({worst.shape}), {len(busy)} cells"
        )
        lam = (
            f"longest: {longest.ours.lambda_s(opts, fn):.2f} s at H={longest.history:,} "
            f"({longest.shape}), {len(busy)} cells"
        )
    else:
        speed = lam = "no busy run measured"
    per = transitions_per_run(opts)
    return [
        (
            f"Busy run ({per} transitions): simulated wall >= {SPEED_TARGET}x faster than the "
            "naive poller at every H, both shapes",
            None if not busy else not slow,
            "; ".join(slow[:4]) or speed,
        ),
        (
            f"Busy run ({per} transitions): modelled Lambda at {fn.memory_mb} MB <= "
            f"{LAMBDA_TARGET_S:.0f} s at every H, both shapes",
            None if not busy else not long,
            "; ".join(long[:4]) or lam,
        ),
    ]


# -- goal 6: a burst in one region ----------------------------------------------------------------


class ModelledInvocation:
    """One Lambda invocation's clock in the benchmark's time model: time left = timeout - (client
    CPU x slowdown + requests x latency) since ``start``."""

    def __init__(
        self, meter: Meter, fn: FunctionConfig, latency_s: float, aws_latency_s: float
    ) -> None:
        self._meter = meter
        self._fn = fn
        self._latency = latency_s
        self._aws_latency = aws_latency_s
        self._cpu = 0.0
        self._server = 0.0

    def start(self) -> None:
        self._meter.reset()
        self._cpu = time.process_time()

    def elapsed(self) -> float:
        cpu = time.process_time() - self._cpu - self._meter.excluded_s
        bedrock = sum(n for k, n in self._meter.requests.items() if k.startswith("bedrock"))
        aws = self._meter.dynamodb + self._meter.sns
        return cpu * self._fn.cpu_slowdown + bedrock * self._latency + aws * self._aws_latency

    def remaining(self) -> float:
        return self._fn.timeout_s - self.elapsed()


@dataclass
class Burst:
    transitions: int
    delivery_batch: int
    timeout_s: int
    per_invocation: list[int] = field(default_factory=list)
    """Transitions published by each invocation, in order."""
    durations_s: list[float] = field(default_factory=list)
    """Each invocation's modelled duration."""
    truncated: list[bool] = field(default_factory=list)
    published: int = 0
    distinct: int = 0
    duplicates: int = 0
    """Messages beyond the first of their dedupe id (a crash between publish and commit)."""
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def exact(self) -> bool:
        """Every transition published, none twice."""
        return self.published == self.distinct == self.transitions


def measure_burst(
    transitions: int = BURST,
    *,
    delivery_batch: int = DELIVERY_BATCH,
    fn: FunctionConfig | None = None,
    latency_s: float = 0.05,
    aws_latency_s: float = 0.01,
    max_invocations: int = 50,
    crash: Callable[[Any], None] | None = None,
) -> Burst:
    """``transitions`` batch inference jobs, running at the last run, all complete; invocations
    every 5 minutes until one publishes nothing and is not cut short. ``fn`` defaults to the
    deployed function's (``function_config``: timeout, memory). ``crash``, if given, is called
    with each invocation's monitor before it runs (to install a fault)."""
    from sim.bench import Meter  # noqa: PLC0415 - sim.bench imports this module

    fn = fn or function_config()
    kind = REGISTRY[BURST_KIND]
    burst = Burst(transitions, delivery_batch, fn.timeout_s)
    with local_account(validate_requests=False) as acct:
        settings = acct.settings(kinds=(kind,), delivery_batch=delivery_batch)
        arns = [
            acct.bedrock.create_job(
                kind.name, f"burst-{i}", created_at=acct.clock.now - timedelta(minutes=50)
            )
            for i in range(transitions)
        ]
        acct.monitor(settings).run()
        acct.drain()
        acct.clock.advance(minutes=4)
        for arn in arns:
            acct.bedrock.set_status(arn, "Completed")
        meter = Meter()
        for service in ("bedrock", "dynamodb", "sns"):
            meter.attach(acct.clients[service])
        invocation = ModelledInvocation(meter, fn, latency_s, aws_latency_s)
        seen: Counter[str] = Counter()
        for _ in range(max_invocations):
            acct.clock.advance(minutes=1)
            monitor = acct.monitor(settings, remaining_seconds=invocation.remaining)
            if crash is not None:
                crash(monitor)
            invocation.start()
            truncated = False
            try:
                truncated = monitor.run().truncated
            except BaseException as exc:  # a crashed invocation, as Lambda ends it
                if isinstance(exc, KeyboardInterrupt):
                    raise
                truncated = True
            burst.durations_s.append(invocation.elapsed())
            burst.requests.update(meter.requests)
            sent = [d.body["dedupeId"] for d in acct.drain()]
            seen.update(sent)
            burst.per_invocation.append(len(sent))
            burst.truncated.append(truncated)
            acct.clock.advance(minutes=4)
            if not sent and not truncated:
                break
        burst.published = sum(seen.values())
        burst.distinct = len(seen)
        burst.duplicates = sum(n - 1 for n in seen.values())
    return burst


def burst_text(burst: Burst) -> str:
    handled = [n for n in burst.per_invocation if n]
    first = burst.per_invocation[0] if burst.per_invocation else 0
    return (
        f"Burst: {burst.transitions:,} {BURST_KIND} jobs complete at once in one region; each "
        f"invocation's time left = timeout {burst.timeout_s} s - its modelled duration (CPU x "
        f"slowdown + requests x latency), so the run stops at a safe point (between two batches "
        f"of {burst.delivery_batch}) when the modelled Lambda would. Invocations that published: "
        f"{len(handled)}; transitions per invocation: {', '.join(f'{n:,}' for n in handled)} "
        f"(the first handled {first:,}); modelled durations: "
        f"{', '.join(f'{d:.1f} s' for d in burst.durations_s)}; cut short: "
        f"{sum(burst.truncated)}. Published {burst.published:,} messages, {burst.distinct:,} "
        f"distinct dedupe ids. Requests: "
        + ", ".join(f"{k} {n:,}" for k, n in sorted(burst.requests.items()))
    )


def burst_check(burst: Burst | None) -> Check:
    name = (
        f"Large account: a {BURST:,}-transition burst in one region completes within the timeout "
        "or stops at a safe point and finishes on later runs, nothing lost, nothing doubled"
    )
    if burst is None:
        return (name, None, "not run")
    name = name.replace(f"{BURST:,}", f"{burst.transitions:,}")
    within = all(d <= burst.timeout_s for d in burst.durations_s)
    handled = [n for n in burst.per_invocation if n]
    return (
        name,
        burst.exact and within,
        f"{burst.distinct:,} of {burst.transitions:,} published, {burst.published:,} messages; "
        f"{len(handled)} invocation(s), {', '.join(f'{n:,}' for n in handled)} transitions each; "
        f"longest {max(burst.durations_s, default=0):.1f} s of {burst.timeout_s} s",
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.bench_busy``: the burst alone (goal 6), at any size."""
    parser = argparse.ArgumentParser(description="The large-account burst (issue 16, goal 6).")
    parser.add_argument("--burst", type=int, default=BURST, help="transitions at once")
    parser.add_argument("--delivery-batch", type=int, default=DELIVERY_BATCH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    burst = measure_burst(args.burst, delivery_batch=args.delivery_batch)
    print(burst_text(burst))
    name, passed, detail = burst_check(burst)
    print(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}")
    print(f"took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
