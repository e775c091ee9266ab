"""Encrypted storage blocks: queues, topics and tables under the stack's customer-managed key."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.blocks.removal import removal_policy
from infra.constructs.encryption import EncryptionKey


def encrypted_queue(
    scope: Construct,
    construct_id: str,
    *,
    key: EncryptionKey,
    dead_letter_for: str,
    retain: bool,
) -> sqs.Queue:
    """A dead-letter queue (of ``dead_letter_for``, which the nag acknowledgement names) that
    keeps failed messages for the maximum 14 days: CMK, TLS-only. Watch it with
    ``alarms.WatchedQueue`` so that any message raises an alarm. ``retain``: kept (with the
    undelivered messages it holds) when the stack is deleted, see ``removal_policy``."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key.key,
        data_key_reuse=Duration.hours(1),
        enforce_ssl=True,
        retention_period=Duration.days(14),
        removal_policy=removal_policy(retain),
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
    """On-demand table, CMK-encrypted, with point-in-time recovery and a TTL attribute; string
    keys named ``partition_key`` (and ``sort_key``). ``retain``: kept on stack deletion but not
    on a failed create (``removal_policy``), hence no deletion protection.

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
        deletion_protection=False,
    )
