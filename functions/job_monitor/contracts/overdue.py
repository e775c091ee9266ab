"""The overdue contract: what the monitor publishes for an overdue or expiring job. Pure.

One SNS message per alert (``domain.overdue.OverdueAlert``): the JSON body (``"type":
"overdue"``, version ``OVERDUE_VERSION``, documented in the README) or, with
``message_format="chatbot"``, a Chatbot custom notification; a subject; and the message attributes
``message_type=overdue``, ``reason`` (``overdue`` or ``expiring``), ``kind`` and ``region``,
which filter policies match (``routing.overdue_policy``). The alert carries no ``status``
attribute, so a status filter policy never receives it: subscribers opt in. ``from_document`` is
the subscriber's side (``contracts.messages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from job_monitor.contracts import chatbot
from job_monitor.contracts.envelope import (
    MESSAGE_TYPE_ATTRIBUTE,
    OVERDUE,
    SUBJECT_LIMIT,
    TYPE_FIELD,
    ContractError,
    SnsMessage,
    render_body,
)
from job_monitor.contracts.fields import optional_int, optional_str, optional_time, required_str
from job_monitor.contracts.tags import tag_attributes
from job_monitor.contracts.text import (
    TRUNCATED,
    cut,
    cut_optional,
    human_duration,
    iso_utc,
    one_line,
)
from job_monitor.contracts.transition import console_url
from job_monitor.domain.overdue import EXPIRING, REASONS, OverdueAlert

MESSAGE_TYPE = OVERDUE
OVERDUE_VERSION = "1"
"""Major version of the overdue body. Adding a field keeps it; renaming or removing one bumps it."""
NAME_LIMIT = 1024
DETAILS_LIMIT = 2048
"""Characters of the job name and of its status details in the body."""
REASON_ATTRIBUTE = "reason"


@dataclass(frozen=True)
class OverdueNotice:
    """A parsed overdue body: what a notifier needs, without registry lookups."""

    version: str
    dedupe_id: str
    reason: str
    kind: str
    kind_label: str
    noun: str
    job_arn: str
    job_name: str
    status: str
    observed_at: datetime | None
    since: datetime | None
    age_seconds: int | None
    threshold_seconds: int | None
    expires_at: datetime | None
    time_left_seconds: int | None
    status_details: str | None
    region: str
    account: str
    console_url: str | None

    @property
    def expiring(self) -> bool:
        return self.reason == EXPIRING


# ---------------------------------------------------------------------------------------------
# Producing


def render(alert: OverdueAlert, message_format: str = "json") -> SnsMessage:
    """Subject, body and attributes of one alert; ``message_format`` one of
    ``envelope.MESSAGE_FORMATS`` (ValueError otherwise). Attributes are the same in both."""
    body = render_body(
        message_format,
        {
            "json": lambda: document(alert),
            "chatbot": lambda: chatbot.overdue_payload(
                notice(alert), summary=subject(alert).removeprefix("[Bedrock] ")
            ),
        },
    )
    return SnsMessage(subject=subject(alert), body=body, attributes=attributes(alert))


def document(alert: OverdueAlert) -> dict[str, Any]:
    """The JSON body, version ``OVERDUE_VERSION``. Times UTC with ``Z``; durations in seconds."""
    job = alert.job
    return {
        TYPE_FIELD: MESSAGE_TYPE,
        "version": OVERDUE_VERSION,
        "dedupeId": alert.dedupe_id,
        "reason": alert.reason,
        "kind": job.kind.name,
        "kindLabel": job.kind.label,
        "noun": job.kind.noun,
        "jobArn": job.arn,
        "jobName": cut(job.name, NAME_LIMIT, TRUNCATED),
        "status": job.status,
        "observedAt": iso_utc(alert.observed_at),
        "createdAt": iso_utc(job.created_at),
        "since": iso_utc(alert.since),
        "ageSeconds": int(alert.age.total_seconds()),
        "thresholdSeconds": int(alert.threshold.total_seconds()),
        "expiresAt": iso_utc(job.expires_at),
        "timeLeftSeconds": (
            int(alert.time_left.total_seconds()) if alert.time_left is not None else None
        ),
        "statusDetails": cut_optional(job.status_details, DETAILS_LIMIT, TRUNCATED),
        "region": alert.region,
        "account": alert.account,
        "consoleUrl": console_url(job),
    }


def notice(alert: OverdueAlert) -> OverdueNotice:
    """The alert as a subscriber reads it back (what the Chatbot body is built from)."""
    return from_document(document(alert))


def attributes(alert: OverdueAlert) -> dict[str, str]:
    """``message_type``, ``reason``, ``kind`` and, as a transition's, ``region`` (the job's
    region from its ARN, so a destination's ``regions`` filter applies to its overdue alerts;
    absent when the ARN has none: attributes cannot be empty), and the job's allow-listed tags
    (``tag.<key>``, when the job's in-view item keeps them), so a destination's ``tags`` filter
    applies to its overdue alerts too."""
    values = {
        MESSAGE_TYPE_ATTRIBUTE: MESSAGE_TYPE,
        REASON_ATTRIBUTE: alert.reason,
        "kind": alert.job.kind.name,
    }
    if alert.region:
        values["region"] = alert.region
    values.update(tag_attributes(alert.job.tags or ()))
    return values


def headline(reason: str, status: str, age_seconds: int | None, left_seconds: int | None) -> str:
    """``InProgress for 2 d 3 h`` / ``expires in 5 h 10 min``: the part of every rendering that
    says what is wrong."""
    if reason == EXPIRING:
        return f"not started, expires in {human_duration(left_seconds) or 'less than a minute'}"
    return f"{status} for {human_duration(age_seconds) or 'a while'}"


def subject(alert: OverdueAlert) -> str:
    """``[Bedrock] Overdue: my-job (customization) InProgress for 2 d 1 h``, or ``[Bedrock]
    Expiring: batch-x (batch inference) not started, expires in 5 h``; at most ``SUBJECT_LIMIT``
    characters, the job name shortened first."""
    word = "Expiring" if alert.reason == EXPIRING else "Overdue"
    left = int(alert.time_left.total_seconds()) if alert.time_left is not None else None
    what = headline(alert.reason, alert.job.status, int(alert.age.total_seconds()), left)
    head = f"[Bedrock] {word}: "
    tail = f" ({one_line(alert.job.kind.label)}) {one_line(what)}"
    room = SUBJECT_LIMIT - len(head) - len(tail)
    if room < 4:
        return cut(head + one_line(alert.job.name) + tail, SUBJECT_LIMIT, strip=True)
    return head + cut(one_line(alert.job.name), room, strip=True) + tail


# ---------------------------------------------------------------------------------------------
# Consuming


def from_document(data: dict[str, Any]) -> OverdueNotice:
    """Read a decoded overdue body. Unknown fields are ignored; a missing or other major
    ``version``, an unknown ``reason`` or a missing required field raises ContractError."""
    version = data.get("version")
    if not isinstance(version, str) or version.split(".")[0] != OVERDUE_VERSION:
        raise ContractError(
            f"overdue body has version {version!r}; this notifier reads version {OVERDUE_VERSION}"
        )
    reason = required_str(data, "reason", "overdue field")
    if reason not in REASONS:
        raise ContractError(f"overdue field 'reason' is {reason!r}; known: {', '.join(REASONS)}")
    kind = required_str(data, "kind", "overdue field")
    label = optional_str(data, "kindLabel", "overdue field") or kind
    return OverdueNotice(
        version=version,
        dedupe_id=required_str(data, "dedupeId", "overdue field"),
        reason=reason,
        kind=kind,
        kind_label=label,
        noun=optional_str(data, "noun", "overdue field") or f"{label} job",
        job_arn=required_str(data, "jobArn", "overdue field"),
        job_name=required_str(data, "jobName", "overdue field"),
        status=required_str(data, "status", "overdue field"),
        observed_at=optional_time(data, "observedAt", "overdue field"),
        since=optional_time(data, "since", "overdue field"),
        age_seconds=optional_int(data, "ageSeconds", "overdue field"),
        threshold_seconds=optional_int(data, "thresholdSeconds", "overdue field"),
        expires_at=optional_time(data, "expiresAt", "overdue field"),
        time_left_seconds=optional_int(data, "timeLeftSeconds", "overdue field"),
        status_details=optional_str(data, "statusDetails", "overdue field"),
        region=optional_str(data, "region", "overdue field") or "",
        account=optional_str(data, "account", "overdue field") or "",
        console_url=optional_str(data, "consoleUrl", "overdue field"),
    )
