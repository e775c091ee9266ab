"""The real-time path: an EventBridge rule for Bedrock's job state-change events, and the function
that turns one event into the job's transition within seconds (``job_monitor.handlers.events``).

Model customization and batch inference jobs emit state-change events, and Data Automation
invocations one event per status (best effort). For the first two the scheduled monitor stays the
path that guarantees completeness; Data Automation has no list API, so its lost event is not
recovered. EventBridge rules are regional: this rule sees the
stack's own region's events; other watched regions are covered by the poll.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.blocks.functions import ASYNC_RETRY_ATTEMPTS
from infra.blocks.storage import encrypted_queue
from infra.constructs.bedrock_access import grant_describe_jobs, grant_read_tags
from infra.constructs.capability import Foundation, FunctionCapability
from infra.settings import Settings
from job_monitor.domain.kinds import JobKind, resolve_kinds
from job_monitor.realtime.events import (
    CLOUDTRAIL_DETAIL_TYPE,
    CLOUDTRAIL_EVENT_SOURCE,
    EVENT_SOURCE,
    start_kinds,
)

MAX_EVENT_AGE = Duration.hours(1)
"""An event older than this is dropped to the dead-letter queue: the poll has reported it."""


def start_event_names(settings: Settings) -> list[str]:
    """CloudTrail event names of the monitored parent-scoped kinds' start calls."""
    return sorted(start_kinds(resolve_kinds(settings.job_kinds)))


def event_kinds(settings: Settings) -> tuple[JobKind, ...]:
    """The monitored kinds that emit state-change events."""
    return tuple(k for k in resolve_kinds(settings.job_kinds) if k.detail_types)


class RealtimeEvents(FunctionCapability):
    """The real-time path: an EventBridge rule and the function it invokes.

    Alarmed: the function's errors ("RealtimeErrors") and the dead-letter queue shared by the
    rule's delivery failures and the function's failed events.

    Attributes: ``rule``, ``function``, ``role``, ``log_group``, ``dead_letter_queue``,
    ``kinds``, ``alarm_targets``. Raises ValueError when no monitored kind emits events.
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: Foundation) -> None:
        super().__init__(scope, construct_id, foundation=foundation)
        settings, key = self.settings, self.key
        self.kinds = event_kinds(settings)
        if not self.kinds:
            raise ValueError("no monitored job kind emits events; do not add the real-time path")

        self.dead_letter_queue: sqs.Queue = encrypted_queue(
            self,
            "DeadLetterQueue",
            key=key,
            dead_letter_for="the real-time event path",
            retain=settings.retain_on_delete,
        )
        self._build_monitor_code_function(
            description="Bedrock Job Monitor: publishes a job's transition when Bedrock's event "
            "arrives",
            handler=names.EVENTS_HANDLER,
            service_name=names.EVENTS_SERVICE,
            timeout=Duration.seconds(60),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            dead_letter_queue=self.dead_letter_queue,
        )
        foundation.storage.grant_realtime_access(self.role, journal=settings.daily_digest)
        foundation.notifications.grant_publish(self.role)
        grant_describe_jobs(self, self.role, self.kinds, settings.watch_regions)
        grant_read_tags(self, self.role, self.kinds, settings.watch_regions, settings.tag_keys)

        self.rule = events.Rule(
            self,
            "Rule",
            description="Bedrock job state changes -> the Bedrock Job Monitor's real-time path",
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=sorted(t for k in self.kinds for t in k.detail_types),
            ),
        )
        # EventBridge invokes asynchronously: delivery failures of the rule itself are retried by
        # EventBridge, then kept in the same dead-letter queue as the function's failures.
        key.allow_service("events.amazonaws.com")
        self.rule.add_target(
            targets.LambdaFunction(
                self.function,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=ASYNC_RETRY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
            )
        )

        self.start_rule = self._build_start_rule(settings)

        self._watch_errors(
            "RealtimeErrors",
            "The real-time path failed an event (retried, then kept in its dead-letter queue)",
            dashboard_label="RealtimeErrors",
        )
        self._watch_queue("RealtimeDeadLetterQueue", self.dead_letter_queue)

    def _build_start_rule(self, settings: Settings) -> events.Rule | None:
        """With a parent-scoped kind monitored: its start calls, as CloudTrail delivers them
        (only in accounts with a trail; best effort), to the same function, which flags the
        data source or policy for the next scheduled run. None when no such kind is on."""
        names_ = start_event_names(settings)
        if not names_:
            return None
        rule = events.Rule(
            self,
            "StartCallsRule",
            description="Bedrock ingestion / policy build start calls (CloudTrail) -> the "
            "Bedrock Job Monitor's real-time path",
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=[CLOUDTRAIL_DETAIL_TYPE],
                detail={"eventSource": [CLOUDTRAIL_EVENT_SOURCE], "eventName": names_},
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                self.function,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=ASYNC_RETRY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
            )
        )
        return rule
