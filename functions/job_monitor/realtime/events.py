"""Bedrock's job state-change events (EventBridge): which job an event is about. Pure: no AWS.

Bedrock emits, best effort, "Model Customization Job State Change" and "Batch Inference Job State
Change" events (the kinds whose registry entry names an ``event_detail_type``), and one event per
status of a Data Automation invocation (``JobKind.event_statuses``; see ``data_automation_job``).
For the kinds with a list and a Get, the real-time path
takes an event only as a hint that one job changed: the job is then described and goes through
the same claim -> publish -> commit as a scheduled run (``Monitor.observe``), so the event's own
status and timestamps (whose format differs between the two kinds) are never trusted.

Which identifier the job is described by: the event's ARN may not be a form the detail operation
accepts. Bedrock's user guide shows a customization event whose ``jobArn`` (and ``resources[0]``)
is ``model-customization-job/<id>``, while GetModelCustomizationJob's ``jobIdentifier`` pattern in
botocore's service model takes only ``model-customization-job/<base model>/<id>`` (the list API's
form) or the job name. So the job is described by the first of the event's identifiers the kind's
detail operation accepts (``JobKind.detail_id_forms`` and ``detail_id_pattern``): an ARN, else the
job name from the event's detail, else the job id (the ARN's last path segment); and everything
after the Get is keyed on the ARN Bedrock returns, never on the event's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from job_monitor.domain.jobs import Job, as_utc
from job_monitor.domain.kinds import ID_ARN, ID_JOB_ID, ID_NAME, JobKind

EVENT_SOURCE = "aws.bedrock"
_BEDROCK_ARN = re.compile(r"arn:aws[a-z-]*:bedrock:([a-z0-9-]+):(\d{12}):[a-z-]+/[A-Za-z0-9./:-]+")


class InvalidEvent(ValueError):
    """Not a Bedrock job state-change event this monitor can act on; says what is wrong."""


@dataclass(frozen=True)
class JobEvent:
    """The job one event is about, as the event names it."""

    kind: JobKind
    region: str
    arn: str
    """The job ARN in the event's form (not necessarily Bedrock's own: see the module doc);
    logged, never used as a key."""
    identifier: str | None
    """What the job is described by: the first of the event's identifiers the kind's detail
    operation accepts (``describe_identifier``), or None when the event holds none."""
    name: str | None
    """The job name the event's detail gives, if any."""
    status: str | None
    """The status the event reports (logged; the job is described before anything is sent)."""
    event_id: str
    job: Job | None = None
    """For an event-only kind (``JobKind.polled`` False): the job as the event describes it,
    which is all there is to know (no Get is made)."""


def event_kinds(kinds: Iterable[JobKind]) -> dict[str, JobKind]:
    """The kinds that emit events, by EventBridge detail-type."""
    return {detail_type: k for k in kinds for detail_type in k.detail_types}


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
    if not kind.polled:
        job = data_automation_job(kind, event, detail, str(detail_type))
        return JobEvent(
            kind=kind,
            region=str(event["region"]),
            arn=job.arn,
            identifier=None,
            name=job.name,
            status=job.status,
            event_id=str(event.get("id", "")),
            job=job,
        )
    arns = _job_arns(event, detail, kind)
    arn = arns[0]
    match = _BEDROCK_ARN.fullmatch(arn)
    if match is None or f":{kind.iam_resource_type}/" not in arn:
        raise InvalidEvent(f"{arn!r} is not the ARN of a {kind.label} job")
    region = event.get("region")
    if region != match.group(1):
        raise InvalidEvent(f"region {region!r} does not match the job ARN's ({match.group(1)})")
    status = detail.get(kind.event_status_field) if kind.event_status_field else None
    name = detail.get(kind.event_name_field) if kind.event_name_field else None
    name = name if isinstance(name, str) and name else None
    return JobEvent(
        kind=kind,
        region=match.group(1),
        arn=arn,
        identifier=describe_identifier(kind, arns, name),
        name=name,
        status=status if isinstance(status, str) else None,
        event_id=str(event.get("id", "")),
    )


def describe_identifier(kind: JobKind, arns: Iterable[str], name: str | None = None) -> str | None:
    """The first identifier of the job that the kind's detail operation accepts, or None.

    In order: the ARNs (the event's, or the one given), the job name, the job id (each ARN's last
    path segment); each only if the kind's detail operation takes that form
    (``JobKind.detail_id_forms``) and the value fits its pattern in botocore's model
    (``JobKind.accepts_identifier``). Batch inference: its ARN. Model customization: its ARN in
    the list API's form, else its name (its documented event ARN does not fit the pattern).
    """
    arns = tuple(arns)
    candidates: list[str] = []
    if ID_ARN in kind.detail_id_forms:
        candidates.extend(arns)
    if ID_NAME in kind.detail_id_forms and name:
        candidates.append(name)
    if ID_JOB_ID in kind.detail_id_forms:
        candidates.extend(arn.rsplit("/", 1)[-1] for arn in arns if "/" in arn)
    return next((c for c in candidates if kind.accepts_identifier(c)), None)


def _job_arns(event: dict[str, Any], detail: dict[str, Any], kind: JobKind) -> list[str]:
    """The event's job ARNs, ``detail``'s first, then ``resources``' (without repeats; the first
    is checked by the caller, the others must be ARNs of the kind's resource type)."""
    candidates = [detail.get(kind.event_arn_field)] if kind.event_arn_field else []
    resources = event.get("resources")
    if isinstance(resources, list):
        candidates.extend(resources)
    arns: list[str] = []
    for value in candidates:
        if not isinstance(value, str) or not value.startswith("arn:") or value in arns:
            continue
        if arns and f":{kind.iam_resource_type}/" not in value:
            continue  # after the first, only other forms of the job's own ARN
        arns.append(value)
    if not arns:
        raise InvalidEvent(
            f"no job ARN: neither detail.{kind.event_arn_field} nor resources holds one"
        )
    return arns


_JOB_ID = re.compile(r"[a-zA-Z0-9_-]{1,100}")
"""An invocation id as GetDataAutomationStatus's ARN pattern takes it (``[a-zA-Z0-9-_]+``)."""
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


def data_automation_job(
    kind: JobKind, event: dict[str, Any], detail: dict[str, Any], detail_type: str
) -> Job:
    """The Data Automation invocation an event is about, read from the event alone.

    The event's shape is the sample in Bedrock's user guide ("How EventBridge for Amazon Bedrock
    works", Bedrock Data Automation sample event): ``resources`` is empty and ``detail`` holds
    ``job_id``, ``job_status`` ("SUCCESS"), ``semantic_modality``, ``input_s3_object`` and
    ``output_s3_location`` (each ``{"s3_bucket", "name"}``) and ``error_message``. Only the
    success sample is published, so the status is taken from the detail-type
    (``JobKind.event_statuses``), not from ``job_status``. The ARN is built as
    GetDataAutomationStatus's pattern has it: ``arn:<partition>:bedrock:<region>:<account>:
    data-automation-invocation/<job_id>``. The name is the input object's key (else the id); the
    time is the event's (``time``: creation for "Job Created", else when it ended; the real-time
    check keeps the creation time it saw, ``realtime.observe``). Raises ``InvalidEvent`` naming a
    missing or malformed field."""
    status = dict(kind.event_statuses)[detail_type]
    job_id = detail.get("job_id")
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise InvalidEvent(f"detail.job_id: {job_id!r} is not a Data Automation job id")
    region, account = event.get("region"), event.get("account")
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise InvalidEvent(f"region {region!r} is not an AWS region name")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise InvalidEvent(f"account {account!r} is not an AWS account id")
    when = _event_time(event.get("time"))
    input_key = _s3_part(detail.get("input_s3_object"), "name")
    failures: tuple[str, ...] = ()
    if status == "Failed":
        cause = "client error" if "Client Error" in detail_type else "service error"
        message = detail.get("error_message")
        text = message.strip() if isinstance(message, str) else ""
        failures = (f"Failed with a {cause}: {text}" if text else f"Failed with a {cause}.",)
    output = detail.get("output_s3_location")
    bucket, key = _s3_part(output, "s3_bucket"), _s3_part(output, "name")
    return Job(
        kind=kind,
        arn=f"arn:{_partition(region)}:bedrock:{region}:{account}:"
        f"{kind.iam_resource_type}/{job_id}",
        name=input_key or job_id,
        status=status,
        created_at=when,
        end_time=when if kind.is_terminal(status) else None,
        last_modified=when,
        failure_messages=failures,
        output_location=f"s3://{bucket}/{key}" if bucket and status == "Completed" else None,
    )


def _event_time(value: Any) -> datetime:
    """EventBridge's envelope ``time`` (ISO 8601, UTC)."""
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise InvalidEvent(f"time: {value!r} is not an ISO 8601 time")


def _s3_part(value: Any, field: str) -> str | None:
    part = value.get(field) if isinstance(value, dict) else None
    return part if isinstance(part, str) and part else None


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# -- start calls seen through CloudTrail (parent-scoped kinds) ---------------------------------

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
CLOUDTRAIL_EVENT_SOURCE = "bedrock.amazonaws.com"
"""The ``detail.eventSource`` of Bedrock's API calls, the agent APIs' included (EventBridge
events reference, "Amazon Bedrock events delivered via AWS CloudTrail")."""


@dataclass(frozen=True)
class StartSignal:
    """A parent-scoped kind's job was started under one leaf (a data source, a policy): the next
    scheduled run lists that leaf whatever the sweep's rotation (``StateStore.flag_leaf``)."""

    kind: JobKind
    region: str
    path: tuple[str, ...]
    event_id: str


def start_kinds(kinds: Iterable[JobKind]) -> dict[str, JobKind]:
    """The parent-scoped kinds whose start call can be seen, by CloudTrail event name."""
    return {k.start_event_name: k for k in kinds if k.parents and k.start_event_name}


def is_start_event(event: Any) -> bool:
    return isinstance(event, dict) and event.get("detail-type") == CLOUDTRAIL_DETAIL_TYPE


def parse_start_event(event: Any, kinds: Iterable[JobKind]) -> StartSignal:
    """The leaf a CloudTrail "AWS API Call via CloudTrail" event of a start call names, from
    ``detail.requestParameters`` (the ids of the kind's parent chain: ``knowledgeBaseId``,
    ``dataSourceId``; ``policyArn``). ``InvalidEvent`` when it is not such an event, the call
    failed (``detail.errorCode``), or a parameter is missing."""
    if not is_start_event(event) or event.get("source") != EVENT_SOURCE:
        raise InvalidEvent(f"not an {CLOUDTRAIL_DETAIL_TYPE!r} event from {EVENT_SOURCE!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict) or detail.get("eventSource") != CLOUDTRAIL_EVENT_SOURCE:
        raise InvalidEvent(f"detail.eventSource is not {CLOUDTRAIL_EVENT_SOURCE!r}")
    by_name = start_kinds(kinds)
    kind = by_name.get(str(detail.get("eventName")))
    if kind is None:
        raise InvalidEvent(
            f"eventName {detail.get('eventName')!r} is not the start call of a monitored kind; "
            f"expected one of: {', '.join(sorted(by_name)) or '(none)'}"
        )
    if detail.get("errorCode"):
        raise InvalidEvent(f"the {kind.start_event_name} call failed: {detail['errorCode']}")
    params = detail.get("requestParameters")
    if not isinstance(params, dict):
        raise InvalidEvent("detail.requestParameters: missing or not an object")
    path = tuple(params.get(level.id_field) for level in kind.parents)
    if not all(isinstance(p, str) and p for p in path):
        fields = ", ".join(level.id_field for level in kind.parents)
        raise InvalidEvent(f"detail.requestParameters lacks {fields}")
    region = event.get("region") or detail.get("awsRegion")
    if not isinstance(region, str) or not region:
        raise InvalidEvent("no region")
    return StartSignal(
        kind=kind,
        region=region,
        path=tuple(str(p) for p in path),
        event_id=str(event.get("id", "")),
    )
