"""Who gets which transitions: SNS subscription filter policies built from routing settings. Pure.

The monitor publishes every transition once with message attributes (see
``transition.render``); each subscriber (email addresses, the Slack notifier) narrows them with a
filter policy built here. The CDK app calls these at synth time so that a bad value stops the
deploy with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from job_monitor.contracts.envelope import DIGEST, MESSAGE_TYPE_ATTRIBUTE
from job_monitor.domain.kinds import READY_STATUSES, REGISTRY

STARTED = "started"
"""Alias a user may route on: a job entering InProgress."""
STARTED_STATUSES = ("InProgress",)

ALL_STATUSES = frozenset().union(*(k.statuses for k in REGISTRY.values()))
TERMINAL_STATUSES = frozenset().union(*(k.terminal_statuses for k in REGISTRY.values()))

# READY_STATUSES (a long-lived resource became usable: not terminal, it stays followed, but the
# outcome its owner waits for) are routed by default.
DEFAULT_EMAIL_STATUSES: tuple[str, ...] = tuple(sorted(TERMINAL_STATUSES | set(READY_STATUSES)))
DEFAULT_SLACK_STATUSES: tuple[str, ...] = (
    "Failed",
    "Stopped",
    "Completed",
    "PartiallyCompleted",
    "Expired",
    *READY_STATUSES,
    # The agent and Automated Reasoning APIs' own spellings of the same outcomes.
    "COMPLETE",
    "COMPLETED",
    "FAILED",
    "STOPPED",
    "CANCELLED",
)


def expand_statuses(statuses: Iterable[str]) -> tuple[str, ...]:
    """Validate status names (and the ``started`` alias); raise ValueError naming bad ones."""
    result: list[str] = []
    bad: list[str] = []
    for status in statuses:
        if status == STARTED:
            result.extend(STARTED_STATUSES)
        elif status in ALL_STATUSES:
            result.append(status)
        else:
            bad.append(status)
    if bad:
        allowed = ", ".join([STARTED, *sorted(ALL_STATUSES)])
        raise ValueError(f"unknown status(es) {', '.join(bad)}; allowed: {allowed}")
    if not result:
        raise ValueError("at least one status is required")
    return tuple(sorted(set(result)))


def validate_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    names = tuple(kinds)
    bad = [k for k in names if k not in REGISTRY]
    if bad:
        raise ValueError(
            f"unknown job kind(s) {', '.join(bad)}; allowed: {', '.join(sorted(REGISTRY))}"
        )
    return names


def filter_policy(
    statuses: Iterable[str], kinds: Sequence[str] | None = None
) -> dict[str, list[Any]]:
    """SNS filter policy (MessageAttributes scope) for the given statuses and, optionally, kinds.

    An empty or None ``kinds`` means every kind.
    """
    policy: dict[str, list[Any]] = {"status": list(expand_statuses(statuses))}
    if kinds:
        policy["kind"] = list(validate_kinds(kinds))
    return policy


DIGEST_POLICY: dict[str, list[Any]] = {MESSAGE_TYPE_ATTRIBUTE: [DIGEST]}
"""Matches the daily digest (``contracts.digest.render_digest`` sets ``message_type=digest``)."""


def with_digest(policy: dict[str, list[Any]]) -> dict[str, Any]:
    """``policy`` (transitions) or the daily digest: ``{"$or": [policy, DIGEST_POLICY]}``.

    A digest carries no ``status`` attribute, so a status policy alone never lets it through."""
    return {"$or": [policy, DIGEST_POLICY]}
