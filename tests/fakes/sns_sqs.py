"""An SQS queue standing in for an SNS subscriber (moto): subscribe it with a filter policy, publish
the monitor's messages as ``adapters.sns`` does, read back what SNS delivered.

Raw message delivery: the queue holds the body the subscriber (a notifier, an email) would get.

moto 5.2.5 counts a policy's combinations by multiplying over its ``$or`` branches (and by their
depth), where SNS adds them up (``routing.combinations``, from the SNS developer guide), so it
refuses as "too complex" a destination policy SNS accepts. ``subscribe_queue`` validates such a
policy as SNS does while it subscribes: each ``$or`` branch by moto's own check, the whole by SNS's
sum. moto's matching of ``$or`` is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend

from job_monitor.contracts import routing
from job_monitor.contracts import transition as transition_contract
from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.jobs import Transition


def _queue(sqs: Any, name: str | None) -> tuple[str, str]:
    name = name or f"sub-{len(sqs.list_queues().get('QueueUrls', []))}"
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, str(arn)


def _validated_as_sns_does(original: Callable[..., None]) -> Callable[..., None]:
    def validate(backend: Any, value: Any, scope: str | None) -> None:
        if not (isinstance(value, dict) and set(value) == {"$or"}):
            original(backend, value, scope)
            return
        for branch in value["$or"]:
            original(backend, branch, scope)
        if routing.combinations(value) > routing.SNS_MAX_COMBINATIONS:
            raise SNSInvalidParameter(
                "Invalid parameter: FilterPolicy: Filter policy is too complex"
            )

    return validate


def subscribe_queue(
    sns: Any, sqs: Any, topic_arn: str, policy: dict[str, Any], name: str | None = None
) -> str:
    """A new queue (``name``, or ``sub-<n>``) subscribed to ``topic_arn`` with ``policy``, whose
    combinations are counted as SNS counts them (see the module docstring); its URL."""
    url, arn = _queue(sqs, name)
    check = _validated_as_sns_does(SNSBackend._validate_filter_policy)
    with patch.object(SNSBackend, "_validate_filter_policy", check):
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"},
        )
    return url


def publish(sns: Any, topic_arn: str, message: SnsMessage) -> None:
    """Publish ``message`` as ``adapters.sns.SnsPublisher`` does (String attributes)."""
    sns.publish(
        TopicArn=topic_arn,
        Subject=message.subject,
        Message=message.body,
        MessageAttributes={
            k: {"DataType": "String", "StringValue": v} for k, v in message.attributes.items()
        },
    )


def drain(sqs: Any, queue_url: str) -> list[str]:
    """Every body the queue holds (received and deleted), in the order received."""
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def publish_transition(sns: Any, topic_arn: str, transition: Transition) -> None:
    """Publish ``transition`` as the monitor renders it (``contracts.transition.render``)."""
    publish(sns, topic_arn, transition_contract.render(transition))


def kinds_and_statuses(sqs: Any, queue_url: str) -> list[tuple[str, str]]:
    """(kind, status) of every transition the queue holds (drained), sorted."""
    bodies = [json.loads(body) for body in drain(sqs, queue_url)]
    return sorted((b["kind"], b["status"]) for b in bodies)
