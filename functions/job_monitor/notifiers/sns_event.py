"""The records of an SNS event, as the notifiers read them (the Lambda event shape of an SNS
subscription: ``{"Records": [{"Sns": {"MessageId": ..., "Message": ...}}, ...]}``)."""

from __future__ import annotations

from typing import Any


class InvalidEvent(ValueError):
    """The invocation is not an SNS event (a console test, a wrong trigger)."""


def sns_records(event: Any) -> list[tuple[str, str | None]]:
    """``(message id, body)`` of each record of an SNS event; the body is None for a record that
    has none (it then fails on its own, as a bad body). Anything that is not an SNS event at all
    raises ``InvalidEvent`` before anything is read or posted."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise InvalidEvent(
            "not an SNS event: expected {'Records': [{'Sns': {...}}, ...]}; this function is "
            "meant to be subscribed to the monitor's SNS topic"
        )
    result: list[tuple[str, str | None]] = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, dict) else None
        if not isinstance(sns, dict):
            source = (
                record.get("EventSource") or record.get("eventSource")
                if isinstance(record, dict)
                else None
            )
            raise InvalidEvent(
                f"record {index} is not an SNS record (source {source!r}); this function is "
                "meant to be subscribed to the monitor's SNS topic"
            )
        body = sns.get("Message")
        result.append(
            (
                str(sns.get("MessageId") or f"record-{index}"),
                body if isinstance(body, str) else None,
            )
        )
    return result
