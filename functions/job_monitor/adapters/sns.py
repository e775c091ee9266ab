"""Publishing one rendered message to the SNS topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.envelope import SnsMessage


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
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.attributes.items()
            },
        )
        return str(response["MessageId"])
