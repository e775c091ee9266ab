"""One daily digest: read the journal and the running jobs, build the digest, publish it.

Reads with Query only (through the ports, built by ``wiring.build_digest_sender``): the journal's
day partitions covering the period, and each watched region's state partition (its tracked jobs
are the ones still running). Publishes exactly one message, even on a quiet day ("nothing failed"
is information, and a missing digest then means the digest itself is broken).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from job_monitor.config import MonitorSettings
from job_monitor.contracts.digest import render_digest
from job_monitor.digest.build import (
    Digest,
    JournalEntry,
    NotOfferedKind,
    RunningJob,
    build_digest,
)
from job_monitor.domain.jobs import as_utc
from job_monitor.domain.kinds import REGISTRY
from job_monitor.ports import Publisher, StateStore

logger = logging.getLogger(__name__)

PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class DigestReport:
    digest: Digest
    message_id: str


def period_end(now: datetime) -> datetime:
    """The end of the period a digest run at ``now`` covers: ``now`` cut to the hour, so a repeated
    run within the hour covers the same period and has the same dedupe id.

    The schedule runs the digest a few minutes after the hour (``infra.constructs.digest.
    digest_minute``): a transition claimed just before the hour is journaled when its monitor run
    commits, up to one monitor timeout later, and the digest must read it. Scheduled runs pass
    the schedule's time (``scheduled_at``), so a retry after the hour still covers the same period.
    """
    return as_utc(now).replace(minute=0, second=0, microsecond=0)


def account_of(topic_arn: str) -> str:
    parts = topic_arn.split(":")
    return parts[4] if len(parts) > 4 else ""


JournalReader = Callable[[datetime, datetime], list[JournalEntry]]
"""The journal entries of transitions observed in [start, end)."""


class DigestSender:
    """One daily digest on the ports: the journal, each watched region's state store (its tracked
    jobs are the ones still running) and the topic. Built by ``wiring.build_digest_sender``."""

    def __init__(
        self,
        settings: MonitorSettings,
        *,
        read_journal: JournalReader,
        stores: Mapping[str, StateStore],
        publisher: Publisher,
    ) -> None:
        self._settings = settings
        self._read_journal = read_journal
        self._stores = stores
        self._publisher = publisher

    def collect(self, *, now: datetime, scheduled_at: datetime | None = None) -> Digest:
        """The digest of the 24 hours before ``scheduled_at`` (default ``now``) cut to the hour;
        running jobs' ages are taken at ``now``."""
        settings = self._settings
        end = period_end(scheduled_at or now)
        start = end - PERIOD
        entries = self._read_journal(start, end)
        running: list[RunningJob] = []
        not_offered: list[NotOfferedKind] = []
        watched = {k.name for k in settings.kinds}
        labels = {name: kind.label for name, kind in REGISTRY.items()}
        for region, store in self._stores.items():
            for kind_name, state in store.load().kinds.items():
                if kind_name not in watched:
                    continue
                if state.not_offered is not None:
                    not_offered.append(
                        NotOfferedKind(
                            region,
                            kind_name,
                            labels.get(kind_name, kind_name),
                            state.not_offered.since,
                        )
                    )
                running.extend(
                    RunningJob(
                        kind_name,
                        region,
                        job.arn,
                        job.name,
                        job.status,
                        job.created_at,
                        job.last_modified,
                    )
                    for job in state.tracked.values()
                )
        return build_digest(
            entries,
            running,
            period_start=start,
            period_end=end,
            account=account_of(settings.topic_arn),
            regions=settings.regions,
            kind_labels=labels,
            now=now,
            not_offered=not_offered,
            overdue=settings.overdue_rules.thresholds,
        )

    def send(self, *, now: datetime, scheduled_at: datetime | None = None) -> DigestReport:
        """Collect and publish exactly one digest message. Raises what the ports raise (the
        handler's invocation then fails and Lambda retries it with the same payload)."""
        digest = self.collect(now=now, scheduled_at=scheduled_at)
        message = render_digest(digest, self._settings.message_format)
        message_id = self._publisher.publish(message)
        logger.info(
            "digest published",
            extra={
                "dedupe_id": digest.dedupe_id,
                "message_id": message_id,
                "subject": message.subject,
                "sections": len(digest.sections),
            },
        )
        return DigestReport(digest, message_id)
