"""Who gets which transitions: SNS subscription filter policies built from routing settings. Pure.

The monitor publishes every transition once with message attributes (see
``transition.render``); each subscriber (email addresses, the Slack notifier) narrows them with a
filter policy built here. The CDK app calls these at synth time so that a bad value stops the
deploy with a clear error.
"""

from __future__ import annotations

import re
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


# -- several destinations (issue 15) -----------------------------------------------------------

DESTINATION_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""A destination's name: lower case letters, digits and single hyphens, starting with a letter."""
DESTINATION_NAME_LIMIT = 32
TARGET_ATTRIBUTE = "destination"
"""The only attribute of a test notification aimed at one named destination (``{"test": true,
"destination": "<name>"}``): it has no ``status`` (nor ``kind``, ``region``, ``message_type``), so
every policy of ``filter_policy``, ``with_digest`` and ``destination_policy``'s transitions branch
refuses it; only the named destination's test branch takes it."""
MAX_COMBINATIONS = 150
"""SNS refuses a filter policy whose combinations of values exceed 150 ("multiply the number of
values in each array", SNS filter policy constraints); ``combinations`` sums that product over
the ``$or`` branches."""


def destination_policy(
    name: str,
    statuses: Iterable[str],
    kinds: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    digest: bool = False,
) -> dict[str, Any]:
    """The filter policy of one named destination: transitions of ``statuses`` (and ``kinds``,
    ``regions`` when given; empty = all), a test notification aimed at it (``TARGET_ATTRIBUTE``),
    and with ``digest`` the daily digest."""
    transitions: dict[str, list[Any]] = {"status": list(expand_statuses(statuses))}
    if kinds:
        transitions["kind"] = list(validate_kinds(kinds))
    if regions:
        transitions["region"] = list(regions)
    branches: list[dict[str, list[Any]]] = [transitions, {TARGET_ATTRIBUTE: [name]}]
    if digest:
        branches.append(DIGEST_POLICY)
    return {"$or": branches}


def combinations(policy: dict[str, Any]) -> int:
    """The number of value combinations of ``policy`` (see ``MAX_COMBINATIONS``)."""
    branches = policy.get("$or", [policy])
    total = 0
    for branch in branches:
        product = 1
        for values in branch.values():
            product *= len(values)
        total += product
    return total
