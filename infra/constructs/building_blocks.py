"""Small builders shared by the capability constructs: encrypted queues and tables, and a Python
function with its own role and log group. Each exists once so that every resource of a kind is
configured the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import nag, names, versions
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings

RUNTIME: lambda_.Runtime = getattr(
    lambda_.Runtime, "PYTHON_" + versions.PYTHON_VERSION.replace(".", "_")
)
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[
    versions.LAMBDA_ARCHITECTURE
]

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


def removal_policy(retain: bool) -> RemovalPolicy:
    return RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY


def encrypted_queue(
    scope: Construct, construct_id: str, *, key: EncryptionKey, dead_letter_for: str
) -> sqs.Queue:
    """A dead-letter queue (of ``dead_letter_for``) that keeps failed messages for the maximum
    14 days: CMK, TLS-only. Its ApproximateNumberOfMessagesVisible is alarmed on."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key.key,
        data_key_reuse=Duration.hours(1),
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    nag.acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is itself the dead-letter queue of {dead_letter_for}; nothing consumes "
        "it automatically (an alarm fires on any message), so it needs no DLQ of its own.",
    )
    return queue


def encrypted_topic(
    scope: Construct, construct_id: str, *, key: EncryptionKey, display_name: str
) -> sns.Topic:
    """A topic encrypted with the CMK whose policy denies any request without TLS."""
    return sns.Topic(
        scope,
        construct_id,
        display_name=display_name,
        master_key=key.key,
        enforce_ssl=True,
    )


def encrypted_table(
    scope: Construct,
    construct_id: str,
    *,
    key: EncryptionKey,
    retain: bool,
    partition_key: str,
    sort_key: str | None = None,
    ttl_attribute: str,
) -> dynamodb.Table:
    """On-demand table, CMK-encrypted, with point-in-time recovery and a TTL attribute.

    ``dynamodb.Table`` rather than ``TableV2``: TableV2 with a customer-managed key fails in a
    region-agnostic stack.
    """
    return dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=(
            dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
            if sort_key
            else None
        ),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key.key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=ttl_attribute,
        removal_policy=removal_policy(retain),
        deletion_protection=retain,
    )


def powertools_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The public Powertools layer for this runtime and architecture, pinned to
    ``versions.POWERTOOLS_VERSION``. The ARN comes from a public SSM parameter that CloudFormation
    resolves at deploy time (an ``AWS::SSM::Parameter::Value<String>`` parameter), so synth needs
    no AWS access and each region gets its own layer ARN."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child("PowertoolsLayer")
    if existing is not None:  # one import per stack, shared by the functions
        return existing  # type: ignore[return-value]
    arn = ssm.StringParameter.value_for_string_parameter(
        stack, versions.powertools_layer_parameter()
    )
    return lambda_.LayerVersion.from_layer_version_arn(stack, "PowertoolsLayer", arn)


class PythonFunction(Construct):
    """A Python Lambda function with its own role (no AWS managed policies) and its own log
    group with a retention. The role may only write to that log group.

    Attributes: ``function``, ``role``, ``log_group``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        description: str,
        code: lambda_.Code,
        handler: str,
        service_name: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        extra_layers: Sequence[lambda_.ILayerVersion] = (),
        **function_props: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention(settings.log_retention_days),
            removal_policy=removal_policy(settings.retain_on_delete),
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role: {description}",
        )
        self.log_group.grant_write(self.role)
        nag.acknowledge(
            self,
            "AwsSolutions-L1",
            f"Runtime pinned to python{versions.PYTHON_VERSION} on purpose (infra/versions.py): "
            "the Powertools layer ARN and the bundled wheels are selected for this exact runtime, "
            "and the code is tested on it; upgrade the pin and the layer together.",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            layers=[powertools_layer(self), *extra_layers],
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": names.METRIC_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": settings.log_level,
                **environment,
            },
            **function_props,
        )


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """On-failure destination that grants the function exactly sqs:SendMessage and the key's
    envelope actions (``aws_lambda_destinations.SqsDestination`` grants wildcard KMS actions)."""

    def __init__(self, queue: sqs.IQueue, key: EncryptionKey) -> None:
        self._queue = queue
        self._key = key

    def bind(
        self, _scope: Construct, fn: lambda_.IFunction, _options: object = None
    ) -> lambda_.DestinationConfig:
        iam.Grant.add_to_principal(
            grantee=fn, actions=["sqs:SendMessage"], resource_arns=[self._queue.queue_arn]
        )
        self._key.grant_envelope_use(fn)
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)


ASYNC_RETRY_ATTEMPTS = 2
"""Lambda's retries of an asynchronous invocation that raised, before it is kept in a queue."""


def retried_then_kept(
    queue: sqs.IQueue, key: EncryptionKey, *, max_event_age: Duration
) -> dict[str, Any]:
    """Function props for an asynchronously invoked function: Lambda retries a failed
    invocation, then sends it (payload and error) to ``queue`` (an alarmed, encrypted queue)."""
    return {
        "retry_attempts": ASYNC_RETRY_ATTEMPTS,
        "max_event_age": max_event_age,
        "on_failure": QueueDestination(queue, key),
    }


SCHEDULE_RETRY_ATTEMPTS = 2
"""EventBridge Scheduler's retries of a failed delivery (the invocation request itself)."""


@dataclass(frozen=True)
class ScheduledInvocation:
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
) -> ScheduledInvocation:
    """An EventBridge Scheduler schedule invoking ``function`` (``what`` names it in
    descriptions), through its own role (only the account's scheduler may assume it), retrying a
    failed delivery and keeping what still fails in an encrypted dead-letter queue. The constructs
    are ``ScheduleDeadLetterQueue``, ``ScheduleRole`` and ``Schedule`` under ``scope``."""
    dead_letter_queue = encrypted_queue(
        scope, "ScheduleDeadLetterQueue", key=key, dead_letter_for=f"the {what}'s schedule"
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
