"""What every message the monitor publishes to SNS has in common. Pure.

An SNS message is a subject (what email subscribers see), a body (the JSON contract of its message
type, or an Amazon Q Developer in chat applications (AWS Chatbot) custom notification with
``message_format="chatbot"``) and String message attributes (what subscription filter policies
match, see ``routing``). The SNS limits, the message types and the body formats are defined here
once; each contract module (``transition``, ``digest``) fills them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.text import compact_json

TRANSITION = "transition"
"""Message type of one job status transition (and of the "test notification"). Its body carries
no ``type`` field: a body without one is a transition (the wire format predates message types)."""
DIGEST = "digest"
"""Message type of the daily digest; its body says ``"type": "digest"``."""
OVERDUE = "overdue"
"""Message type of an overdue or expiring job alert (``contracts.overdue``); its body says
``"type": "overdue"`` and its ``reason`` which."""
TYPE_FIELD = "type"
"""Body field naming the message type (absent: ``TRANSITION``)."""
MESSAGE_TYPE_ATTRIBUTE = "message_type"
"""Message attribute that tells a digest or an overdue alert from a transition (transitions do not
carry it; they carry ``status``, which the others do not)."""

UNKNOWN_STATUS_ATTRIBUTE = "unknownStatus"
"""Message attribute (and body field) of a transition into a status the monitor's job-kind
registry does not know: ``"true"``, present only then (``routing`` lets it through the default
policies). A message without it is about a known status."""
UNKNOWN_STATUS_VALUE = "true"

NO_STATUS = "None"
"""``previousStatus`` message attribute of a job seen for the first time (attributes cannot be
null)."""

MESSAGE_FORMATS = ("json", "chatbot")
"""The body formats a contract can publish: its JSON contract, or Chatbot custom notifications."""

SUBJECT_LIMIT = 99
"""SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less
than 100 characters long"."""
MAX_BODY_BYTES = 240 * 1024
"""UTF-8 bytes of one SNS body; the rest of SNS's 262,144 bytes is left to the attributes."""


class ContractError(ValueError):
    """An SNS body is not a message this version of the contracts can read; the message says
    which field or what is wrong (never more than the field's own value)."""


@dataclass(frozen=True)
class SnsMessage:
    """One SNS Publish: ``subject`` (at most ``SUBJECT_LIMIT`` characters), ``body`` (at most
    ``MAX_BODY_BYTES`` UTF-8 bytes) and String message ``attributes``."""

    subject: str
    body: str
    attributes: dict[str, str]


def render_body(
    message_format: str, documents: Mapping[str, Callable[[], dict[str, Any] | str]]
) -> str:
    """The compact JSON body in ``message_format``, built by ``documents[message_format]``.

    ``documents`` maps every one of ``MESSAGE_FORMATS`` to a builder; only the chosen one runs.
    A builder returns the document, or its ``compact_json`` text when it encoded it already (to
    measure it: ``transition.contract``), which is then the body as it is.
    Raises ValueError naming ``message_format`` when it is not one of ``MESSAGE_FORMATS``.
    """
    if message_format not in MESSAGE_FORMATS or message_format not in documents:
        raise ValueError(
            f"message_format: {message_format!r} is not one of {', '.join(MESSAGE_FORMATS)}"
        )
    document = documents[message_format]()
    return document if isinstance(document, str) else compact_json(document)
