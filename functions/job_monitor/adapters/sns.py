"""Publishing rendered messages to the SNS topic: one (``Publish``) or many (``PublishBatch``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.ports import Published

logger = logging.getLogger(__name__)

BATCH_ENTRIES = 10
"""Entries in one PublishBatch (SNS's limit)."""
BATCH_BYTES = 262_144
"""The total size of one PublishBatch's messages and attributes (SNS's limit, 256 KiB)."""


@dataclass
class SnsPublisher:
    client: Any
    """A boto3 ``sns`` client (passed in)."""
    topic_arn: str

    def publish(self, message: SnsMessage) -> str:
        response = self.client.publish(
            TopicArn=self.topic_arn,
            Message=message.body,
            Subject=message.subject,
            MessageAttributes=_attributes(message),
        )
        return str(response["MessageId"])

    def publish_many(self, messages: Sequence[SnsMessage]) -> Published:
        """Publish each message, in order, with PublishBatch: up to ``BATCH_ENTRIES`` messages
        and ``BATCH_BYTES`` per request. ``Published.ids``: SNS's message id per message, or
        None for a message not accepted (a ``Failed`` entry, sent once more unless SNS says the
        sender is at fault; or an entry of a request that raised). A request that raises stops
        the rest (nothing after it is sent) and is returned as ``Published.error``, so the
        messages published before it are still recorded by the caller."""
        ids: list[str | None] = [None] * len(messages)
        retry: list[int] = []
        try:
            for batch in _batches(list(range(len(messages))), messages):
                retry += self._send(batch, messages, ids, retryable_only=True)
            for batch in _batches(retry, messages):
                self._send(batch, messages, ids, retryable_only=False)
        except Exception as exc:
            return Published(ids, exc)
        return Published(ids)

    def _send(
        self,
        batch: list[int],
        messages: Sequence[SnsMessage],
        ids: list[str | None],
        *,
        retryable_only: bool,
    ) -> list[int]:
        """One PublishBatch of ``batch`` (indexes into ``messages``); fills ``ids`` and returns
        the indexes of failed entries worth sending again (not the sender's fault)."""
        response = self.client.publish_batch(
            TopicArn=self.topic_arn,
            PublishBatchRequestEntries=[
                {
                    "Id": str(i),
                    "Message": messages[i].body,
                    "Subject": messages[i].subject,
                    "MessageAttributes": _attributes(messages[i]),
                }
                for i in batch
            ],
        )
        for entry in response.get("Successful", []):
            ids[int(entry["Id"])] = str(entry["MessageId"])
        again = []
        for entry in response.get("Failed", []):
            index = int(entry["Id"])
            worth_again = retryable_only and not entry.get("SenderFault", False)
            if worth_again:
                again.append(index)
            logger.warning(
                "SNS did not accept a message of a batch"
                + ("; sent again" if worth_again else "; left for the next run"),
                extra={
                    "code": entry.get("Code"),
                    "sender_fault": entry.get("SenderFault"),
                    "subject": messages[index].subject,
                },
            )
        return again


def _attributes(message: SnsMessage) -> dict[str, dict[str, str]]:
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in message.attributes.items()
    }


def entry_bytes(message: SnsMessage) -> int:
    """What a message counts against the batch's size limit: its body, and each attribute's
    name, data type and value (UTF-8 bytes)."""
    size = len(message.body.encode())
    for name, value in message.attributes.items():
        size += len(name.encode()) + len(b"String") + len(value.encode())
    return size


def _batches(indexes: list[int], messages: Sequence[SnsMessage]) -> list[list[int]]:
    """``indexes`` in order, cut into batches within the entry and size limits (a message is
    at most 256 KiB by SNS's own limit, so each fits a batch alone)."""
    batches: list[list[int]] = []
    size = 0
    for i in indexes:
        entry = entry_bytes(messages[i])
        if not batches or len(batches[-1]) == BATCH_ENTRIES or size + entry > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += entry
    return batches
