"""Who gets which transitions: SNS subscription filter policies built from routing settings. Pure.

The monitor publishes every transition once with message attributes (see
``transition.render``); each subscriber (email addresses, the Slack notifier) narrows them with a
filter policy built here. The CDK app calls these at synth time so that a bad value stops the
deploy with a clear error, and a well-formed status no kind has (newer than this version) is
routed by name with a warning (``StatusRoute.unlisted``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.envelope import DIGEST, MESSAGE_TYPE_ATTRIBUTE, OVERDUE, TRANSITION
from job_monitor.contracts.tags import tag_filter_policy
from job_monitor.domain.kinds import READY_STATUSES, REGISTRY

STARTED = "started"
"""Alias a user may route on: a job entering InProgress."""
STARTED_STATUSES = ("InProgress",)
UNKNOWN = "unknown"
"""Alias a user may route on: any status no kind of the monitor's job-kind registry knows (such a
transition also carries ``unknownStatus=true``, see ``transition.attributes``)."""

ALL_STATUSES = frozenset().union(*(k.statuses for k in REGISTRY.values()))
ANY_UNKNOWN: dict[str, list[str]] = {"anything-but": sorted(ALL_STATUSES)}
"""The ``status`` value of a filter policy that matches every status no kind knows."""
TERMINAL_STATUSES = frozenset().union(*(k.terminal_statuses for k in REGISTRY.values()))
STATUS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
"""A well-formed status name (Bedrock's are PascalCase, other AWS APIs' UPPER_SNAKE): a name of
this form that no kind has is routed by name with a warning; anything else is refused."""

# READY_STATUSES (a long-lived resource became usable: not terminal, it stays followed, but the
# outcome its owner waits for) are routed by default, and so are statuses this version does not
# know (``UNKNOWN``): one of them may be how a job ends.
DEFAULT_EMAIL_STATUSES: tuple[str, ...] = (
    *sorted(TERMINAL_STATUSES | set(READY_STATUSES)),
    UNKNOWN,
)
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
    UNKNOWN,
)


@dataclass(frozen=True)
class StatusRoute:
    """What a routing setting's status names select."""

    statuses: tuple[str, ...]
    """Status names for the ``status`` attribute, sorted (aliases expanded; names no kind has
    included as given)."""
    unknown: bool
    """``UNKNOWN`` was named: every status the registry does not know."""
    unlisted: tuple[str, ...]
    """Names given that no kind of the registry has (``Cancelled``): routed by name, and worth a
    warning at synth (a typo, or a status newer than this version)."""


def _spelling(name: str) -> str:
    """``upper`` (the agent APIs' ``IN_PROGRESS``), ``pascal`` (Bedrock's ``InProgress``) or
    ``other`` (``failed``, ``iN_pROGRESS``)."""
    if name.isupper():
        return "upper"
    if name[:1].isupper() and "_" not in name:
        return "pascal"
    return "other"


def _pascal_first(name: str) -> tuple[bool, str]:
    return (_spelling(name) == "upper", name)


def _is_typo(status: str, variants: list[str]) -> bool:
    """Whether ``status``, a case variant of the known ``variants``, is a typo of one of them.
    Not when it is spelled in the other family's style than every variant (``Cancelled`` next to
    the Automated Reasoning builds' ``CANCELLED``): Bedrock's PascalCase APIs may add it, so it is
    routed by name as an unlisted status, with the synth warning."""
    if any(v in (STARTED, UNKNOWN) for v in variants):
        return True  # an alias's spelling is the only one
    spelling = _spelling(status)
    return spelling == "other" or any(_spelling(v) == spelling for v in variants)


def parse_statuses(statuses: Iterable[str]) -> StatusRoute:
    """Read a routing setting's status names: the registry's statuses, the ``started`` and
    ``unknown`` aliases, and well-formed names no kind has (``unlisted``). Raises ValueError for
    a malformed name, or one that differs from a known status or alias only in case (a typo:
    ``failed``), naming each with what is allowed; and for an empty list."""
    result: list[str] = []
    unlisted: list[str] = []
    unknown = False
    bad: list[str] = []
    known: dict[str, list[str]] = {}
    for name in (STARTED, UNKNOWN, *sorted(ALL_STATUSES, key=_pascal_first)):
        known.setdefault(name.lower(), []).append(name)
    for status in statuses:
        if status == STARTED:
            result.extend(STARTED_STATUSES)
        elif status == UNKNOWN:
            unknown = True
        elif status in ALL_STATUSES:
            result.append(status)
        elif status.lower() in known and _is_typo(status, known[status.lower()]):
            bad.append(f"{status} (did you mean {' or '.join(known[status.lower()])}?)")
        elif STATUS_NAME.fullmatch(status):
            result.append(status)
            unlisted.append(status)
        else:
            bad.append(repr(status))
    if bad:
        allowed = ", ".join([STARTED, UNKNOWN, *sorted(ALL_STATUSES)])
        raise ValueError(
            f"bad status(es) {', '.join(bad)}; allowed: {allowed}, or the name of a status "
            "Bedrock has that this version does not know (letters, digits, _ or -, up to 64)"
        )
    if not result and not unknown:
        raise ValueError("at least one status is required")
    return StatusRoute(tuple(sorted(set(result))), unknown, tuple(dict.fromkeys(unlisted)))


def expand_statuses(statuses: Iterable[str]) -> tuple[str, ...]:
    """The ``status`` attribute values ``statuses`` select (``parse_statuses(...).statuses``);
    raises ValueError as it does."""
    return parse_statuses(statuses).statuses


def validate_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    names = tuple(kinds)
    bad = [k for k in names if k not in REGISTRY]
    if bad:
        raise ValueError(
            f"unknown job kind(s) {', '.join(bad)}; allowed: {', '.join(sorted(REGISTRY))}"
        )
    return names


def filter_policy(
    statuses: Iterable[str],
    kinds: Sequence[str] | None = None,
    tags: Iterable[tuple[str, Sequence[str]]] = (),
) -> dict[str, Any]:
    """SNS filter policy (MessageAttributes scope) for the given statuses and, optionally, kinds
    and job tags.

    An empty or None ``kinds`` means every kind. ``tags`` (``contracts.tags.parse_tag_filter``:
    ``(("team", ("search",)),)``) adds ``{"tag.team": ["search"]}``: only transitions of jobs
    with one of those values pass (every key must match; a job without the tag, or whose tags
    could not be read, does not). ``UNKNOWN`` among ``statuses`` adds
    ``{"anything-but": [every status of the registry]}`` to the ``status`` list: a status no kind
    of this version knows passes (SNS ORs the values of one attribute, so no ``$or`` is needed).
    A status new to one kind but known to another is routed by its name, as for that other kind.
    """
    route = parse_statuses(statuses)
    values: list[Any] = list(route.statuses)
    if route.unknown:
        values.append(ANY_UNKNOWN)
    policy: dict[str, list[Any]] = {"status": values}
    # Every kind of the registry is the same as no kind filter, and costs SNS no combinations.
    if kinds and not set(REGISTRY) <= set(kinds):
        policy["kind"] = list(validate_kinds(kinds))
    policy.update(tag_filter_policy(tags))
    return policy


SNS_MAX_COMBINATIONS = 150
"""SNS refuses a subscription whose filter policy has more combinations than this (the product
of the number of values of each attribute, summed over ``$or`` branches; an ``anything-but``
list counts as one value). From the SNS developer guide, "Filter policy constraints"."""


def combinations(policy: dict[str, Any]) -> int:
    """The number of combinations of ``policy`` as SNS counts them (see ``SNS_MAX_COMBINATIONS``).
    ``{"status": [a, b], "kind": [x, y, z]}`` -> 6; ``{"$or": [p, q]}`` -> combinations(p) +
    combinations(q)."""
    total = 1
    branches = 0
    for key, value in policy.items():
        if key == "$or":
            branches = sum(combinations(branch) for branch in value)
        else:
            total *= len(value) if isinstance(value, list) else 1
    return total * branches if branches else total


SNS_MAX_POLICY_KEYS = 5
"""SNS refuses a filter policy with more keys than this (SNS developer guide, "Filter policy
constraints": "A filter policy can have a maximum of five keys"). Counted per ``$or`` branch
(``policy_keys``): a transitions branch filtering on status, kind, region and job tags reaches it
with two tag keys."""


def policy_keys(policy: dict[str, Any]) -> int:
    """The most attribute names one branch of ``policy`` matches on (``$or`` branches counted
    each on their own, with the keys beside the ``$or``)."""
    own = sum(1 for key in policy if key != "$or")
    branches = policy.get("$or") or []
    return own + max((policy_keys(branch) for branch in branches), default=0)


DIGEST_POLICY: dict[str, list[Any]] = {MESSAGE_TYPE_ATTRIBUTE: [DIGEST]}
"""Matches the daily digest (``contracts.digest.render_digest`` sets ``message_type=digest``)."""


def with_digest(policy: dict[str, list[Any]]) -> dict[str, Any]:
    """``policy`` (transitions) or the daily digest: ``{"$or": [policy, DIGEST_POLICY]}``.

    A digest carries no ``status`` attribute, so a status policy alone never lets it through."""
    return {"$or": [policy, DIGEST_POLICY]}


def overdue_policy(kinds: Sequence[str] | None = None) -> dict[str, list[Any]]:
    """Matches overdue and expiry alerts (``contracts.overdue.render`` sets
    ``message_type=overdue``), of ``kinds`` only when given."""
    policy: dict[str, list[Any]] = {MESSAGE_TYPE_ATTRIBUTE: [OVERDUE]}
    if kinds:
        policy["kind"] = list(validate_kinds(kinds))
    return policy


def combine(
    policy: dict[str, list[Any]],
    *,
    overdue: bool,
    digest: bool,
    kinds: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A subscription's whole filter policy: ``policy`` (transitions), or with ``overdue`` the
    overdue alerts of ``kinds`` (``overdue_policy``), or with ``digest`` the daily digest. Neither
    carries a ``status`` attribute, so a status policy alone lets neither through. Without either,
    ``policy`` itself (as before overdue alerts existed)."""
    alternatives: list[dict[str, list[Any]]] = [policy]
    if overdue:
        alternatives.append(overdue_policy(kinds))
    if digest:
        alternatives.append(DIGEST_POLICY)
    return policy if len(alternatives) == 1 else {"$or": alternatives}


# -- several destinations (issue 15) -----------------------------------------------------------

DESTINATION_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""A destination's name: lower case letters, digits and single hyphens, starting with a letter."""
DESTINATION_NAME_LIMIT = 32
TARGET_ATTRIBUTE = "destination"
"""The only attribute of a test notification aimed at one named destination (``{"test": true,
"destination": "<name>"}``): it has no ``status`` (nor ``kind``, ``region``, ``message_type``), so
every policy of ``filter_policy``, ``with_digest`` and ``destination_policy``'s transitions branch
refuses it; only the named destination's test branch takes it."""


TEST = "test"
"""Alert type of a test notification aimed at one destination (``TARGET_ATTRIBUTE``)."""
ALERT_TYPES: tuple[str, ...] = (TRANSITION, OVERDUE, DIGEST, TEST)
"""What a destination may ask for (its ``alert_types``; all by default): status transitions, overdue
and expiry alerts (``contracts.overdue``), the daily digest, and a test notification aimed at it."""


def destination_policy(
    name: str,
    statuses: Iterable[str],
    kinds: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    alert_types: Iterable[str] = (TRANSITION, TEST),
    tags: Iterable[tuple[str, Sequence[str]]] = (),
) -> dict[str, Any]:
    """The filter policy of one named destination: one ``$or`` branch per alert type it asks for
    (``ALERT_TYPES``): transitions of ``statuses`` (and ``kinds``, ``regions``, job ``tags``
    when given; empty = all), overdue and expiry alerts of ``kinds``, ``regions`` and ``tags``
    (``overdue_policy``), a test notification aimed at it (``TARGET_ATTRIBUTE``) and the daily
    digest (``DIGEST_POLICY``). A single branch is the policy itself. The statuses and kinds are
    read as ``filter_policy`` reads them (``unknown``, a status no kind knows, every kind = no
    kind filter). Raises ValueError for an alert type not in ``ALERT_TYPES`` or none at all."""
    wanted = set(alert_types)
    unknown = sorted(wanted - set(ALERT_TYPES))
    if unknown:
        raise ValueError(
            f"unknown alert type(s) {', '.join(unknown)}; allowed: {', '.join(ALERT_TYPES)}"
        )
    if not wanted:
        raise ValueError(f"at least one alert type is required; allowed: {', '.join(ALERT_TYPES)}")
    tag_keys = list(tags)
    transitions = filter_policy(statuses, kinds, tag_keys)
    branches: list[dict[str, list[Any]]] = []
    if TRANSITION in wanted:
        if regions:
            transitions["region"] = list(regions)
        branches.append(transitions)
    if OVERDUE in wanted:
        # the same kind filter as the transitions' (every kind = none)
        overdue = overdue_policy(transitions.get("kind"))
        overdue.update(tag_filter_policy(tag_keys))
        if regions:
            overdue["region"] = list(regions)
        branches.append(overdue)
    if TEST in wanted:
        branches.append({TARGET_ATTRIBUTE: [name]})
    if DIGEST in wanted:
        branches.append(DIGEST_POLICY)
    return branches[0] if len(branches) == 1 else {"$or": branches}
