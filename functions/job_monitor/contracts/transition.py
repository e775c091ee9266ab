"""The transition contract: what the monitor publishes to SNS for one job status transition. Pure.

Everything a subscriber sees is decided here, so the format changes in one place:

- the SNS body: the JSON contract (``version`` ``CONTRACT_VERSION``, default) or, with
  ``message_format="chatbot"``, an Amazon Q Developer in chat applications (AWS Chatbot) custom
  notification;
- the SNS message attributes that subscription filter policies match (see ``routing``);
- the SNS ``Subject`` that email subscribers see.

``parse`` is the other half of the contract: the typed view (``Notification``) a subscriber (the
notifiers) reads back from an SNS body; ``contracts.messages`` dispatches a body to it by message
type. ``sample_transition`` builds the "test notification" (a transition like any other).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from job_monitor.contracts import chatbot
from job_monitor.contracts.envelope import (
    MAX_BODY_BYTES,
    NO_STATUS,
    SUBJECT_LIMIT,
    TRANSITION,
    UNKNOWN_STATUS_ATTRIBUTE,
    UNKNOWN_STATUS_VALUE,
    ContractError,
    SnsMessage,
    render_body,
)
from job_monitor.contracts.fields import (
    decode_object,
    optional_float,
    optional_int,
    optional_str,
    optional_time,
    required_str,
)
from job_monitor.contracts.tags import tag_attributes
from job_monitor.contracts.text import TRUNCATED, compact_json, cut, cut_optional, iso_utc, one_line
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION

MESSAGE_TYPE = TRANSITION
"""This contract's message type. Its body has no ``type`` field (absent means a transition)."""
CONTRACT_VERSION = "1"
"""Major version of the JSON body. Adding a field keeps it; renaming or removing one bumps it."""

# Size bounds of user-controlled text in a message. Bedrock allows 63-character job names and
# 2,048-character failure messages, but the monitor does not rely on it: whatever it is handed,
# one transition must fit in one SNS message (256 KiB for body and attributes together).
JOB_NAME_LIMIT = 1024
MODEL_TEXT_LIMIT = 2048
FAILURE_TEXT_LIMIT = 64 * 1024
"""Characters of all failure messages of one transition together."""
SAMPLE_JOB_NAME = "bedrock-job-monitor-test"
SAMPLE_FAILURE_MESSAGE = (
    "This is a test notification from Bedrock Job Monitor; no job failed. "
    "If you can read this, the SNS topic and this subscription are wired correctly."
)

# Console host per partition (the partition is the second field of the job ARN).
_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-us-gov": "console.amazonaws-us-gov.com",
    "aws-cn": "console.amazonaws.cn",
}


@dataclass(frozen=True)
class Notification:
    """A parsed contract body: what the Slack notifier (or any subscriber) needs, with no registry
    lookups, so a notifier older than the monitor still reads messages about newer job kinds."""

    version: str
    dedupe_id: str
    kind: str
    kind_label: str
    job_arn: str
    job_name: str
    previous_status: str | None
    status: str
    terminal: bool
    observed_at: datetime | None
    created_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    base_model: str | None
    output_model: str | None
    failure_messages: tuple[str, ...]
    region: str
    account: str
    console_url: str | None
    unknown_status: bool = False
    """The monitor that published it did not know ``status`` for this kind (body field
    ``unknownStatus``; absent means false)."""
    output_location: str | None = None
    expires_at: datetime | None = None
    training_loss: float | None = None
    validation_loss: float | None = None
    """Present only when Bedrock reports them (see ``result_fields``)."""
    details: tuple[tuple[str, str], ...] = ()
    """The body's optional ``details`` object (a parent-scoped job's ids and counters), in
    order; empty when absent."""
    tags: tuple[tuple[str, str], ...] = ()
    """The body's optional ``tags`` object (the job's allow-listed tags), in order; empty when
    absent. User text: escape before showing."""


# ---------------------------------------------------------------------------------------------
# Producing


def render(transition: Transition, message_format: str = "json") -> SnsMessage:
    """Subject, body and message attributes for one transition.

    ``message_format`` is one of ``envelope.MESSAGE_FORMATS`` (ValueError otherwise). The
    attributes are the same in both formats, so filter policies route both alike.
    """
    body = render_body(
        message_format,
        {
            # The body as ``contract`` measured it: encoded once, not again.
            "json": lambda: _contract_and_body(transition)[1],
            "chatbot": lambda: chatbot_payload(transition),
        },
    )
    return SnsMessage(subject=subject(transition), body=body, attributes=attributes(transition))


def contract(transition: Transition) -> dict[str, Any]:
    """The JSON contract, version ``CONTRACT_VERSION`` (documented in the README).

    Oversized text (job name, model identifiers, failure messages) is cut and ends with
    ``TRUNCATED``, so the body always fits in one SNS message; the identity fields (ARN, dedupe
    id, status) are never cut. Times are always UTC with a ``Z``.
    """
    return _contract_and_body(transition)[0]


def _contract_and_body(transition: Transition) -> tuple[dict[str, Any], str]:
    """``contract``'s document and its compact JSON (``compact_json``: the SNS body)."""
    budget = FAILURE_TEXT_LIMIT
    while True:
        document = _contract(bounded(transition, budget))
        body = compact_json(document)
        if budget == 0 or len(body.encode()) <= MAX_BODY_BYTES:
            return document, body
        budget //= 4  # text that grows a lot in JSON (controls: 6 bytes each) or in UTF-8


def bounded(transition: Transition, failure_budget: int = FAILURE_TEXT_LIMIT) -> Transition:
    """The transition with its user-controlled text within the message bounds (see ``TRUNCATED``):
    the job name within ``JOB_NAME_LIMIT`` characters, model identifiers within
    ``MODEL_TEXT_LIMIT``, all failure messages together within ``failure_budget``.

    Returns the same object when nothing needs cutting."""
    job = transition.job
    messages = failures(transition)
    if (
        len(job.name) <= JOB_NAME_LIMIT
        and _within(job.base_model, MODEL_TEXT_LIMIT)
        and _within(job.output_model, MODEL_TEXT_LIMIT)
        and _within(job.output_location, MODEL_TEXT_LIMIT)
        and _total_length(job.failure_messages) <= failure_budget
        and _total_length(messages) <= failure_budget
    ):
        return transition  # nothing to cut (the usual case): no copy made
    cut_failures = _bound_failures(messages, failure_budget)
    cut_job = replace(
        job,
        name=cut(job.name, JOB_NAME_LIMIT, TRUNCATED),
        base_model=cut_optional(job.base_model, MODEL_TEXT_LIMIT, TRUNCATED),
        output_model=cut_optional(job.output_model, MODEL_TEXT_LIMIT, TRUNCATED),
        output_location=cut_optional(job.output_location, MODEL_TEXT_LIMIT, TRUNCATED),
        failure_messages=_bound_failures(job.failure_messages, failure_budget),
    )
    if cut_job == job and cut_failures == messages:
        return transition
    return replace(transition, job=cut_job, failure_messages=cut_failures)


def _contract(transition: Transition) -> dict[str, Any]:
    job = transition.job
    return {
        "version": CONTRACT_VERSION,
        "dedupeId": transition.dedupe_id,
        "kind": job.kind.name,
        "kindLabel": job.kind.label,
        "jobArn": job.arn,
        "jobName": job.name,
        "previousStatus": transition.previous_status,
        "status": job.status,
        "terminal": transition.is_terminal,
        "observedAt": iso_utc(transition.observed_at),
        "createdAt": iso_utc(job.created_at),
        "endedAt": iso_utc(job.end_time),
        "durationSeconds": transition.duration_seconds,
        "baseModel": job.base_model,
        "outputModel": job.output_model,
        "failureMessages": list(failures(transition)),
        "region": transition.region,
        "account": transition.account,
        "consoleUrl": console_url(job),
        # Added within version 1, present only for a status the registry does not know.
        **({UNKNOWN_STATUS_ATTRIBUTE: True} if transition.status_unknown else {}),
        **result_fields(job),
        # Only the kinds that have them (knowledge-base ingestion: parent ids and statistics;
        # Automated Reasoning builds: ids and workflow type), so other bodies are unchanged.
        **(
            {"details": {k: cut(v, MODEL_TEXT_LIMIT, TRUNCATED) for k, v in job.details}}
            if job.details
            else {}
        ),
        # Added within version 1: the job's allow-listed tags, only when it has some.
        **({"tags": dict(job.tags)} if job.tags else {}),
    }


def result_fields(job: Job) -> dict[str, Any]:
    """The fields added within version 1 for what a job produced, each present only when Bedrock
    reports it (so messages without them are as before): ``outputLocation`` (S3 URI: batch
    inference from the list; customization and evaluation from the one Get of a Completed
    transition), ``expiresAt`` (batch inference, from the list), ``trainingLoss`` and
    ``validationLoss`` (customization Completed, from that Get)."""
    fields: dict[str, Any] = {}
    if job.output_location:
        fields["outputLocation"] = job.output_location
    if job.expires_at is not None:
        fields["expiresAt"] = iso_utc(job.expires_at)
    if job.training_loss is not None:
        fields["trainingLoss"] = job.training_loss
    if job.validation_loss is not None:
        fields["validationLoss"] = job.validation_loss
    return fields


def attributes(transition: Transition) -> dict[str, str]:
    """SNS message attributes (all of DataType String) that filter policies match on. The job's
    allow-listed tags (``Job.tags``) are ``tag.<key>`` attributes (``contracts.tags``).
    ``unknownStatus`` (``"true"``) is present only for a status the kind's registry entry does
    not know, so the default policies can let it through (``routing``). ``region`` (the job's
    region, from its ARN, as in the body) lets a destination filter on regions in its filter
    policy; it is absent when the ARN has no region (attributes cannot be empty)."""
    values = {
        "kind": transition.kind.name,
        "status": transition.new_status,
        "previousStatus": transition.previous_status or NO_STATUS,
        "terminal": "true" if transition.is_terminal else "false",
    }
    if transition.status_unknown:
        values[UNKNOWN_STATUS_ATTRIBUTE] = UNKNOWN_STATUS_VALUE
    if transition.region:
        values["region"] = transition.region
    # At most contracts.tags.TRANSITION_ATTRIBUTES above: the rest of SNS's 10 is for tags.
    values.update(tag_attributes(transition.job.tags or ()))
    return values


def subject(transition: Transition) -> str:
    """``[Bedrock] Failed: my-finetune-job (customization)``, at most ``SUBJECT_LIMIT`` characters.

    Control characters become spaces; a long job name is shortened (never the status or the kind,
    which are what a reader scans for).
    """
    head = f"[Bedrock] {one_line(transition.new_status)}: "
    tail = f" ({one_line(transition.kind.label)})"
    name = one_line(transition.job.name)
    room = SUBJECT_LIMIT - len(head) - len(tail)
    if room < 4:  # absurdly long status/kind: fall back to cutting the whole line
        return cut(head + name + tail, SUBJECT_LIMIT, strip=True)
    return head + cut(name, room, strip=True) + tail


def console_url(job: Job) -> str | None:
    """The Bedrock console page for the job, from the kind's ``console_fragment``.

    ``{name}``, ``{arn}`` and ``{id}`` (the last path segment of the ARN) are URL-encoded. None when
    the ARN does not say which partition and region the job lives in, and when the console has
    no page for the kind (async invocations, prompt optimization, data automation).

    What public sources confirm about console routes (checked November 2026; the console is a
    single-page app and documents none of them): the list pages ``#/custom-models``,
    ``#/batch-inference`` and ``#/model-evaluation``; ``#/custom-models/item?arn=<custom model
    ARN>`` for a custom *model* (not a job). No per-job detail route could be confirmed for any
    kind, so the registry points at list pages (a job-specific link would be a guess that may land
    on an error page). The pages of the newer kinds (``#/imported-models``,
    ``#/provisioned-throughput``; copies and deployments on ``#/custom-models``) are the console's
    own list pages, not documented routes either.
    """
    parts = job.arn.split(":", 5)
    if len(parts) < 6 or not parts[3] or not job.kind.console_fragment:
        return None
    partition, region = parts[1], parts[3]
    host = _CONSOLE_HOSTS.get(partition)
    if host is None:
        return None
    fragment = job.kind.console_fragment
    if "{" in fragment or "}" in fragment:  # quote only for a fragment that has placeholders
        fragment = fragment.format(
            name=quote(job.name, safe=""),
            arn=quote(job.arn, safe=""),
            id=quote(job.arn.rsplit("/", 1)[-1], safe=""),
        )
    region_q = quote(region, safe="")
    return f"https://{region_q}.{host}/bedrock/home?region={region_q}#/{fragment}"


def chatbot_payload(transition: Transition) -> dict[str, Any]:
    """The Chatbot custom notification for one transition (``chatbot.transition_payload``), with
    the failure messages bounded to what its description shows."""
    shown = bounded(transition, chatbot.DESCRIPTION_FAILURE_LIMIT)
    return chatbot.transition_payload(
        shown, failures=failures(shown), console_link=console_url(shown.job)
    )


def sample_transition(now: datetime, region: str, account: str) -> Transition:
    """A clearly-labelled sample transition for the "test notification" feature.

    A model customization job named ``SAMPLE_JOB_NAME`` that went InProgress -> Failed with
    ``SAMPLE_FAILURE_MESSAGE``: Failed shows every part of a Slack message (mention, failure code
    block, button). The ARN carries ``now`` (to the second), so each test gets its own dedupe id and
    a second test an hour later is not suppressed as a duplicate.
    """
    stamp = now.strftime("%Y%m%dt%H%M%S")
    base_model = f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-text-express-v1"
    job = Job(
        kind=MODEL_CUSTOMIZATION,
        arn=(
            f"arn:aws:bedrock:{region}:{account}:model-customization-job/"
            f"amazon.titan-text-express-v1/{SAMPLE_JOB_NAME}-{stamp}"
        ),
        name=SAMPLE_JOB_NAME,
        status="Failed",
        created_at=now - timedelta(hours=2, minutes=14),
        end_time=now,
        last_modified=now,
        base_model=base_model,
        output_model=None,
        failure_messages=(SAMPLE_FAILURE_MESSAGE,),
    )
    return Transition(
        job=job,
        previous_status="InProgress",
        observed_at=now,
        failure_messages=(SAMPLE_FAILURE_MESSAGE,),
    )


def failures(transition: Transition) -> tuple[str, ...]:
    """The transition's failure messages: the ones observed with it, else the job's."""
    return transition.failure_messages or transition.job.failure_messages


def _within(text: str | None, limit: int) -> bool:
    """Whether ``cut_optional(text, limit, ...)`` leaves ``text`` as it is."""
    return text is None or len(text) <= limit


def _total_length(messages: tuple[str, ...]) -> int:
    return sum(len(m) for m in messages)


def _bound_failures(messages: tuple[str, ...], budget: int) -> tuple[str, ...]:
    """Keep messages in order while they fit in ``budget`` characters; cut the one that does not
    fit, and replace the rest with one ``"N more failure message(s)… [truncated]"`` entry."""
    if _total_length(messages) <= budget:
        return messages
    kept: list[str] = []
    left = budget
    for index, text in enumerate(messages):
        if left <= len(TRUNCATED):
            kept.append(f"{len(messages) - index} more failure message(s){TRUNCATED}")
            break
        kept.append(cut(text, left, TRUNCATED))
        left -= len(kept[-1])
    return tuple(kept)


# ---------------------------------------------------------------------------------------------
# Consuming


def parse(body: str) -> Notification:
    """Read an SNS body written by ``render(..., "json")``.

    Unknown extra fields are ignored (a newer monitor may add some within the same major version);
    a missing or unsupported ``version``, a body that is not a JSON object, or a missing required
    field raises ContractError with a message that says which.
    """
    return from_document(decode_object(body))


def from_document(data: dict[str, Any]) -> Notification:
    """``parse`` of an already decoded body (the JSON object); raises ContractError likewise."""
    if data.get("source") == "custom" and "content" in data:
        raise ContractError(
            "SNS body is an Amazon Q Developer (Chatbot) custom notification, not contract "
            f"v{CONTRACT_VERSION}: the monitor runs with MESSAGE_FORMAT=chatbot; subscribe Chatbot "
            "instead of the Slack notifier, or switch the monitor back to MESSAGE_FORMAT=json"
        )
    version = data.get("version")
    if version is None:
        raise ContractError("SNS body has no 'version': not a Bedrock Job Monitor message")
    if not isinstance(version, str) or version.split(".")[0] != CONTRACT_VERSION:
        raise ContractError(
            f"SNS body has contract version {version!r}; this notifier reads version "
            f"{CONTRACT_VERSION}"
        )
    kind = required_str(data, "kind")
    failure_list = data.get("failureMessages") or []
    if not isinstance(failure_list, list):
        raise ContractError("field 'failureMessages' must be a list")
    terminal = data.get("terminal", False)
    if not isinstance(terminal, bool):
        raise ContractError(f"field 'terminal' must be true or false, got {terminal!r}")
    unknown = data.get(UNKNOWN_STATUS_ATTRIBUTE, False)
    if not isinstance(unknown, bool):
        raise ContractError(
            f"field '{UNKNOWN_STATUS_ATTRIBUTE}' must be true or false, got {unknown!r}"
        )
    return Notification(
        version=version,
        dedupe_id=required_str(data, "dedupeId"),
        kind=kind,
        kind_label=optional_str(data, "kindLabel") or kind,
        job_arn=required_str(data, "jobArn"),
        job_name=required_str(data, "jobName"),
        previous_status=optional_str(data, "previousStatus"),
        status=required_str(data, "status"),
        terminal=terminal,
        failure_messages=tuple(str(f) for f in failure_list if f),
        observed_at=optional_time(data, "observedAt"),
        created_at=optional_time(data, "createdAt"),
        ended_at=optional_time(data, "endedAt"),
        duration_seconds=optional_int(data, "durationSeconds"),
        region=optional_str(data, "region") or "",
        account=optional_str(data, "account") or "",
        base_model=optional_str(data, "baseModel"),
        output_model=optional_str(data, "outputModel"),
        console_url=optional_str(data, "consoleUrl"),
        unknown_status=unknown,
        output_location=optional_str(data, "outputLocation"),
        expires_at=optional_time(data, "expiresAt"),
        training_loss=optional_float(data, "trainingLoss"),
        validation_loss=optional_float(data, "validationLoss"),
        details=_details(data),
        tags=_string_pairs(data, "tags"),
    )


def _details(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = data.get("details") or {}
    if not isinstance(value, dict):
        raise ContractError("field 'details' must be an object")
    return tuple((str(k), str(v)) for k, v in value.items())


def _string_pairs(data: dict[str, Any], name: str) -> tuple[tuple[str, str], ...]:
    """An optional object of strings (``tags``) as (key, value) pairs, in order; ContractError
    when it is not an object."""
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ContractError(f"field '{name}' must be an object")
    return tuple((str(k), str(v)) for k, v in value.items())
