"""The scheduled monitor: the function that polls Bedrock and publishes transitions, and the
schedule that runs it."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.blocks.alarms import Heartbeat
from infra.blocks.schedules import schedule_invocations
from infra.constructs.bedrock_access import (
    grant_describe_jobs,
    grant_list_jobs,
    grant_read_tags,
)
from infra.constructs.capability import Foundation, FunctionCapability
from job_monitor.domain.kinds import JobKind, resolve_kinds


class ScheduledMonitor(FunctionCapability):
    """The monitor function (one run at a time) and its EventBridge Scheduler schedule.

    Alarmed, on free AWS/Lambda and AWS/SQS metrics only: the function's errors ("MonitorErrors":
    a failed, timed-out or partly failed run), the schedule's dead-letter queue, and a dead-man's
    switch "MonitorStoppedRunning" (``blocks.alarms.Heartbeat``): in each of
    ``dead_mans_switch_periods(settings)`` schedule periods the schedule handed Lambda a run
    (``AsyncEventsReceived``) and none started (``Invocations``). A fresh deploy, before its
    first run, does not fire it.

    Attributes: ``function``, ``role``, ``log_group``, ``schedule``, ``schedule_role``,
    ``schedule_dead_letter_queue``, ``kinds``, ``alarm_targets``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: Foundation) -> None:
        super().__init__(scope, construct_id, foundation=foundation)
        settings = self.settings
        self.kinds: tuple[JobKind, ...] = resolve_kinds(settings.job_kinds)
        period = Duration.minutes(settings.schedule_minutes)

        self._build_monitor_code_function(
            description="Bedrock Job Monitor: publishes Bedrock job status transitions to SNS",
            handler=names.MONITOR_HANDLER,
            service_name=names.MONITOR_SERVICE,
            timeout=Duration.seconds(settings.monitor_timeout_seconds),
            # The benchmark (sim/bench_lambda.py) reads this literal for its cost model.
            memory_size=256,
            # Overlapping runs are already safe: state advances by conditional writes, so two runs
            # cannot both publish a transition. One run at a time avoids the wasted duplicate
            # listing (and API throttling) that an overlapping run would cause. Accounts at the
            # minimum unreserved concurrency cannot reserve any: monitor_reserved_concurrency=false.
            reserved_concurrent_executions=1 if settings.monitor_reserved_concurrency else None,
            # A failed or late run is not retried by Lambda: the next scheduled run covers the
            # same window, and the Errors alarm and the dead-man's switch report the failure.
            retry_attempts=0,
            max_event_age=Duration.seconds(max(60, min(period.to_seconds(), 21_600))),
        )
        foundation.storage.grant_monitor_access(self.role)
        foundation.notifications.grant_publish(self.role)
        grant_list_jobs(self, self.role, self.kinds)
        grant_describe_jobs(self, self.role, self.kinds, settings.watch_regions)
        grant_read_tags(self, self.role, self.kinds, settings.watch_regions, settings.tag_keys)

        scheduled = schedule_invocations(
            self,
            self.function,
            key=self.key,
            what="monitor",
            expression=scheduler.ScheduleExpression.rate(period),
            description=f"Runs the Bedrock Job Monitor every {settings.schedule_minutes} min",
            payload={},
            # An invocation older than one period is superseded by the next run.
            max_event_age=Duration.seconds(max(60, period.to_seconds())),
            retain=settings.retain_on_delete,
        )
        self.schedule = scheduled.schedule
        self.schedule_role = scheduled.role
        self.schedule_dead_letter_queue: sqs.Queue = scheduled.dead_letter_queue

        self._watch_errors(
            "MonitorErrors",
            "The Bedrock Job Monitor failed a run",
            dashboard_label="Monitor errors",
        )
        self._watch_queue("ScheduleDeadLetterQueue", self.schedule_dead_letter_queue)
        periods = dead_mans_switch_periods(
            settings.schedule_minutes, settings.monitor_timeout_seconds
        )
        self._watch_heartbeat(
            Heartbeat(
                label="MonitorStoppedRunning",
                periods=periods,
                period=period,
                # Lambda's asynchronous invocation metric: every event the schedule handed to
                # Lambda, whether it then ran, failed, timed out or was throttled.
                asked=self.function.metric("AsyncEventsReceived", statistic="Sum", period=period),
                started=self.function.metric_invocations(statistic="Sum", period=period),
                description=f"Dead-man's switch: the schedule asked for a run and none started, "
                f"in each of {periods} schedule periods ({periods * settings.schedule_minutes} "
                "min): throttled, dropped or not run by Lambda (failed runs: MonitorErrors)",
            )
        )


def dead_mans_switch_periods(schedule_minutes: int, timeout_seconds: int) -> int:
    """Schedule periods in a row, asked and not started, before the dead-man's switch fires: at
    least ``names.DEAD_MANS_SWITCH_PERIODS``, and more than one run can hold the function (one
    at a time: the runs asked meanwhile wait or are dropped) plus the period it started in:
    ``ceil(timeout / period) + 2``. 1-minute schedule, 300 s timeout: 7 periods."""
    period_s = schedule_minutes * 60
    return max(names.DEAD_MANS_SWITCH_PERIODS, -(-timeout_seconds // period_s) + 2)
