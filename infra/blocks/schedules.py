"""An EventBridge Scheduler schedule that invokes a function, with its own role, retries and an
encrypted dead-letter queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.blocks.storage import encrypted_queue
from infra.constructs.encryption import EncryptionKey

SCHEDULE_RETRY_ATTEMPTS = 2
"""EventBridge Scheduler's retries of a failed delivery (the invocation request itself)."""


@dataclass(frozen=True)
class ScheduledInvocation:
    """What ``schedule_invocations`` built."""

    schedule: scheduler.Schedule
    role: iam.Role
    dead_letter_queue: sqs.Queue


def schedule_invocations(
    scope: Construct,
    function: lambda_.IFunction,
    *,
    key: EncryptionKey,
    what: str,
    expression: scheduler.ScheduleExpression,
    description: str,
    payload: Mapping[str, Any],
    max_event_age: Duration,
    retain: bool,
) -> ScheduledInvocation:
    """An EventBridge Scheduler schedule invoking ``function`` (``what`` names it in
    descriptions), through its own role (only the account's scheduler may assume it), retrying a
    failed delivery and keeping what still fails in an encrypted dead-letter queue (``retain``:
    kept on stack deletion, ``blocks.removal``). The constructs
    are ``ScheduleDeadLetterQueue``, ``ScheduleRole`` and ``Schedule`` under ``scope``."""
    dead_letter_queue = encrypted_queue(
        scope,
        "ScheduleDeadLetterQueue",
        key=key,
        dead_letter_for=f"the {what}'s schedule",
        retain=retain,
    )
    role = iam.Role(
        scope,
        "ScheduleRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        ),
        description=f"EventBridge Scheduler: invokes the Bedrock Job Monitor's {what} function",
    )
    key.grant_envelope_use(role)
    schedule = scheduler.Schedule(
        scope,
        "Schedule",
        description=description,
        schedule=expression,
        target=scheduler_targets.LambdaInvoke(
            function,
            input=scheduler.ScheduleTargetInput.from_object(dict(payload)),
            role=role,
            dead_letter_queue=dead_letter_queue,
            retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
            max_event_age=max_event_age,
        ),
    )
    nag.acknowledge(
        role,
        "AwsSolutions-IAM5",
        f"aws_scheduler_targets.LambdaInvoke grants lambda:InvokeFunction on the {what} "
        "function and its versions/aliases (ARN + ':*'); it is still this one function.",
        finding=nag.resource_finding(scope, f"{function.function_arn}:*"),
    )
    return ScheduledInvocation(schedule, role, dead_letter_queue)
