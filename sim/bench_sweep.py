"""Benchmark of the bounded sweep (parent-scoped kinds): knowledge-base ingestion jobs in an account
with many knowledge bases and data sources (``make bench`` prints it; ``python -m
sim.bench_sweep`` alone).

It runs the real monitor (``LocalAccount.monitor()``: the Lambda's wiring, real boto3 clients,
moto for DynamoDB and SNS, ``sim/parents.py`` for the knowledge-base APIs) with only the
``knowledge-base-ingestion`` kind, takes the baseline, then makes quiet runs until every data
source has been listed, and reports per quiet run the ``bedrock-agent`` calls against what
listing every data source each run costs (1 ``ListKnowledgeBases`` + one ``ListDataSources`` per
knowledge base + one ``ListIngestionJobs`` per data source), the visit interval K (the formula's,
``domain.sweep.visit_interval``, and the runs it took), then a run with jobs running in R data
sources (each listed every run, inside the same budget: the rotation gets budget - R calls).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace

from job_monitor.domain.kinds import KNOWLEDGE_BASE_INGESTION
from job_monitor.domain.sweep import visit_interval
from job_monitor.wiring import region_store
from sim.local import REGION, local_account

KIND = KNOWLEDGE_BASE_INGESTION


@dataclass(frozen=True)
class SweepFigures:
    knowledge_bases: int
    data_sources: int
    budget: int
    quiet_calls_max: int
    quiet_calls_mean: float
    list_everything: int
    """Calls per run when every data source is listed every run."""
    k_formula: int
    runs_to_cover: int
    """Quiet runs until every data source had been listed at least once."""
    busy_running: int
    busy_calls: int

    @property
    def nodes(self) -> int:
        return 1 + self.knowledge_bases + self.data_sources


def measure_sweep(
    knowledge_bases: int = 200, sources: int = 3, budget: int = 50, running: int = 10
) -> SweepFigures:
    with local_account() as account:
        sim = account.parents
        pairs = []
        for i in range(knowledge_bases):
            kb = sim.add_knowledge_base(f"kb-{i:04}")
            pairs += [(kb, sim.add_data_source(kb, f"source-{j}")) for j in range(sources)]
        settings = replace(account.settings(kinds=(KIND,)), sweep_budget=budget)
        store = region_store(settings, account.clients["dynamodb"], REGION)

        def run() -> int:
            account.clock.advance(minutes=5)
            before = sum(sim.calls.values())
            account.monitor(settings).run()
            return sum(sim.calls.values()) - before

        run()  # baseline
        quiet: list[int] = []
        listed: set[tuple[str, ...]] = set()
        while len(listed) < len(pairs) and len(quiet) < 10 * len(pairs):
            quiet.append(run())
            sweep = store.load().of(KIND).sweep
            if sweep is not None:
                listed |= {p for p in sweep.leaves(2) if sweep.nodes[p].visited_at is not None}
        for kb, ds in pairs[:: max(1, len(pairs) // running)][:running]:
            sim.start_ingestion_job(kb, ds)
        for _ in range(visit_interval(1 + knowledge_bases + len(pairs), budget)):
            run()  # until each running job has been found and is tracked
        busy = run()
    return SweepFigures(
        knowledge_bases=knowledge_bases,
        data_sources=len(pairs),
        budget=budget,
        quiet_calls_max=max(quiet),
        quiet_calls_mean=sum(quiet) / len(quiet),
        list_everything=1 + knowledge_bases + len(pairs),
        k_formula=visit_interval(1 + knowledge_bases + len(pairs), budget),
        runs_to_cover=len(quiet),
        busy_running=min(running, len(pairs)),
        busy_calls=busy,
    )


def sweep_text(f: SweepFigures) -> str:
    return "\n".join(
        [
            f"Knowledge-base ingestion, bounded sweep: {f.knowledge_bases} knowledge bases x "
            f"{f.data_sources // max(1, f.knowledge_bases)} data sources "
            f"({f.nodes} nodes), sweep_budget={f.budget}",
            f"  calls per quiet run: max {f.quiet_calls_max}, mean {f.quiet_calls_mean:.1f}"
            f"   | listing every data source: {f.list_everything}"
            f" ({f.list_everything / max(1, f.quiet_calls_max):.0f}x more)",
            f"  visit interval K = ceil({f.nodes} / {f.budget}) = {f.k_formula} runs"
            f" (every data source was listed within {f.runs_to_cover} quiet runs)",
            f"  with jobs running in {f.busy_running} data sources: {f.busy_calls} calls (they are"
            f" listed every run, inside the budget: K becomes ceil(({f.nodes} - "
            f"{f.busy_running}) / ({f.budget} - {f.busy_running})) = "
            f"{visit_interval(f.nodes, f.budget, f.busy_running)})",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--knowledge-bases", type=int, default=200)
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--budget", type=int, default=50)
    args = parser.parse_args(argv)
    figures = measure_sweep(args.knowledge_bases, args.sources, args.budget)
    print(sweep_text(figures))
    ok = figures.quiet_calls_max <= figures.budget and figures.runs_to_cover <= figures.k_formula
    print(f"  {'PASS' if ok else 'FAIL'}  quiet runs within the budget; every source within K")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
