"""The digest contract: what the daily digest publishes to SNS, and reading it back. Pure.

One SNS message per digest: the JSON body (``"type": "digest"``, version ``DIGEST_VERSION``,
documented in the README) or, with ``message_format="chatbot"``, a Chatbot custom notification; a
subject; and the message attribute ``message_type=digest`` that subscription filter policies match
(``routing.with_digest``). ``parse_digest`` is the subscriber's side (the notifiers, through
``contracts.messages``). The digest itself is built by ``digest.build`` (pure, no contract).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from job_monitor.contracts import chatbot
from job_monitor.contracts.envelope import (
    DIGEST,
    MAX_BODY_BYTES,
    MESSAGE_TYPE_ATTRIBUTE,
    SUBJECT_LIMIT,
    TYPE_FIELD,
    ContractError,
    SnsMessage,
    render_body,
)
from job_monitor.contracts.fields import (
    decode_json,
    optional_float,
    optional_str,
    optional_time,
    required_str,
    required_time,
)
from job_monitor.contracts.text import compact_json, cut, iso_utc
from job_monitor.digest.build import (
    CATEGORIES,
    OPTIONAL_CATEGORIES,
    Digest,
    DigestJob,
    JobList,
    NotOfferedKind,
    Section,
    with_cap,
)

MESSAGE_TYPE = DIGEST
"""This contract's message type; its body says so in ``TYPE_FIELD``."""
DIGEST_VERSION = "1"
"""Major version of the digest body. Adding a field keeps it; renaming or removing one bumps it."""
NAME_LIMIT = 256
"""Characters of a job name in the body."""
FAILURE_LIMIT = 300
"""Characters of a failure message in the body."""
LOCATION_LIMIT = 1100
"""Characters of an output location (``outputLocation``) in the body: an S3 URI of the longest
bucket name (63) and key (1,024 bytes) fits whole."""
KIND_LABEL_LIMIT = 100
"""Characters of a section's ``kindLabel`` (the registry's labels are far shorter): with every
kind of the registry in every region, the counts alone must still fit in one SNS message."""
_FIELD = "digest field"


# ---------------------------------------------------------------------------------------------
# Producing


def render_digest(digest: Digest, message_format: str = "json") -> SnsMessage:
    """Subject, body and attributes of the digest message (same attributes in both formats).

    ``message_format`` is one of ``envelope.MESSAGE_FORMATS`` (ValueError otherwise)."""
    body = render_body(
        message_format,
        {
            "json": lambda: contract(digest),
            "chatbot": lambda: chatbot.digest_payload(
                digest, summary=digest_subject(digest).removeprefix("[Bedrock] ")
            ),
        },
    )
    return SnsMessage(
        subject=digest_subject(digest),
        body=body,
        attributes={MESSAGE_TYPE_ATTRIBUTE: DIGEST},
    )


def digest_subject(digest: Digest) -> str:
    """``[Bedrock] Daily digest: 2 failed, 5 completed, 3 running`` (at most ``SUBJECT_LIMIT``
    characters)."""
    if digest.quiet:
        return "[Bedrock] Daily digest: quiet day, no job started, finished or running"
    parts = [f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c)]
    return cut("[Bedrock] Daily digest: " + ", ".join(parts), SUBJECT_LIMIT)


def contract(digest: Digest) -> dict[str, Any]:
    """The digest body (documented in the README). When it would not fit in one SNS message
    (``MAX_BODY_BYTES``), fewer jobs are listed per list (down to none: the counts are always
    there)."""
    cap = max((len(j.jobs) for s in digest.sections for j in s.lists.values()), default=0)
    while True:
        document = _contract(with_cap(digest, cap))
        if cap == 0 or len(compact_json(document).encode()) <= MAX_BODY_BYTES:
            return document
        cap //= 2


def _contract(digest: Digest) -> dict[str, Any]:
    return {
        TYPE_FIELD: DIGEST,
        "version": DIGEST_VERSION,
        "dedupeId": digest.dedupe_id,
        "account": digest.account,
        "periodStart": iso_utc(digest.period_start),
        "periodEnd": iso_utc(digest.period_end),
        "regions": list(digest.regions),
        "totals": {c: digest.total(c) for c in CATEGORIES if _carried(c, digest.total(c))},
        "sections": [
            {
                "region": s.region,
                "kind": s.kind,
                "kindLabel": cut(s.kind_label, KIND_LABEL_LIMIT),
                **{c: _list_document(s.of(c)) for c in CATEGORIES if _carried(c, s.of(c).count)},
            }
            for s in digest.sections
        ],
        # Only when a watched region does not offer a kind (an added field: same version).
        **(
            {
                "notOffered": [
                    {
                        "region": n.region,
                        "kind": n.kind,
                        "kindLabel": n.kind_label,
                        "since": iso_utc(n.since),
                    }
                    for n in digest.not_offered
                ]
            }
            if digest.not_offered
            else {}
        ),
    }


def _carried(category: str, count: int) -> bool:
    """Every list is in the body, except an optional one (``OPTIONAL_CATEGORIES``) with no job."""
    return count > 0 or category not in OPTIONAL_CATEGORIES


def _list_document(jobs: JobList) -> dict[str, Any]:
    return {
        "count": jobs.count,
        "more": jobs.more,
        "jobs": [
            {
                "name": cut(j.name, NAME_LIMIT),
                "arn": j.arn,
                "status": j.status,
                "observedAt": iso_utc(j.observed_at),
                "createdAt": iso_utc(j.created_at),
                "ageSeconds": j.age_seconds,
                "failureMessage": cut(j.failure, FAILURE_LIMIT) if j.failure else None,
                **_result_fields(j),
            }
            for j in jobs.jobs
        ],
    }


def _result_fields(job: DigestJob) -> dict[str, Any]:
    """What a completed job produced, each field only when known (added within version 1, so a
    digest without them is as before): ``outputLocation`` (S3 URI, within ``LOCATION_LIMIT``),
    ``trainingLoss`` and ``validationLoss`` (numbers)."""
    fields: dict[str, Any] = {}
    if job.output_location:
        fields["outputLocation"] = cut(job.output_location, LOCATION_LIMIT)
    if job.training_loss is not None:
        fields["trainingLoss"] = job.training_loss
    if job.validation_loss is not None:
        fields["validationLoss"] = job.validation_loss
    return fields


# ---------------------------------------------------------------------------------------------
# Consuming


def parse_digest(body: str) -> Digest:
    """Read a digest body. Unknown fields are ignored; a missing required field, a bad type or
    another major version raises ContractError saying which."""
    data = decode_json(body)
    if not isinstance(data, dict) or data.get(TYPE_FIELD) != DIGEST:
        raise ContractError("SNS body is not a digest")
    return from_document(data)


def from_document(data: dict[str, Any]) -> Digest:
    """``parse_digest`` of an already decoded body (its ``type`` already known to be a digest)."""
    version = data.get("version")
    if not isinstance(version, str) or version.split(".")[0] != DIGEST_VERSION:
        raise ContractError(
            f"digest has version {version!r}; this notifier reads version {DIGEST_VERSION}"
        )
    sections = data.get("sections")
    regions = data.get("regions", [])
    if not isinstance(sections, list) or not isinstance(regions, list):
        raise ContractError("digest fields 'sections' and 'regions' must be lists")
    return Digest(
        dedupe_id=required_str(data, "dedupeId", _FIELD),
        account=str(data.get("account") or ""),
        period_start=required_time(data, "periodStart", _FIELD),
        period_end=required_time(data, "periodEnd", _FIELD),
        regions=tuple(str(r) for r in regions),
        sections=tuple(_section(s) for s in sections),
        not_offered=tuple(_not_offered(n) for n in _optional_list(data, "notOffered")),
    )


def _optional_list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ContractError(f"digest field {name!r} must be a list")
    return value


def _not_offered(data: Any) -> NotOfferedKind:
    if not isinstance(data, dict):
        raise ContractError("a digest notOffered entry must be an object")
    kind = required_str(data, "kind", _FIELD)
    return NotOfferedKind(
        region=str(data.get("region") or ""),
        kind=kind,
        kind_label=str(data.get("kindLabel") or kind),
        since=required_time(data, "since", _FIELD),
    )


def _section(data: Any) -> Section:
    if not isinstance(data, dict):
        raise ContractError("a digest section must be an object")
    kind = required_str(data, "kind", _FIELD)
    return Section(
        region=str(data.get("region") or ""),
        kind=kind,
        kind_label=str(data.get("kindLabel") or kind),
        lists={
            c: jobs
            for c in CATEGORIES
            if data.get(c) is not None and (jobs := _job_list(data.get(c), c)).count
        },
    )


def _job_list(data: Any, category: str) -> JobList:
    if not isinstance(data, dict) or not isinstance(data.get("jobs", []), list):
        raise ContractError(f"digest list {category!r} must be an object with a 'jobs' list")
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ContractError(f"digest list {category!r}: 'count' must be a whole number")
    jobs = []
    for job in data.get("jobs", []):
        if not isinstance(job, dict):
            raise ContractError(f"digest list {category!r}: each job must be an object")
        jobs.append(_job(job))
    return JobList(max(count, len(jobs)), tuple(jobs))


def _job(job: Mapping[str, Any]) -> DigestJob:
    age = job.get("ageSeconds")
    failure = job.get("failureMessage")
    return DigestJob(
        name=required_str(job, "name", _FIELD),
        arn=str(job.get("arn") or ""),
        status=str(job.get("status") or ""),
        observed_at=optional_time(job, "observedAt", _FIELD),
        created_at=optional_time(job, "createdAt", _FIELD),
        age_seconds=age if isinstance(age, int) and not isinstance(age, bool) else None,
        failure=failure if isinstance(failure, str) else None,
        output_location=optional_str(job, "outputLocation", _FIELD),
        training_loss=optional_float(job, "trainingLoss", _FIELD),
        validation_loss=optional_float(job, "validationLoss", _FIELD),
    )
