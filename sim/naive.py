"""The poller users would otherwise write, for the benchmark only (``make bench``).

Every run, for every kind: list every job (all pages, newest first), read the per-job records
(one DynamoDB Query per kind, following ``LastEvaluatedKey``), and for each job whose status
differs from its record publish the transition and write the record. The first run of a kind (no
records yet) writes a record per job (``BatchWriteItem``, 25 per request) and publishes nothing.

It is a fair rival: it uses the monitor's own Bedrock adapter (1,000 jobs per page, the same
parsing), message rendering and SNS publisher (same message sizes), the kind registry,
eventually consistent reads (the DynamoDB default: half the read units of a consistent read) and
one Get per failure whose list summary lacks the message, as the monitor does. What it does not
have is a way to avoid reading the whole history on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["PAGE_SIZE", "NaivePoller", "NaiveReport", "record"]

from job_monitor.adapters.job_source import PAGE_SIZE, BedrockJobSource
from job_monitor.adapters.sns import SnsPublisher
from job_monitor.contracts.transition import render
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import JobKind
from job_monitor.poll.scan import list_pages

RECORD_PREFIX = "naive#"
_BATCH = 25


@dataclass
class NaiveReport:
    listed: dict[str, int] = field(default_factory=dict)
    """Jobs listed, by kind."""
    records: dict[str, int] = field(default_factory=dict)
    """Per-job records read, by kind."""
    published: int = 0
    baseline: list[str] = field(default_factory=list)
    """Kinds that had no records yet: recorded, nothing published."""


class NaivePoller:
    def __init__(
        self,
        kinds: Iterable[JobKind],
        *,
        bedrock: Any,
        other_clients: Mapping[str, Any] | None = None,
        dynamodb: Any,
        sns: Any,
        table_name: str,
        topic_arn: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._kinds = tuple(kinds)
        # One source per service: bedrock, and e.g. bedrock-runtime for async invocations.
        self._sources = {
            service: BedrockJobSource(client)
            for service, client in {"bedrock": bedrock, **(other_clients or {})}.items()
        }
        self._dynamodb = dynamodb
        self._publisher = SnsPublisher(sns, topic_arn)
        self._table = table_name
        self._clock = clock

    def run(self) -> NaiveReport:
        report = NaiveReport()
        for kind in self._kinds:
            jobs = self._list_all(kind)
            records = self._records(kind)
            report.listed[kind.name] = len(jobs)
            report.records[kind.name] = len(records)
            if not records:
                report.baseline.append(kind.name)
                self._write_all(kind, jobs)
                continue
            for job in jobs:
                previous = records.get(job.arn)
                if previous == job.status:
                    continue
                failures = job.failure_messages
                if kind.needs_failure_message(job.status) and not failures:
                    detail = self._sources[kind.service].describe(kind, job.arn)
                    failures = detail.failure_messages if detail else ()
                transition = Transition(job, previous, self._clock(), failures)
                self._publisher.publish(render(transition))
                self._dynamodb.put_item(TableName=self._table, Item=record(kind, job))
                report.published += 1
        return report

    def _list_all(self, kind: JobKind) -> list[Job]:
        source = self._sources[kind.service]
        return [job for page in list_pages(source, kind) for job in page.jobs]

    def _records(self, kind: JobKind) -> dict[str, str]:
        records: dict[str, str] = {}
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": RECORD_PREFIX + kind.name}},
        }
        while True:
            response = self._dynamodb.query(**params)
            for item in response.get("Items", []):
                records[item["sk"]["S"]] = item["status"]["S"]
            last = response.get("LastEvaluatedKey")
            if not last:
                return records
            params["ExclusiveStartKey"] = last

    def _write_all(self, kind: JobKind, jobs: list[Job]) -> None:
        items = [record(kind, job) for job in jobs]
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            pending = {self._table: [{"PutRequest": {"Item": item}} for item in batch]}
            while pending:
                response = self._dynamodb.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}


def record(kind: JobKind, job: Job) -> dict[str, Any]:
    """The per-job record: partition per kind, the job ARN as sort key, the last status seen."""
    return {
        "pk": {"S": RECORD_PREFIX + kind.name},
        "sk": {"S": job.arn},
        "status": {"S": job.status},
    }
