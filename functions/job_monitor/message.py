"""The message contract: what the monitor publishes to SNS for one transition. Pure.

Everything a subscriber sees (body, subject, message attributes) is decided here, so that the
format can change in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from job_monitor.model import Transition

CONTRACT_VERSION = "1"
SUBJECT_LIMIT = 100
NO_STATUS = "None"


@dataclass(frozen=True)
class SnsMessage:
    subject: str
    body: str
    attributes: dict[str, str]


def contract(transition: Transition) -> dict[str, Any]:
    job = transition.job
    return {
        "version": CONTRACT_VERSION,
        "dedupeId": transition.dedupe_id,
        "kind": job.kind.name,
        "jobArn": job.arn,
        "jobName": job.name,
        "previousStatus": transition.previous_status,
        "status": job.status,
        "terminal": transition.is_terminal,
        "observedAt": _iso(transition.observed_at),
        "createdAt": _iso(job.created_at),
        "endedAt": _iso(job.end_time),
        "durationSeconds": transition.duration_seconds,
        "baseModel": job.base_model,
        "outputModel": job.output_model,
        "failureMessages": list(transition.failure_messages),
        "region": transition.region,
        "account": transition.account,
    }


def render(transition: Transition, message_format: str = "json") -> SnsMessage:
    del message_format  # only the JSON contract so far
    subject = f"[Bedrock] {transition.new_status}: {transition.job.name} ({transition.kind.label})"
    return SnsMessage(
        subject=_subject_safe(subject),
        body=json.dumps(contract(transition), separators=(",", ":")),
        attributes={
            "kind": transition.kind.name,
            "status": transition.new_status,
            "previousStatus": transition.previous_status or NO_STATUS,
            "terminal": "true" if transition.is_terminal else "false",
        },
    )


def _subject_safe(text: str) -> str:
    # SNS subjects: printable ASCII-ish, no line breaks, at most 100 characters.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned if len(cleaned) <= SUBJECT_LIMIT else cleaned[: SUBJECT_LIMIT - 1] + "…"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
