"""The monitor function and the schedule that runs it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import FUNCTIONS_DIR, names
from infra.constructs.bedrock_access import grant_describe_jobs, grant_list_jobs
from infra.constructs.building_blocks import PythonFunction, schedule_invocations
from infra.constructs.encryption import EncryptionKey
from infra.constructs.notifications import Notifications
from infra.constructs.state_storage import StateStorage
from infra.settings import Settings
from job_monitor.domain.kinds import JobKind, resolve_kinds


def monitor_code() -> lambda_.Code:
    """The functions/ directory as is: the monitor needs only the runtime's boto3 and the
    Powertools layer, so its asset needs no bundling."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR), exclude=["**/__pycache__", "**/*.pyc", "**/.mypy_cache"]
    )


def monitor_code_function(
    scope: Construct,
    *,
    settings: Settings,
    storage: StateStorage,
    notifications: Notifications,
    description: str,
    handler: str,
    service_name: str,
    timeout: Duration,
    **function_props: Any,
) -> PythonFunction:
    """A function (``Function`` under ``scope``) running the monitor's code with the monitor's
    settings: the scheduled run, the real-time path and the daily digest share both."""
    return PythonFunction(
        scope,
        "Function",
        settings=settings,
        description=description,
        code=monitor_code(),
        handler=handler,
        service_name=service_name,
        environment=settings.monitor_environment(
            storage.table.table_name, notifications.topic.topic_arn
        ),
        timeout=timeout,
        memory_size=256,
        **function_props,
    )


class Monitor(Construct):
    """Attributes: ``function``, ``role``, ``log_group``, ``schedule``, ``schedule_role``,
    ``schedule_dead_letter_queue``, ``kinds``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        key: EncryptionKey,
        storage: StateStorage,
        notifications: Notifications,
    ) -> None:
        super().__init__(scope, construct_id)
        self.kinds: tuple[JobKind, ...] = resolve_kinds(settings.job_kinds)
        period = Duration.minutes(settings.schedule_minutes)

        built = monitor_code_function(
            self,
            settings=settings,
            storage=storage,
            notifications=notifications,
            description="Bedrock Job Monitor: publishes Bedrock job status transitions to SNS",
            handler=names.MONITOR_HANDLER,
            service_name=names.MONITOR_SERVICE,
            timeout=Duration.seconds(settings.monitor_timeout_seconds),
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
        self.function = built.function
        self.role = built.role
        self.log_group = built.log_group

        storage.grant_monitor_access(self.role)
        notifications.grant_publish(self.role)
        grant_list_jobs(self, self.role, self.kinds)
        grant_describe_jobs(self, self.role, self.kinds, settings.watch_regions)

        scheduled = schedule_invocations(
            self,
            self.function,
            key=key,
            what="monitor",
            expression=scheduler.ScheduleExpression.rate(period),
            description=f"Runs the Bedrock Job Monitor every {settings.schedule_minutes} min",
            payload={},
            # An invocation older than one period is superseded by the next run.
            max_event_age=Duration.seconds(max(60, period.to_seconds())),
        )
        self.schedule = scheduled.schedule
        self.schedule_role = scheduled.role
        self.schedule_dead_letter_queue: sqs.Queue = scheduled.dead_letter_queue
