"""Bedrock's job state-change events (EventBridge): which job an event is about. Pure: no AWS.

Bedrock emits, best effort, "Model Customization Job State Change" and "Batch Inference Job State
Change" events (the kinds whose registry entry names an ``event_detail_type``). The real-time path
takes an event only as a hint that one job changed: the job is then described and goes through
the same claim -> publish -> commit as a scheduled run (``Monitor.observe``), so the event's own
status and timestamps (whose format differs between the two kinds) are never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from job_monitor.domain.kinds import JobKind

EVENT_SOURCE = "aws.bedrock"
_BEDROCK_ARN = re.compile(r"arn:aws[a-z-]*:bedrock:([a-z0-9-]+):(\d{12}):[a-z-]+/[A-Za-z0-9./:-]+")


class InvalidEvent(ValueError):
    """Not a Bedrock job state-change event this monitor can act on; says what is wrong."""


@dataclass(frozen=True)
class JobEvent:
    kind: JobKind
    region: str
    arn: str
    status: str | None
    """The status the event reports (logged; the job is described before anything is sent)."""
    event_id: str


def event_kinds(kinds: Iterable[JobKind]) -> dict[str, JobKind]:
    """The kinds that emit events, by EventBridge detail-type."""
    return {k.event_detail_type: k for k in kinds if k.event_detail_type}


def parse_job_event(event: Any, kinds: Iterable[JobKind]) -> JobEvent:
    """The job an EventBridge event is about, or ``InvalidEvent`` naming what is wrong."""
    if not isinstance(event, dict):
        raise InvalidEvent(
            f"expected an EventBridge event (a JSON object), got {type(event).__name__}"
        )
    source = event.get("source")
    if source != EVENT_SOURCE:
        raise InvalidEvent(f"source {source!r} is not {EVENT_SOURCE!r}")
    by_type = event_kinds(kinds)
    detail_type = event.get("detail-type")
    kind = by_type.get(detail_type) if isinstance(detail_type, str) else None
    if kind is None:
        expected = ", ".join(sorted(by_type)) or "(none: no monitored kind emits events)"
        raise InvalidEvent(
            f"detail-type {detail_type!r} is not a monitored job kind's event; "
            f"expected one of: {expected}"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent("detail: missing or not an object")
    arn = _job_arn(event, detail, kind)
    match = _BEDROCK_ARN.fullmatch(arn)
    if match is None or f":{kind.iam_resource_type}/" not in arn:
        raise InvalidEvent(f"{arn!r} is not the ARN of a {kind.label} job")
    region = event.get("region")
    if region != match.group(1):
        raise InvalidEvent(f"region {region!r} does not match the job ARN's ({match.group(1)})")
    status = detail.get(kind.event_status_field) if kind.event_status_field else None
    return JobEvent(
        kind=kind,
        region=match.group(1),
        arn=arn,
        status=status if isinstance(status, str) else None,
        event_id=str(event.get("id", "")),
    )


def _job_arn(event: dict[str, Any], detail: dict[str, Any], kind: JobKind) -> str:
    candidates = [detail.get(kind.event_arn_field)] if kind.event_arn_field else []
    resources = event.get("resources")
    if isinstance(resources, list):
        candidates.extend(resources)
    for value in candidates:
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    raise InvalidEvent(f"no job ARN: neither detail.{kind.event_arn_field} nor resources holds one")
