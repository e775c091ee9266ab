"""The message contract: what the monitor publishes to SNS for one transition. Pure.

Everything a subscriber sees is decided here, so the format changes in one place:

- the SNS body: the JSON contract (``version`` ``CONTRACT_VERSION``, default) or, with
  ``message_format="chatbot"``, an Amazon Q Developer in chat applications (AWS Chatbot) custom
  notification;
- the SNS message attributes that subscription filter policies match (see ``routing``);
- the SNS ``Subject`` that email subscribers see.

``parse`` is the other half of the contract: the typed view a subscriber (the Slack notifier) reads
back from an SNS body. ``sample_transition`` builds the "test notification".
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from job_monitor.domain.jobs import Job, Transition, as_utc
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION

MESSAGE_FORMATS = ("json", "chatbot")
"""The body formats ``render`` can publish: the JSON contract, or Chatbot custom notifications."""
CONTRACT_VERSION = "1"
"""Major version of the JSON body. Adding a field keeps it; renaming or removing one bumps it."""

SUBJECT_LIMIT = 99
"""SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less
than 100 characters long"."""
NO_STATUS = "None"
"""``previousStatus`` message attribute of a job seen for the first time (attributes cannot be
null)."""

CHATBOT_DESCRIPTION_FAILURE_LIMIT = 1000

# Size bounds of user-controlled text in a message. Bedrock allows 63-character job names and
# 2,048-character failure messages, but the monitor does not rely on it: whatever it is handed,
# one transition must fit in one SNS message (256 KiB for body and attributes together).
TRUNCATED = "\u2026 [truncated]"
"""Appended to any text the contract cut, so a reader knows it is not whole."""
JOB_NAME_LIMIT = 1024
MODEL_TEXT_LIMIT = 2048
FAILURE_TEXT_LIMIT = 64 * 1024
"""Characters of all failure messages of one transition together."""
MAX_BODY_BYTES = 240 * 1024
"""UTF-8 bytes of one SNS body; the rest of the 262,144 bytes is left to attributes."""
SAMPLE_JOB_NAME = "bedrock-job-monitor-test"
SAMPLE_FAILURE_MESSAGE = (
    "This is a test notification from Bedrock Job Monitor; no job failed. "
    "If you can read this, the SNS topic and this subscription are wired correctly."
)

_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
"""Unicode categories shown as a space on a one-line text: controls and line/paragraph breaks."""
_INVISIBLE = frozenset({"Cf"})
"""Format characters (direction overrides such as U+202E, zero-width characters): dropped, so a
name cannot display reversed or hide text."""

# Console host per partition (the partition is the second field of the job ARN).
_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-us-gov": "console.amazonaws-us-gov.com",
    "aws-cn": "console.amazonaws.cn",
}


class ContractError(ValueError):
    """An SNS body is not a message this version of the contract can read."""


@dataclass(frozen=True)
class SnsMessage:
    subject: str
    body: str
    attributes: dict[str, str]


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


# ---------------------------------------------------------------------------------------------
# Producing


def render(transition: Transition, message_format: str = "json") -> SnsMessage:
    """Subject, body and message attributes for one transition.

    The attributes are the same in both formats, so filter policies route both alike.
    """
    if message_format == "json":
        body = compact_json(contract(transition))
    elif message_format == "chatbot":
        body = compact_json(chatbot_payload(transition))
    else:
        raise ValueError(
            f"message_format: {message_format!r} is not one of {', '.join(MESSAGE_FORMATS)}"
        )
    return SnsMessage(subject=subject(transition), body=body, attributes=attributes(transition))


def contract(transition: Transition) -> dict[str, Any]:
    """The JSON contract, version ``CONTRACT_VERSION`` (documented in the README).

    Oversized text (job name, model identifiers, failure messages) is cut and ends with
    ``TRUNCATED``, so the body always fits in one SNS message; the identity fields (ARN, dedupe
    id, status) are never cut. Times are always UTC with a ``Z``.
    """
    budget = FAILURE_TEXT_LIMIT
    while True:
        document = _contract(bounded(transition, budget))
        if budget == 0 or len(compact_json(document).encode()) <= MAX_BODY_BYTES:
            return document
        budget //= 4  # text that grows a lot in JSON (controls: 6 bytes each) or in UTF-8


def bounded(transition: Transition, failure_budget: int = FAILURE_TEXT_LIMIT) -> Transition:
    """The transition with its user-controlled text within the message bounds (see ``TRUNCATED``).

    Returns the same object when nothing needs cutting."""
    job = transition.job
    failures = _failures(transition)
    cut_failures = _bound_failures(failures, failure_budget)
    cut_job = replace(
        job,
        name=_truncate(job.name, JOB_NAME_LIMIT),
        base_model=_truncate_optional(job.base_model, MODEL_TEXT_LIMIT),
        output_model=_truncate_optional(job.output_model, MODEL_TEXT_LIMIT),
        failure_messages=_bound_failures(job.failure_messages, failure_budget),
    )
    if cut_job == job and cut_failures == failures:
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
        "failureMessages": list(_failures(transition)),
        "region": transition.region,
        "account": transition.account,
        "consoleUrl": console_url(job),
    }


def attributes(transition: Transition) -> dict[str, str]:
    """SNS message attributes (all of DataType String) that filter policies match on."""
    return {
        "kind": transition.kind.name,
        "status": transition.new_status,
        "previousStatus": transition.previous_status or NO_STATUS,
        "terminal": "true" if transition.is_terminal else "false",
    }


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
        return _shorten(head + name + tail, SUBJECT_LIMIT)
    return head + _shorten(name, room) + tail


def console_url(job: Job) -> str | None:
    """The Bedrock console page for the job, from the kind's ``console_fragment``.

    ``{name}``, ``{arn}`` and ``{id}`` (the last path segment of the ARN) are URL-encoded. None when
    the ARN does not say which partition and region the job lives in.

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
    if len(parts) < 6 or not parts[3]:
        return None
    partition, region = parts[1], parts[3]
    host = _CONSOLE_HOSTS.get(partition)
    if host is None:
        return None
    fragment = job.kind.console_fragment.format(
        name=quote(job.name, safe=""),
        arn=quote(job.arn, safe=""),
        id=quote(job.arn.rsplit("/", 1)[-1], safe=""),
    )
    region_q = quote(region, safe="")
    return f"https://{region_q}.{host}/bedrock/home?region={region_q}#/{fragment}"


def chatbot_payload(transition: Transition) -> dict[str, Any]:
    """Amazon Q Developer in chat applications custom notification for one transition.

    ``metadata.threadId`` is the job ARN, so each job's updates thread together in the channel.
    User-controlled text (job name, failure message) is kept inside code spans with backticks
    neutralised, so it cannot turn into markup.
    """
    transition = bounded(transition, CHATBOT_DESCRIPTION_FAILURE_LIMIT)
    job = transition.job
    previous = transition.previous_status or "new"
    title = f"Bedrock {job.kind.noun} {one_line(job.status)}: {one_line(job.name)}"
    lines = [
        f"*Job:* `{code_text(one_line(job.name))}`",
        f"*Status:* {one_line(previous)} -> {one_line(job.status)}",
    ]
    duration = human_duration(transition.duration_seconds)
    if duration:
        lines.append(f"*Duration:* {duration}")
    if job.base_model:
        lines.append(f"*Base model:* `{code_text(one_line(job.base_model))}`")
    if job.output_model:
        lines.append(f"*Output model:* `{code_text(one_line(job.output_model))}`")
    lines.append(f"*Account / region:* {transition.account} / {transition.region}")
    failures = "\n".join(clean_lines(f) for f in _failures(transition))
    if failures:
        text = _shorten(code_text(failures), CHATBOT_DESCRIPTION_FAILURE_LIMIT)
        lines.append(f"*Failure:*\n```\n{text}\n```")
    next_steps = []
    link = console_url(job)
    if link:
        next_steps.append(f"Open the job in the Bedrock console: {link}")
    if job.status == "Failed":
        next_steps.append("Read the failure message, fix the input or the quota, and resubmit.")
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": _shorten(title, 250),
            "description": "\n".join(lines),
            "nextSteps": next_steps,
            "keywords": [job.kind.name, job.status],
        },
        "metadata": {
            "threadId": job.arn,
            "summary": _shorten(f"{job.status}: {one_line(job.name)} ({job.kind.label})", 250),
            "eventType": "BedrockJobStatusChange",
            "relatedResources": [
                r for r in (job.arn, job.base_model, job.output_model) if r and r.startswith("arn:")
            ],
            "additionalContext": {
                "dedupeId": transition.dedupe_id,
                "kind": job.kind.name,
                "status": job.status,
                "previousStatus": transition.previous_status or NO_STATUS,
            },
        },
    }


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


# ---------------------------------------------------------------------------------------------
# Consuming


def parse(body: str) -> Notification:
    """Read an SNS body written by ``render(..., "json")``.

    Unknown extra fields are ignored (a newer monitor may add some within the same major version);
    a missing or unsupported ``version``, a body that is not a JSON object, or a missing required
    field raises ContractError with a message that says which.
    """
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"SNS body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContractError("SNS body is JSON but not an object")
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
    kind = _required_str(data, "kind")
    failures = data.get("failureMessages") or []
    if not isinstance(failures, list):
        raise ContractError("field 'failureMessages' must be a list")
    terminal = data.get("terminal", False)
    if not isinstance(terminal, bool):
        raise ContractError(f"field 'terminal' must be true or false, got {terminal!r}")
    return Notification(
        version=version,
        dedupe_id=_required_str(data, "dedupeId"),
        kind=kind,
        kind_label=_optional_str(data, "kindLabel") or kind,
        job_arn=_required_str(data, "jobArn"),
        job_name=_required_str(data, "jobName"),
        previous_status=_optional_str(data, "previousStatus"),
        status=_required_str(data, "status"),
        terminal=terminal,
        observed_at=_optional_time(data, "observedAt"),
        created_at=_optional_time(data, "createdAt"),
        ended_at=_optional_time(data, "endedAt"),
        duration_seconds=_optional_int(data, "durationSeconds"),
        base_model=_optional_str(data, "baseModel"),
        output_model=_optional_str(data, "outputModel"),
        failure_messages=tuple(str(f) for f in failures if f),
        region=_optional_str(data, "region") or "",
        account=_optional_str(data, "account") or "",
        console_url=_optional_str(data, "consoleUrl"),
    )


# ---------------------------------------------------------------------------------------------
# Shared text helpers


def human_duration(seconds: int | None) -> str | None:
    """``8054`` -> ``"2 h 14 min"``: the two largest non-zero units, for people, not parsers."""
    if seconds is None:
        return None
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for index, (label, size) in enumerate(units):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {label}")
            following = units[index + 1]
            rest = seconds // following[1]
            if rest:
                parts.append(f"{rest} {following[0]}")
            break
    return " ".join(parts)


def _failures(transition: Transition) -> tuple[str, ...]:
    return transition.failure_messages or transition.job.failure_messages


def one_line(text: str) -> str:
    """One line of text: control characters (line breaks included) become spaces; invisible
    format characters (direction overrides, zero-width characters) are dropped."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _LINE_BREAKING:
            out.append(" ")
        elif category not in _INVISIBLE:
            out.append(ch)
    return "".join(out)


def clean_lines(text: str) -> str:
    """Like ``one_line``, but keeps line structure: any line break becomes ``\\n``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return "\n".join(one_line(line) for line in lines.replace("\u2029", "\n").split("\n"))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(TRUNCATED))] + TRUNCATED


def _truncate_optional(text: str | None, limit: int) -> str | None:
    return None if text is None else _truncate(text, limit)


def _bound_failures(messages: tuple[str, ...], budget: int) -> tuple[str, ...]:
    """Keep messages in order while they fit in ``budget`` characters; cut the one that does not
    fit, and replace the rest with one ``"N more failure message(s)… [truncated]"`` entry."""
    if sum(len(m) for m in messages) <= budget:
        return messages
    kept: list[str] = []
    left = budget
    for index, text in enumerate(messages):
        if left <= len(TRUNCATED):
            kept.append(f"{len(messages) - index} more failure message(s){TRUNCATED}")
            break
        kept.append(_truncate(text, left))
        left -= len(kept[-1])
    return tuple(kept)


def compact_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def code_text(text: str) -> str:
    """Text to sit inside a code span or block: a backtick would close it, so it is replaced."""
    return text.replace("`", "\u02cb")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def iso_utc(value: datetime | None) -> str | None:
    """UTC with a ``Z`` whatever the input's zone (a naive time is taken to be UTC)."""
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else None


def _required_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ContractError(f"field {key!r} is missing or not a non-empty string")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ContractError(f"field {key!r} must be a string or null")
    return value


def _optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ContractError(f"field {key!r} must be a finite number or null, got {value!r}")
    return int(value)


def _optional_time(data: dict[str, Any], key: str) -> datetime | None:
    value = _optional_str(data, key)
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ContractError(f"field {key!r} is not an ISO 8601 time: {value!r}") from None
