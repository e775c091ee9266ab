"""Benchmark: API calls per run against account history (``make bench``).

Counts calls rather than timing them: the numbers are the same on any machine and are what the
service bills and throttles. For each history size it measures, per job kind:

* quiet: a run in which nothing changed (two jobs running since an hour ago);
* long-runner: a job running for days under thousands of newer jobs, which then finishes;
* busy: 1,200 new jobs and 4 tracked jobs finishing (2 failed) between two runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from job_monitor.kinds import REGISTRY
from sim.local import LocalAccount, local_account


@dataclass
class Row:
    scenario: str
    kind: str
    history: int
    bedrock_list: int
    bedrock_get: int
    dynamodb: int
    published: int


def _history(acct: LocalAccount, kind: str, count: int, days: float = 30) -> None:
    start = acct.clock.now - timedelta(days=days)
    step = timedelta(days=days) / max(count, 1)
    for i in range(count):
        acct.bedrock.create_job(kind, f"old-{i}", status="Completed", created_at=start + step * i)


def _measure(acct: LocalAccount, kind: str, scenario: str, history: int) -> Row:
    settings = acct.settings(kinds=(REGISTRY[kind],))
    acct.bedrock.reset_calls()
    acct.requests.clear()
    acct.drain()
    acct.monitor(settings).run()
    spec = REGISTRY[kind]
    list_op = "".join(p.capitalize() for p in spec.list_operation.split("_"))
    get_op = "".join(p.capitalize() for p in spec.detail_operation.split("_"))
    return Row(
        scenario=scenario,
        kind=kind,
        history=history,
        bedrock_list=acct.bedrock.count(list_op),
        bedrock_get=acct.bedrock.count(get_op),
        dynamodb=acct.count("dynamodb."),
        published=len(acct.drain()),
    )


def quiet(kind: str, history: int) -> Row:
    with local_account() as acct:
        _history(acct, kind, history)
        for name in ("a", "b"):
            acct.bedrock.create_job(
                kind, name, status="InProgress", created_at=acct.clock.now - timedelta(hours=1)
            )
        acct.monitor(acct.settings(kinds=(REGISTRY[kind],))).run()
        acct.clock.advance(minutes=5)
        return _measure(acct, kind, "quiet", history)


def long_runner(kind: str, history: int) -> Row:
    with local_account() as acct:
        arn = acct.bedrock.create_job(
            kind, "long", status="InProgress", created_at=acct.clock.now - timedelta(days=40)
        )
        _history(acct, kind, history)
        acct.monitor(acct.settings(kinds=(REGISTRY[kind],))).run()
        acct.clock.advance(minutes=5)
        acct.bedrock.set_status(arn, "Failed", failure_message="out of capacity")
        return _measure(acct, kind, "long-runner finishes", history)


def busy(kind: str, history: int) -> Row:
    with local_account() as acct:
        _history(acct, kind, history)
        running = [acct.bedrock.create_job(kind, f"run-{i}", status="InProgress") for i in range(4)]
        acct.monitor(acct.settings(kinds=(REGISTRY[kind],))).run()
        acct.clock.advance(minutes=1)
        for i in range(1_200):
            acct.bedrock.create_job(kind, f"new-{i}", status="Completed")
        for arn, status in zip(running, ["Failed", "Failed", "Completed", "Stopped"], strict=True):
            acct.bedrock.set_status(
                arn, status, failure_message="bad data" if status == "Failed" else None
            )
        acct.clock.advance(minutes=4)
        return _measure(acct, kind, "1,200 new + 4 finished", history)


SCENARIOS: dict[str, Callable[[str, int], Row]] = {
    "quiet": quiet,
    "long-runner": long_runner,
    "busy": busy,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, nargs="+", default=[0, 1_000, 10_000, 50_000])
    parser.add_argument("--kinds", nargs="+", default=list(REGISTRY), choices=list(REGISTRY))
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    args = parser.parse_args(argv)
    header = (
        f"| {'scenario':<24} | {'kind':<19} | {'history':>7} | list | get | DynamoDB | published |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for scenario in args.scenarios:
        for kind in args.kinds:
            for history in args.history:
                r = SCENARIOS[scenario](kind, history)
                print(
                    f"| {r.scenario:<24} | {r.kind:<19} | {r.history:>7,} | {r.bedrock_list:>4} "
                    f"| {r.bedrock_get:>3} | {r.dynamodb:>8} | {r.published:>9} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
