"""The monitor on an embedded, simulated account: ``make demo`` (no AWS credentials, no network).

A scripted afternoon of Bedrock jobs in two regions: history that is already finished, jobs that
start, complete, fail and stop, a provisioned throughput coming into service, an async invocation
(a video generation, served by ``bedrock-runtime``: turned on in ``job_kinds`` beside the default
kinds) that completes with its output location, a knowledge-base ingestion job (found by the
bounded sweep over knowledge bases and data sources), and a Bedrock event that reports a failure
between two runs. The real monitor code runs every "five minutes" (a
simulated clock) against the Bedrock simulator and moto, and this prints each transition with the
message a subscriber gets.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from job_monitor.domain.kinds import ASYNC_INVOKE, KNOWLEDGE_BASE_INGESTION, JobKind
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.realtime.events import parse_job_event
from sim.events import state_change_event
from sim.local import REGION, Delivered, LocalAccount, local_account

OTHER_REGION = "eu-west-1"
Jobs = dict[str, str]


@dataclass
class Scene:
    story: str
    events: list[str] = field(default_factory=list)
    """ARNs of jobs (in the other region) whose Bedrock event arrives before the run."""


Step = Callable[[LocalAccount, Jobs], Scene]


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
    sim.create_job(
        "async-invoke", "archive-reel", status="Completed", created_at=now - timedelta(days=1)
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
    jobs["kb"] = acct.parents.add_knowledge_base("support-docs")
    jobs["ds"] = acct.parents.add_data_source(jobs["kb"], "s3-manuals")
    jobs["tune-eu"] = acct.simulator(OTHER_REGION).create_job(
        "model-customization", "claims-assistant-ft-eu", created_at=now - timedelta(hours=2)
    )
    return Scene(
        f"An account with 82 finished jobs and 2 running ones in {REGION}, 1 running in "
        f"{OTHER_REGION}. The first run records a baseline."
    )


def _new_jobs(acct: LocalAccount, jobs: Jobs) -> Scene:
    jobs["eval"] = acct.bedrock.create_job("evaluation", "claims-assistant-eval")
    jobs["quick"] = acct.bedrock.create_job("batch-inference", "smoke-batch", status="Completed")
    jobs["pt"] = acct.bedrock.create_job("provisioned-throughput", "claims-assistant-pt")
    jobs["reel"] = acct.bedrock.create_job("async-invoke", "product-teaser")
    jobs["ingest"] = acct.parents.start_ingestion_job(jobs["kb"], jobs["ds"])
    return Scene(
        "An evaluation job starts; a small batch job is created and completes within minutes; "
        "a provisioned throughput is being created; a video generation (async invocation) starts; "
        "the support-docs knowledge base starts syncing its S3 data source."
    )


def _finish(acct: LocalAccount, jobs: Jobs) -> Scene:
    acct.bedrock.set_status(jobs["tune"], "Completed")
    acct.bedrock.set_status(
        jobs["batch"],
        "Failed",
        failure_message="Input file s3://acme-batch/in/records.jsonl has 3 malformed lines.",
    )
    acct.bedrock.set_status(jobs["pt"], "InService")
    acct.bedrock.set_status(jobs["reel"], "Completed")
    acct.parents.set_ingestion_status(
        jobs["kb"],
        jobs["ds"],
        jobs["ingest"],
        "COMPLETE",
        statistics={
            "numberOfDocumentsScanned": 1250,
            "numberOfNewDocumentsIndexed": 1180,
            "numberOfModifiedDocumentsIndexed": 40,
            "numberOfDocumentsFailed": 0,
        },
    )
    acct.simulator(OTHER_REGION).set_status(
        jobs["tune-eu"], "Failed", failure_message="Training data has no 'completion' field."
    )
    return Scene(
        "The fine-tuning job completes; the batch job fails; the throughput is in service; the "
        f"video is ready; the knowledge base sync completes. In "
        f"{OTHER_REGION} the fine-tuning job fails, and Bedrock's event for it arrives first.",
        events=[jobs["tune-eu"]],
    )


def _stop(acct: LocalAccount, jobs: Jobs) -> Scene:
    acct.bedrock.set_status(jobs["eval"], "Stopping")
    acct.bedrock.set_status(jobs["eval"], "Stopped")
    return Scene("Someone stops the evaluation (Stopping, then Stopped, between two runs).")


def _quiet(acct: LocalAccount, jobs: Jobs) -> Scene:
    del acct, jobs
    return Scene("Nothing changes.")


SCRIPT: list[Step] = [_history, _new_jobs, _finish, _stop, _quiet]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="  log %(levelname)s %(message)s")
    print("Bedrock Job Monitor: local run on an embedded simulated account\n")
    jobs: Jobs = {}
    with local_account() as acct:
        # The default kinds, async invocations and knowledge-base ingestion turned on as
        # job_kinds would (both opt-in: another client; the sweep costs calls).
        kinds = (*acct.settings().kinds, ASYNC_INVOKE, KNOWLEDGE_BASE_INGESTION)
        settings = acct.settings(watch_regions=(REGION, OTHER_REGION), kinds=kinds)
        print(
            f"Watching {', '.join(settings.regions)}; kinds: "
            f"{', '.join(k.name for k in settings.kinds)}\n"
        )
        for number, step in enumerate(SCRIPT, start=1):
            scene = step(acct, jobs)
            for region in settings.regions:
                acct.simulator(region).reset_calls()
            print(f"-- run {number} at {acct.clock.now:%H:%M} UTC: {scene.story}")
            monitor = acct.monitor(settings)
            for arn in scene.events:
                _deliver_event(acct, monitor, arn)
            try:
                report = monitor.run()
            except RunFailed as failed:
                report = failed.report
                print(f"  run failed: {failed}")
            calls = sum(acct.simulator(region).count() for region in settings.regions)
            calls += sum(sum(acct.parents_in(r).calls.values()) for r in settings.regions)
            for region in settings.regions:
                acct.parents_in(region).calls.clear()
            _print_run(report, acct.drain(), calls)
            acct.clock.advance(minutes=5)
    return 0


def _deliver_event(acct: LocalAccount, monitor: Monitor, arn: str) -> None:
    """The real-time path: the event names the job; the monitor describes it and publishes."""
    event = state_change_event(acct.simulator(OTHER_REGION), arn)
    job_event = parse_job_event(event, [k for k in monitor_kinds(acct)])
    published = monitor.observe(job_event)
    delivered = acct.drain()
    print(f"  event {event['detail-type']!r} for {arn.rsplit('/', 1)[-1]} in {job_event.region}:")
    for message in delivered:
        _print_message(message)
    if published is None:
        print("    nothing to publish")
    print("  then the scheduled run (it does not publish that failure again):")


def monitor_kinds(acct: LocalAccount) -> list[JobKind]:
    return list(acct.settings().kinds)


def _print_run(report: RunReport, delivered: list[Delivered], bedrock_calls: int) -> None:
    baseline = [k for k in report.kinds if k.baseline]
    if baseline:
        tracking = [f"{k.tracked} {k.kind} in {k.region}" for k in baseline if k.tracked]
        print(
            f"  baseline recorded for {len(baseline)} kind/region pairs; tracking "
            + (", ".join(tracking) or "no job")
            + "; nothing published"
        )
    for message in delivered:
        _print_message(message)
    if not delivered and not baseline:
        print("  no transitions")
    print(f"  Bedrock API calls this run: {bedrock_calls}\n")
    if delivered:
        print("  last message body, as published to SNS:")
        print("    " + json.dumps(delivered[-1].body, indent=2).replace("\n", "\n    ") + "\n")


def _print_message(message: Delivered) -> None:
    body = message.body
    previous = body["previousStatus"] or "(new)"
    print(
        f"  {previous:>12} -> {body['status']:<10} {body['kind']:<24} {body['region']:<10} "
        f"{body['jobName']}"
    )
    print(f"    subject:    {message.subject}")
    print(f"    attributes: {json.dumps(message.attributes)}")
    if body.get("failureMessages"):
        print(f"    failure:    {body['failureMessages'][0]}")
    if body.get("outputLocation"):
        print(f"    output:     {body['outputLocation']}")
    if body.get("details"):
        print(f"    details:    {json.dumps(body['details'])}")


if __name__ == "__main__":
    sys.exit(main())
