"""Domain values shared by detection, state, publishing and notifications. Pure: no AWS here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from job_monitor.domain.kinds import JobKind

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """Normalise a timestamp to aware UTC, cut to whole milliseconds (the precision state is
    stored at, so a job's time compares equal to its stored copy); naive is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:  # already UTC (the usual case): nothing to convert
        value = value.astimezone(UTC)
    extra = value.microsecond % 1000
    return value.replace(microsecond=value.microsecond - extra) if extra else value


def epoch_millis(value: datetime) -> int:
    """Milliseconds since the epoch, exactly (integer arithmetic, no float rounding);
    sub-millisecond parts are cut (floored); naive is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    since = value - _EPOCH  # aware: the offset is applied, as astimezone(UTC) would
    return (since.days * 86_400 + since.seconds) * 1000 + since.microseconds // 1000


def from_epoch_millis(value: int | str) -> datetime:
    """The aware UTC time of an epoch-milliseconds value (an int, or its decimal text as stored
    in a DynamoDB number). Raises ValueError for text that is not an integer."""
    seconds, millis = divmod(int(value), 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)


def arn_region_account(arn: str) -> tuple[str, str]:
    """``arn:aws:bedrock:us-east-1:123456789012:...`` -> ("us-east-1", "123456789012")."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", ""
    return parts[3], parts[4]


@dataclass(frozen=True)
class Job:
    """One job as a list or detail response describes it, normalised across kinds."""

    kind: JobKind
    arn: str
    name: str
    status: str
    created_at: datetime
    end_time: datetime | None = None
    last_modified: datetime | None = None
    base_model: str | None = None
    output_model: str | None = None
    failure_messages: tuple[str, ...] = ()
    status_details: str | None = None
    """What the job is doing or waiting for, where its summary says
    (``JobKind.status_details_field``): e.g. ``validation Completed, training InProgress``."""
    expires_at: datetime | None = None
    """When the job expires unless it has run (``JobKind.expiration_time_field``)."""
    output_location: str | None = None
    """The job's output S3 URI (``JobKind.output_location_path``)."""
    training_loss: float | None = None
    validation_loss: float | None = None
    """Final losses of a model customization job (detail response only; the first validator's
    loss when there are several)."""
    details: tuple[tuple[str, str], ...] = ()
    """Facts the message shows as they are, by field name: a parent-scoped kind's ids and its
    ``statistics_field`` counters and ``detail_fields`` (``numberOfDocumentsFailed``: "3")."""
    tags: tuple[tuple[str, str], ...] | None = None
    """The job's allow-listed tags (``contracts.tags.select_tags``: (key, value) pairs sorted by
    key), read once (``publish.tags``) and kept with its state; None = not read
    (tag routing off, or the read failed: the next transition tries again). Never from a list
    summary."""

    @classmethod
    def from_summary(cls, kind: JobKind, summary: dict[str, Any]) -> Job:
        """Build from a list summary or a detail response, reading the fields the kind names.
        Raises KeyError if a required field (ARN, name, status, time) is missing."""
        arn = summary[kind.arn_field]
        return cls(
            kind=kind,
            arn=arn,
            name=_name(kind, summary, arn),
            status=summary[kind.status_field],
            created_at=as_utc(summary[kind.time_field]),
            end_time=_optional_time(summary, kind.end_time_field),
            last_modified=_optional_time(summary, kind.last_modified_field),
            base_model=_model_text(summary, kind.base_model_field),
            output_model=_model_text(summary, kind.output_model_field),
            failure_messages=failure_messages(summary, kind.summary_failure_field),
            status_details=status_details(summary.get(kind.status_details_field or "")),
            expires_at=_optional_time(summary, kind.expiration_time_field),
            output_location=_nested_text(summary, kind.output_location_path),
            training_loss=_loss(summary.get(kind.training_metrics_field or ""), "trainingLoss"),
            validation_loss=_first_loss(summary.get(kind.validation_metrics_field or "")),
            details=_details(kind, summary),
        )

    def with_detail(self, detail: Job) -> Job:
        """This job (as listed) completed with what only the detail response has: failure
        messages (for a failure status only), output location, losses and output model where the
        listing lacked them."""
        failures = self.failure_messages
        if not failures and self.kind.needs_failure_message(self.status):
            failures = detail.failure_messages
        return replace(
            self,
            failure_messages=failures,
            output_location=self.output_location or detail.output_location,
            training_loss=_first(self.training_loss, detail.training_loss),
            validation_loss=_first(self.validation_loss, detail.validation_loss),
            output_model=self.output_model or detail.output_model,
            details=self.details or detail.details,
        )

    @property
    def dedupe_id(self) -> str:
        """The id of the transition into this status: the same whichever run (or re-run after
        a crash) publishes it.

        ``<arn>#<status>``: a job enters each status once. For kinds whose statuses recur
        (``InService -> Updating -> InService``) the time Bedrock last modified the resource is
        appended (epoch milliseconds), so the second ``InService`` is not dropped as a duplicate of
        the first, while a re-publish of the same observation keeps its id."""
        base = f"{self.arn}#{self.status}"
        if not self.kind.statuses_recur:
            return base
        changed = self.last_modified or self.created_at
        return f"{base}#{epoch_millis(changed)}"


def _name(kind: JobKind, summary: dict[str, Any], arn: str) -> str:
    """The first of the kind's name fields present; else the ARN's id when the kind allows it."""
    for field_name in kind.name_fields:
        value = summary.get(field_name)
        if value:
            return str(value)
    if kind.name_from_arn and isinstance(arn, str) and arn.rsplit("/", 1)[-1]:
        return arn.rsplit("/", 1)[-1]
    raise KeyError(kind.name_fields[0] if kind.name_fields else "name")


_STEP_LABELS = (
    ("validationDetails", "validation"),
    ("dataProcessingDetails", "data processing"),
    ("trainingDetails", "training"),
)
"""The steps of a model customization job's ``statusDetails`` (botocore's ``StatusDetails``)."""


def status_details(value: Any) -> str | None:
    """One line from a summary's status details: a string as it is (batch inference's
    ``message``), or model customization's ``statusDetails`` object as ``validation Completed,
    data processing Completed, training InProgress`` (steps without a status are left out).
    None when there is nothing to say."""
    if isinstance(value, str):
        return value.strip() or None
    if not isinstance(value, dict):
        return None
    parts = []
    for key, label in _STEP_LABELS:
        step = value.get(key)
        status = step.get("status") if isinstance(step, dict) else None
        if isinstance(status, str) and status:
            parts.append(f"{label} {status}")
    return ", ".join(parts) or None


def _nested_text(response: dict[str, Any], path: tuple[str, ...]) -> str | None:
    value: Any = response
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None


def _loss(metrics: Any, key: str) -> float | None:
    value = metrics.get(key) if isinstance(metrics, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _first_loss(metrics: Any) -> float | None:
    if not isinstance(metrics, list):
        return None
    return next((v for v in (_loss(m, "validationLoss") for m in metrics) if v is not None), None)


def _first(value: float | None, other: float | None) -> float | None:
    return value if value is not None else other


def _details(kind: JobKind, summary: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The kind's identity fields (parent ids, job id), detail fields and counters present in
    ``summary``, in that order."""
    names = [*kind.identity_fields, *kind.detail_fields]
    found = [(n, str(summary[n])) for n in names if summary.get(n) not in (None, "")]
    stats = summary.get(kind.statistics_field) if kind.statistics_field else None
    if isinstance(stats, dict):
        found += [(n, str(v)) for n, v in stats.items() if isinstance(v, int)]
    return tuple(found)


def failure_messages(response: dict[str, Any], field_name: str | None) -> tuple[str, ...]:
    if not field_name:
        return ()
    value = response.get(field_name)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def _optional_time(summary: dict[str, Any], field_name: str | None) -> datetime | None:
    value = summary.get(field_name) if field_name else None
    return as_utc(value) if isinstance(value, datetime) else None


def _model_text(summary: dict[str, Any], field_name: str | None) -> str | None:
    value = summary.get(field_name) if field_name else None
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return str(value)


@dataclass(frozen=True)
class Transition:
    """A job's status changed between two runs (``previous_status`` is None for a new job).

    The first alert type (``alert_type``): published through claim -> publish -> commit by
    ``publish.transitions.TransitionAlerts``."""

    alert_type: ClassVar[str] = "transition"

    job: Job
    previous_status: str | None
    observed_at: datetime
    failure_messages: tuple[str, ...] = field(default=())
    tags_error: str | None = None
    """Why the job's tags could not be read for this transition (the error code, e.g.
    ``ThrottlingException``); published without tags, counted in the run report."""

    @property
    def kind(self) -> JobKind:
        return self.job.kind

    @property
    def new_status(self) -> str:
        return self.job.status

    @property
    def is_terminal(self) -> bool:
        return self.job.kind.is_terminal(self.job.status)

    @property
    def status_unknown(self) -> bool:
        """The new status is not one of the kind's statuses in the registry (``JobKind.knows``):
        Bedrock has a status this version of the monitor was not written for."""
        return not self.job.kind.knows(self.job.status)

    @property
    def dedupe_id(self) -> str:
        """Same transition -> same id, whichever run (or re-run after a crash) publishes it: the
        id of the job's current status (``job.dedupe_id``)."""
        return self.job.dedupe_id

    @property
    def duration_seconds(self) -> int | None:
        """Run time: creation to end, or to the observation for a job that has not ended."""
        end = self.job.end_time or (self.observed_at if self.is_terminal else None)
        if end is None:
            return None
        return max(0, int((end - self.job.created_at).total_seconds()))

    @property
    def region(self) -> str:
        return arn_region_account(self.job.arn)[0]

    @property
    def account(self) -> str:
        return arn_region_account(self.job.arn)[1]
