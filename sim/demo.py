"""The monitor on an embedded, simulated account: ``make demo`` (no AWS credentials, no network).

A scripted afternoon of Bedrock jobs: history that is already finished, jobs that start, complete,
fail and stop. The real monitor code runs every "five minutes" (a simulated clock) against the
Bedrock simulator and moto, and this prints each transition with the message a subscriber gets.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import timedelta

from job_monitor.monitor import RunFailed, RunReport
from sim.local import Delivered, LocalAccount, local_account

Jobs = dict[str, str]
Step = Callable[[LocalAccount, Jobs], str]


def _history(acct: LocalAccount, jobs: Jobs) -> str:
    sim, now = acct.bedrock, acct.clock.now
    for i in range(40):
        sim.create_job(
            "model-customization",
            f"archive-tune-{i:02d}",
            status="Completed",
            created_at=now - timedelta(days=20, hours=i),
        )
        sim.create_job(
            "batch-inference",
            f"archive-batch-{i:02d}",
            status="Completed",
            created_at=now - timedelta(days=10, hours=i),
        )
    sim.create_job(
        "evaluation", "archive-eval", status="Completed", created_at=now - timedelta(days=3)
    )
    jobs.update(
        {
            "tune": sim.create_job(
                "model-customization",
                "claims-assistant-ft",
                status="InProgress",
                created_at=now - timedelta(hours=6),
            ),
            "batch": sim.create_job(
                "batch-inference",
                "nightly-summaries",
                status="InProgress",
                created_at=now - timedelta(hours=1),
            ),
        }
    )
    return "An account with 81 finished jobs and 2 running ones. The first run records a baseline."


def _new_jobs(acct: LocalAccount, jobs: Jobs) -> str:
    jobs["eval"] = acct.bedrock.create_job("evaluation", "claims-assistant-eval")
    jobs["quick"] = acct.bedrock.create_job("batch-inference", "smoke-batch", status="Completed")
    return "An evaluation job starts; a small batch job is created and completes within minutes."


def _finish(acct: LocalAccount, jobs: Jobs) -> str:
    acct.bedrock.set_status(jobs["tune"], "Completed")
    acct.bedrock.set_status(
        jobs["batch"],
        "Failed",
        failure_message="Input file s3://acme-batch/in/records.jsonl has 3 malformed lines.",
    )
    return "The fine-tuning job completes; the batch job fails."


def _stop(acct: LocalAccount, jobs: Jobs) -> str:
    acct.bedrock.set_status(jobs["eval"], "Stopping")
    acct.bedrock.set_status(jobs["eval"], "Stopped")
    return "Someone stops the evaluation (Stopping, then Stopped, between two runs)."


def _quiet(acct: LocalAccount, jobs: Jobs) -> str:
    del acct, jobs
    return "Nothing changes."


SCRIPT: list[Step] = [_history, _new_jobs, _finish, _stop, _quiet]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="  log %(levelname)s %(message)s")
    print("Bedrock Job Monitor: local run on an embedded simulated account\n")
    jobs: Jobs = {}
    with local_account() as acct:
        for number, step in enumerate(SCRIPT, start=1):
            story = step(acct, jobs)
            acct.bedrock.reset_calls()
            print(f"-- run {number} at {acct.clock.now:%H:%M} UTC: {story}")
            try:
                report = acct.monitor().run()
            except RunFailed as failed:
                report = failed.report
                print(f"  run failed: {failed}")
            _print_run(report, acct.drain(), acct.bedrock.count())
            acct.clock.advance(minutes=5)
    return 0


def _print_run(report: RunReport, delivered: list[Delivered], bedrock_calls: int) -> None:
    baseline = [k for k in report.kinds if k.baseline]
    if baseline:
        print(
            "  baseline recorded; tracking "
            + ", ".join(f"{k.tracked} {k.kind}" for k in baseline)
            + " job(s); nothing published"
        )
    for message in delivered:
        body = message.body
        previous = body["previousStatus"] or "(new)"
        print(f"  {previous:>12} -> {body['status']:<10} {body['kind']:<20} {body['jobName']}")
        print(f"    subject:    {message.subject}")
        print(f"    attributes: {json.dumps(message.attributes)}")
        if body.get("failureMessages"):
            print(f"    failure:    {body['failureMessages'][0]}")
    if not delivered and not baseline:
        print("  no transitions")
    print(f"  Bedrock API calls this run: {bedrock_calls}\n")
    if delivered:
        print("  last message body, as published to SNS:")
        print("    " + json.dumps(delivered[-1].body, indent=2).replace("\n", "\n    ") + "\n")


if __name__ == "__main__":
    sys.exit(main())
