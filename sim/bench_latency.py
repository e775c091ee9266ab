"""Alert latency and Bedrock request rates at the default schedule (issue 16, goal 5).

Latency, from a job's status change to the SNS publish of its transition, on a simulated clock:
the change happens at a uniformly random point ``u`` of a schedule period ``P`` (seeded); the next
scheduled run starts at the period's end; it publishes the transition at the latest when it ends,
after its modelled duration ``D`` (the benchmark's Lambda time: CPU x slowdown + requests x
latency). So latency = ``P - u + D``, at most ``P + D``. ``D`` is, per scenario: one change in a
quiet account (the slowest quiet run measured, plus the transition's own requests: 1 Get, a claim,
a publish and a commit), and the busy run (every transition of the benchmark's burst at once).
The monitor runs its regions one after another, so ``D`` grows with the regions: it is scaled by
their number. Not modelled: EventBridge Scheduler's delivery delay after the period's start
(seconds, not documented), a cold start (about 1 s, rare at a 1-minute schedule: the function
stays warm), and a busy run longer than ``P``: the next run then waits for it (one run at a time)
and a change during it waits up to one more period (printed when it happens).

Request rates: per region (each region's monitor calls its own endpoint, and Bedrock's quotas are
per account and region), per kind and API, the calls of one run over one period (average), and
within the run (peak: sequential calls, one per modelled latency). Every call of a kind's run is
counted against each of its two APIs (List and Get), an upper bound for both.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from job_monitor.domain.sweep import visit_interval

LATENCY_TARGET_S = 90.0
"""Goal 5, "about a minute": a single change is published within one 1-minute period plus the
run that publishes it, with room for the run; the target is the maximum of the samples."""
QUOTA_MARGIN_TARGET = 2.0
"""Average request rate per API and region at most half the quota, quiet and busy runs."""
ASSUMED_QUOTA_RPS = 1.0
"""Requests per second per List*/Get* API, account and region, ASSUMED. The Bedrock control-plane
rate quotas of these operations were not found: the AWS General Reference page "Amazon Bedrock
endpoints and quotas" and the Bedrock user guide's quota pages (searched 2026-11-29) list
inference token quotas and resource counts, no requests-per-second rows for ListModelCustomization
Jobs, ListEvaluationJobs, ListModelInvocationJobs, ... or their Get operations. 1 per second is a
deliberately low assumption; read your account's values with ``aws service-quotas
list-service-quotas --service-code bedrock`` and replace it. The monitor's Bedrock client retries
throttling in botocore's adaptive mode, which also slows its own request rate."""
SAMPLES = 10_000
SEED = 16


@dataclass(frozen=True)
class Latency:
    scenario: str
    regions: int
    period_s: float
    run_s: float
    p50_s: float
    max_s: float


def latency(
    scenario: str, period_s: float, run_s: float, regions: int = 1, periods: int = 1
) -> Latency:
    """Sampled latency (``SAMPLES`` changes, seeded) for a run of ``run_s`` per region. With
    ``periods`` = K > 1 the change is found by the first run that visits its place, one run in
    K (a parent-scoped kind's idle leaf, ``domain.sweep.visit_interval``): the change falls
    anywhere in K periods and waits for the end of them."""
    rng = random.Random(SEED)
    duration = run_s * regions
    # A run longer than the period delays the next one until it ends (one run at a time).
    wait_extra = max(0.0, duration - period_s)
    window = period_s * max(1, periods)
    samples = [window - rng.uniform(0.0, window) + wait_extra + duration for _ in range(SAMPLES)]
    return Latency(scenario, regions, period_s, duration, statistics.median(samples), max(samples))


@dataclass(frozen=True)
class Rate:
    kind: str
    run: str
    calls_per_run: int
    average_rps: float
    peak_rps: float

    @property
    def margin(self) -> float:
        """Assumed quota over the average rate (inf without calls)."""
        return ASSUMED_QUOTA_RPS / self.average_rps if self.average_rps else math.inf


def rates(calls: Mapping[str, Mapping[str, int]], period_s: float, latency_s: float) -> list[Rate]:
    """``calls``: run name -> kind -> Bedrock calls in one run of one region."""
    return [
        Rate(
            kind,
            run,
            n,
            n / period_s,
            min(float(n), 1.0 / latency_s) if n else 0.0,
        )
        for run, by_kind in calls.items()
        for kind, n in by_kind.items()
    ]


def latency_text(
    latencies: Sequence[Latency], rate_rows: Sequence[Rate], apis: Mapping[str, str]
) -> str:
    out = [
        "Alert latency, status change -> SNS publish (simulated clock: the change at a random "
        f"point of the period, {SAMPLES:,} seeded samples; the run publishes it at the latest when "
        "it ends; regions run one after another):",
        "",
        "| scenario | regions | period | run (modelled) | p50 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for lat in latencies:
        out.append(
            f"| {lat.scenario} | {lat.regions} | {lat.period_s:.0f} s | {lat.run_s:.1f} s | "
            f"{lat.p50_s:.1f} s | {lat.max_s:.1f} s |"
        )
    out += [
        "",
        f"Bedrock requests per API and region (quotas are per account and region, so each region "
        f"has its own; N regions make N times the account's calls). Quota: {ASSUMED_QUOTA_RPS:g} "
        "request/s per API, ASSUMED (no per-API rate quota of these List*/Get* operations was "
        "found in the AWS General Reference 'Amazon Bedrock endpoints and quotas' or the Bedrock "
        "user guide, 2026-11-29; check Service Quotas for your account). Every call of a kind's "
        "run is counted against each of its APIs (an upper bound):",
        "",
        "| kind | APIs | run | calls/run | average req/s | margin | peak req/s in the run |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rate_rows:
        margin = "-" if math.isinf(r.margin) else f"{r.margin:,.0f}x"
        out.append(
            f"| {r.kind} | {apis.get(r.kind, '')} | {r.run} | {r.calls_per_run} | "
            f"{r.average_rps:.3f} | {margin} | {r.peak_rps:.1f} |"
        )
    out.append(
        "\nPeaks above the assumed quota are bursts of a few sequential calls inside one run; "
        "botocore's adaptive retry mode (the monitor's Bedrock client) absorbs a throttled one. "
        f"The {SWEEP} row is bounded by sweep_budget calls per run (bedrock-agent "
        "ListKnowledgeBases, ListDataSources, ListIngestionJobs together): at a 1-minute "
        "schedule, up to sweep_budget / 60 requests per second in each region."
    )
    return "\n".join(out)


SWEEP = "knowledge-base-ingestion (sweep)"
"""The parent-scoped sweep's row (``sim/bench_sweep.py``): its calls are bounded by
``sweep_budget`` per run, not by the kinds' statuses."""


def targets(
    latencies: Sequence[Latency], rate_rows: Sequence[Rate], swept: Collection[str] = ()
) -> list[tuple[str, bool, str]]:
    """(name, passed, detail): the single-change latency at one region (the default: the home
    region; a parent-scoped kind's running job, whose leaf is visited every run, is judged the
    same way), and the average request rates' margin of the kinds the run polls directly. The
    sweep's margin (``SWEEP`` and the parent-scoped kinds ``swept``) is printed, not judged: it
    is ``sweep_budget`` calls per run by design."""
    single = [
        lat for lat in latencies if lat.scenario.startswith("one change") and lat.regions == 1
    ]
    worst = max(single, key=lambda lat: lat.max_s)
    unjudged = {SWEEP, *swept}
    low = min((r for r in rate_rows if r.kind not in unjudged), key=lambda r: r.margin)
    sweep = [r for r in rate_rows if r.kind in unjudged]
    sweep_note = (
        f"; the sweep (not judged: sweep_budget per run): {min(r.margin for r in sweep):,.1f}x"
        if sweep
        else ""
    )
    return [
        (
            f"Alert latency, one change at the default schedule, home region: max <= "
            f"{LATENCY_TARGET_S:.0f} s",
            worst.max_s <= LATENCY_TARGET_S,
            f"p50 {worst.p50_s:.1f} s, max {worst.max_s:.1f} s (period {worst.period_s:.0f} s + "
            f"run {worst.run_s:.1f} s)",
        ),
        (
            f"Bedrock requests per API and region of every directly polled kind, quiet and busy "
            f"runs: average <= 1/{QUOTA_MARGIN_TARGET:g} of the assumed {ASSUMED_QUOTA_RPS:g}/s "
            "quota",
            low.margin >= QUOTA_MARGIN_TARGET,
            f"lowest margin {low.margin:,.1f}x ({low.kind}, {low.run} run: {low.calls_per_run} "
            f"calls per period, {low.average_rps:.3f}/s){sweep_note}",
        ),
    ]


def one_change_run_s(quiet_run_s: float, latency_s: float, aws_latency_s: float) -> float:
    """A quiet run that finds one change: the slowest quiet run plus the transition's own
    requests (1 Get at Bedrock's latency; a claim, a publish and a commit at AWS's)."""
    return quiet_run_s + latency_s + 3 * aws_latency_s


def parent_latencies(
    *,
    period_s: float,
    run_s: float,
    latency_s: float,
    aws_latency_s: float,
    sweeps: Mapping[str, tuple[int, int]],
    pass_jobs: Mapping[str, int] | None = None,
) -> list[Latency]:
    """Per parent-scoped kind (``sweeps``: kind -> (nodes, sweep_budget) at the benchmark's
    size), in the home region, with every kind enabled (``run_s``: the slowest such quiet run):
    a status change of a running job (its leaf is visited every run: one period), and a job that
    starts and finishes on an idle leaf: found within K = ceil(nodes / sweep_budget) runs, and for
    a kind whose leaves are read by passes (``pass_jobs``: kind -> jobs per leaf at the largest
    H; ``domain.sweep``) within K + 2 passes of ceil(jobs / ``PASS_PAGE``) runs (the job may land
    on a page the pass under way has read)."""
    from job_monitor.poll.scan import PASS_PAGE  # noqa: PLC0415

    one = one_change_run_s(run_s, latency_s, aws_latency_s)
    rows = []
    for kind, (nodes, budget) in sweeps.items():
        k = visit_interval(nodes, budget)
        rows.append(
            latency(f"one change, {kind}: a running job (its leaf every run)", period_s, one)
        )
        runs, why = k, f"K = ceil({nodes} nodes / {budget}) = {k} run{'' if k == 1 else 's'}"
        jobs = (pass_jobs or {}).get(kind)
        if jobs is not None:
            pass_runs = max(1, math.ceil(jobs / PASS_PAGE))
            runs += 2 * pass_runs
            why += f" + 2 passes of ceil({jobs:,} jobs / {PASS_PAGE}) = {runs:,} runs"
        rows.append(
            latency(
                f"{kind}: a job starts and ends on an idle leaf ({why})",
                period_s,
                one,
                periods=runs,
            )
        )
    return rows


REGION_COUNTS = (1, 4, 10)
"""Regions of one deployment the latency is printed for (the default watches the home region)."""


def measure(
    *,
    period_s: float,
    quiet_run_s: float,
    busy_run_s: float | None,
    latency_s: float,
    aws_latency_s: float,
    calls: Mapping[str, Mapping[str, int]],
) -> tuple[list[Latency], list[Rate]]:
    """Latencies (one change at ``REGION_COUNTS`` regions; the busy run in one region) and the
    request rates of ``calls`` (run -> kind -> calls per run and region)."""
    one = one_change_run_s(quiet_run_s, latency_s, aws_latency_s)
    latencies = [latency("one change, quiet account", period_s, one, n) for n in REGION_COUNTS]
    if busy_run_s is not None:
        latencies.append(latency("busy run (the benchmark's burst)", period_s, busy_run_s))
    return latencies, rates(calls, period_s, latency_s)
