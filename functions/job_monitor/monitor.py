"""The monitor as the handlers see it: a scheduled run, one job now (the real-time path), and the
test notification. It only composes the poll, the real-time check and the publish pipeline, which
``wiring.build_monitor`` builds with their adapters."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from job_monitor.config import MonitorSettings
from job_monitor.contracts.routing import TARGET_ATTRIBUTE
from job_monitor.contracts.transition import render, sample_transition
from job_monitor.domain.jobs import Transition, arn_region_account
from job_monitor.poll.budget import RemainingSeconds, TimeBudget
from job_monitor.poll.kind import Clock, PollContext
from job_monitor.poll.run import Poller, RunReport, new_run_id
from job_monitor.ports import Journal, Publisher, RegionScope
from job_monitor.publish.pipeline import AlertPipeline
from job_monitor.realtime.events import JobEvent, StartSignal
from job_monitor.realtime.observe import observe_job

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Monitor:
    """``regions``: one ``RegionScope`` per watched region (sources and state store); the
    ``publisher`` sends every alert to the topic; ``journal`` (the daily digest's) hears of every
    published transition. ``scan_workers``: threads for a region's concurrent scans
    (``poll.run``; 1, the default: sequential). Raises ValueError without a region."""

    def __init__(
        self,
        settings: MonitorSettings,
        regions: Sequence[RegionScope],
        publisher: Publisher,
        *,
        journal: Journal | None = None,
        clock: Clock = utc_now,
        remaining_seconds: RemainingSeconds | None = None,
        scan_workers: int = 1,
    ) -> None:
        if not regions:
            raise ValueError("a monitor needs at least one region")
        self.settings = settings
        self.regions = tuple(regions)
        self.publisher = publisher
        self.journal = journal
        self._clock = clock
        self._remaining = remaining_seconds
        self._scan_workers = scan_workers

    def run(self) -> RunReport:
        """Run every configured kind in every region; raise ``poll.run.RunFailed`` at the end if
        any failed. A region or a kind that fails does so alone: the others still run."""
        context = self._context(new_run_id())
        return Poller(self.regions, self.settings.kinds, context).run(self._clock)

    def observe(self, event: JobEvent) -> Transition | None:
        """Check the job an event names now and publish its transition (``realtime.observe``).
        None when the event's region is not watched here, or there is nothing to publish."""
        scope = next((r for r in self.regions if r.name == event.region), None)
        if scope is None:
            logger.warning(
                "event from a region this monitor does not watch", extra={"region": event.region}
            )
            return None
        return observe_job(scope, event, self._context(new_run_id()))

    def flag_start(self, signal: StartSignal) -> bool:
        """Flag the leaf a start call named, so the next scheduled run lists it whatever the
        sweep's rotation (the sweep stays the guarantee). False when the region is not watched
        here or the kind is not monitored."""
        scope = next((r for r in self.regions if r.name == signal.region), None)
        if scope is None or signal.kind not in self.settings.kinds:
            return False
        scope.store.flag_leaf(signal.kind, signal.path, self._clock())
        return True

    def send_test_notification(self, destination: str | None = None) -> str:
        """Publish a clearly labelled sample transition through the real path (SNS, then every
        subscriber). Touches no state. Returns SNS's message id.

        ``destination`` (a name of the stack's ``destinations``): the sample's only message
        attribute is ``routing.TARGET_ATTRIBUTE`` with that name, which only that destination's
        filter policy accepts (the stack's other policies all require a ``status``): it reaches
        that destination only. A name no destination has reaches none of the stack's
        subscribers."""
        region, account = arn_region_account(self.settings.topic_arn)
        sample = sample_transition(self._clock(), region, account)
        message = render(sample, self.settings.message_format)
        if destination is not None:
            message = dataclasses.replace(message, attributes={TARGET_ATTRIBUTE: destination})
        return self.publisher.publish(message)

    def _context(self, run_id: str) -> PollContext:
        settings = self.settings
        return PollContext(
            run_id=run_id,
            clock=self._clock,
            pipeline=AlertPipeline(self.publisher),
            budget=TimeBudget(self._remaining, settings.time_margin_seconds),
            lookback=timedelta(seconds=settings.lookback_seconds),
            finished_ttl=timedelta(days=settings.finished_job_ttl_days),
            message_format=settings.message_format,
            journal=self.journal,
            overdue=settings.overdue_rules,
            sweep_budget=settings.sweep_budget,
            tag_keys=settings.tag_keys,
            scan_workers=self._scan_workers,
            delivery_batch=settings.delivery_batch,
        )
