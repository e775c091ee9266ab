"""The daily digest: a function that reads the journal and the running jobs from the state table
and publishes one summary to the transitions topic, and the schedule that runs it once a day.

Built like the monitor's schedule (EventBridge Scheduler with its own role, retries and an
encrypted dead-letter queue). The Scheduler invokes the function asynchronously, and its retries
and dead-letter queue cover delivery only: a run that raises (DynamoDB or SNS throttled beyond
botocore's retries) is retried by Lambda (``ASYNC_RETRY_ATTEMPTS``) and then kept in an encrypted
on-failure queue, like the Slack notifier's. Every attempt gets the schedule's payload, with the
scheduled time, so it covers the same period and publishes the same dedupe id.

The construct exposes ``schedule_dead_letter_queue``, ``failure_queue`` and ``function`` as its
``alarm_targets``. The digest role may only Query the table (no write, no Scan), publish to
the topic, send to its failure queue, and use the key for exactly that.
"""

from __future__ import annotations

import math

from aws_cdk import Duration
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.blocks.schedules import schedule_invocations
from infra.constructs.capability import Foundation, FunctionCapability

DIGEST_TABLE_ACTIONS = ("dynamodb:Query",)
"""What the digest calls: a Query per journal day and per watched region's state partition."""
DIGEST_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
"""Reading the CMK-encrypted table (publishing adds the envelope actions, see grant_publish)."""
DIGEST_TIMEOUT = Duration.seconds(120)
MAX_EVENT_AGE = Duration.hours(1)
"""A digest more than an hour late is still worth sending; a day late it is not."""


def digest_minute(monitor_timeout_seconds: int) -> int:
    """Minute past the hour the digest runs: once every monitor run started before the hour has
    ended. The journal keeps a transition's claim time but is written after the publish and the
    commit, up to one monitor timeout later (the real-time path's timeout is shorter), so the
    digest for the period ending at H:00 must not read before H:00 + that timeout."""
    return math.ceil(monitor_timeout_seconds / 60) + 1


class ScheduledDigest(FunctionCapability):
    """The daily digest's function and its once-a-day schedule.

    Alarmed: the function's errors ("DigestErrors"), its failure queue and the schedule's
    dead-letter queue.

    Attributes: ``function``, ``role``, ``log_group``, ``failure_queue`` (runs that failed
    after Lambda's retries), ``schedule``, ``schedule_role``, ``schedule_dead_letter_queue``,
    ``alarm_targets``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: Foundation) -> None:
        super().__init__(scope, construct_id, foundation=foundation)
        settings, key = self.settings, self.key
        retried_then_kept = self._failure_queue(
            what="daily digest", label="DigestFailureQueue", max_event_age=MAX_EVENT_AGE
        )
        self._build_monitor_code_function(
            description="Bedrock Job Monitor: publishes the daily digest of job transitions",
            handler=names.DIGEST_HANDLER,
            service_name=names.DIGEST_SERVICE,
            timeout=DIGEST_TIMEOUT,
            # The schedule invokes asynchronously and retries only a failed delivery: a run that
            # raises is retried here (same payload, same period), then kept in the queue.
            **retried_then_kept,
        )
        foundation.storage.table.grant(self.role, *DIGEST_TABLE_ACTIONS)
        key.key.grant(self.role, *DIGEST_KEY_ACTIONS)
        foundation.notifications.grant_publish(self.role)

        minute = digest_minute(settings.monitor_timeout_seconds)
        hour = settings.digest_hour_utc
        scheduled = schedule_invocations(
            self,
            self.function,
            key=key,
            what="daily digest",
            expression=scheduler.ScheduleExpression.cron(minute=str(minute), hour=str(hour)),
            description=(
                f"Bedrock Job Monitor: daily digest at {hour:02}:{minute:02} UTC "
                f"of the 24 hours to {hour:02}:00 UTC"
            ),
            payload={"scheduledTime": scheduler.ContextAttribute.scheduled_time},
            max_event_age=MAX_EVENT_AGE,
            retain=settings.retain_on_delete,
        )
        self.schedule = scheduled.schedule
        self.schedule_role = scheduled.role
        self.schedule_dead_letter_queue: sqs.Queue = scheduled.dead_letter_queue

        self._watch_errors(
            "DigestErrors", "The daily digest failed", dashboard_label="DigestErrors"
        )
        self._watch_queue("DigestScheduleDeadLetterQueue", self.schedule_dead_letter_queue)
