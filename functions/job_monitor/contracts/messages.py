"""The message-type table: which contract reads an SNS body, by the body's message type. Pure.

A body names its type in ``envelope.TYPE_FIELD`` (``"type"``); a body without one is a
transition (the transition contract predates message types, and its wire format is kept). The
"test notification" is a transition. Adding a message type (an "overdue" alert...) is a contract
module and one row in ``MESSAGE_TYPES``; the notifiers then need a renderer per destination for it
(``notifiers.registry``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from job_monitor.contracts import digest, overdue, transition
from job_monitor.contracts.envelope import TRANSITION, TYPE_FIELD, ContractError
from job_monitor.contracts.fields import decode_object


@dataclass(frozen=True)
class MessageType:
    """How subscribers handle one message type.

    ``read``: the decoded body (a JSON object) -> the typed message (raises ContractError).
    ``dedupe_id``: the typed message -> the id a subscriber posts at most once.
    ``job_name``: the typed message -> the job name a name filter matches, or None for a message
    about no single job (it is never filtered out by name).
    """

    name: str
    read: Callable[[dict[str, Any]], Any]
    dedupe_id: Callable[[Any], str]
    job_name: Callable[[Any], str | None]


MESSAGE_TYPES: dict[str, MessageType] = {
    t.name: t
    for t in (
        MessageType(
            name=transition.MESSAGE_TYPE,
            read=transition.from_document,
            dedupe_id=lambda n: str(n.dedupe_id),
            job_name=lambda n: str(n.job_name),
        ),
        MessageType(
            name=overdue.MESSAGE_TYPE,
            read=overdue.from_document,
            dedupe_id=lambda o: str(o.dedupe_id),
            job_name=lambda o: str(o.job_name),
        ),
        MessageType(
            name=digest.MESSAGE_TYPE,
            read=digest.from_document,
            dedupe_id=lambda d: str(d.dedupe_id),
            job_name=lambda _d: None,
        ),
    )
}


@dataclass(frozen=True)
class Message:
    """A parsed SNS body: its ``type`` (a key of ``MESSAGE_TYPES``) and the typed ``content``
    (``transition.Notification``, ``digest.build.Digest``...)."""

    type: MessageType
    content: Any

    @property
    def dedupe_id(self) -> str:
        return self.type.dedupe_id(self.content)

    @property
    def job_name(self) -> str | None:
        return self.type.job_name(self.content)


def message_type(data: dict[str, Any]) -> MessageType:
    """The row of ``MESSAGE_TYPES`` for a decoded body. Raises ContractError for a type this
    version does not know (a newer monitor's message), naming it and the known ones."""
    name = data.get(TYPE_FIELD)
    if name is None:
        name = TRANSITION
    row = MESSAGE_TYPES.get(name) if isinstance(name, str) else None
    if row is None:
        raise ContractError(
            f"SNS body has message type {name!r}; this notifier reads "
            f"{', '.join(sorted(MESSAGE_TYPES))}"
        )
    return row


def parse_message(body: str) -> Message:
    """Read any SNS body the monitor publishes (JSON format), dispatching on its message type.

    Raises ContractError (not JSON, not an object, unknown type, or the contract's own errors)."""
    data = decode_object(body)
    row = message_type(data)
    return Message(row, row.read(data))
