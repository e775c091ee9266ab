"""The CDK app's configuration: read from CDK context once, validated once, typed.

Defaults live in code, once: the keys the functions also read are rows of
``job_monitor.setting_fields`` (default, range, parser, error message shared with the Lambda), the
context-only keys are rows of ``CONTEXT_ONLY_FIELDS`` below, built the same way. ``cdk.json``
lists the defaults for people to edit (a test keeps it equal to these; it leaves out
``job_kinds``, whose default is every kind of the registry). Any key can be overridden with
``cdk synth -c key=value``. Values given with ``-c`` arrive as strings, so every parser accepts
both the JSON type (from cdk.json) and its string form (lists as JSON or comma-separated). A bad
value raises ``SettingsError`` naming the key and what is allowed, which stops the synth before
anything is built.

Routing values (statuses, kinds) are checked with ``job_monitor.contracts.routing``, and the
environment each function will receive is parsed with the functions' own ``job_monitor.config``
parsers, so the stack cannot deploy a setting that the Lambda code would reject at start.

Region names (``regions``, ``watch_regions``) are checked against the regions botocore knows
(``partitions()``), and a slack_secret_name given as an ARN, or with the random suffix of one, is
refused with the name to use instead.

Pure Python: no aws_cdk import, so the unit tests of this module need no synth.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore
from botocore.exceptions import DataNotFoundError
from botocore.loaders import create_loader

from infra import names

# The functions' own modules (infra/__init__.py puts functions/ on sys.path).
from job_monitor import setting_fields as F
from job_monitor.config import ConfigError, MonitorSettings, NotifierSettings
from job_monitor.contracts import routing
from job_monitor.contracts.tags import TagFilter, parse_tag_filter
from job_monitor.notifiers.registry import DESTINATIONS as DESTINATION_TYPES
from job_monitor.setting_fields import SettingError, SettingField

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
"""Retention periods CloudWatch Logs accepts (days)."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_MAX_SCHEDULE_MINUTES = 480
"""The dead-man's switch looks at 3 schedule periods; CloudWatch evaluates at most 24 hours."""
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,99}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_SUFFIX = re.compile(r"(?P<name>.+)-[A-Za-z0-9]{6}")
"""What Secrets Manager appends to a secret's name in its ARN: a hyphen and 6 random characters."""
_CONTEXT_KEY = re.compile(r"[a-z][a-z0-9_]*")
"""Keys of this app are snake_case; CDK's own context keys contain ':', '@' or '-'."""


class SettingsError(SettingError):
    """A context value is bad; the message names the key and what is allowed."""


# -- the regions botocore knows ------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """An AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``, ...): its regions and the form of
    their names (``regionRegex``)."""

    name: str
    regions: tuple[str, ...]
    pattern: re.Pattern[str]


@functools.cache
def partitions() -> tuple[Partition, ...]:
    """Every partition and its regions, from the data files of the botocore the CDK app runs with
    (pinned in ``requirements/local.txt``, so the list changes only with a deliberate upgrade).

    The source is ``botocore/data/partitions.json`` (``create_loader().load_data("partitions")``):
    the partition table of the endpoint rulesets, which is how botocore resolves the endpoints of
    services such as Bedrock (``bedrock/*/endpoint-rule-set-1.json``). It lists every region of
    each partition, including regions no service's entry in the older ``endpoints.json`` names
    yet; a single service's endpoint list (``get_available_regions("bedrock")``) would refuse a
    region only because that file lags. The regions of ``endpoints.json``'s partitions are added
    too, so a botocore whose files disagree (or that predates ``partitions.json``) refuses
    nothing it knows. Entries that do not match their partition's ``regionRegex`` are global
    endpoints (``aws-global``, ``aws-cn-global``), not regions, and are left out.
    """
    loader = create_loader()
    found: dict[str, tuple[re.Pattern[str], set[str]]] = {}
    try:
        for part in loader.load_data("partitions")["partitions"]:
            found[part["id"]] = (re.compile(part["regionRegex"]), set(part["regions"]))
    except DataNotFoundError:  # botocore before the endpoint rulesets
        pass
    for part in loader.load_data("endpoints")["partitions"]:
        entry = found.setdefault(part["partition"], (re.compile(part["regionRegex"]), set()))
        entry[1].update(part["regions"])
    return tuple(
        Partition(name, tuple(sorted(r for r in regions if pattern.fullmatch(r))), pattern)
        for name, (pattern, regions) in found.items()
    )


def partition_of(region: str) -> Partition | None:
    """The partition botocore lists ``region`` in, or None for a region it does not know."""
    return next((p for p in partitions() if region in p.regions), None)


def _unknown_regions(unknown: list[str]) -> str:
    """The error for region names botocore does not know: each with the regions of the partition
    its name has the form of (every partition's, for a name of no partition's form)."""
    shown = [p for p in partitions() if any(p.pattern.fullmatch(r) for r in unknown)]
    listed = "; ".join(
        f"the {p.name} partition has: {', '.join(p.regions)}" for p in shown or partitions()
    )
    what = "unknown region" if len(unknown) == 1 else "unknown regions"
    return (
        f"{what} {', '.join(unknown)} ({listed}; from botocore {botocore.__version__}: a region "
        "newer than that needs a newer botocore)"
    )


def _known_regions(raw: Any) -> tuple[str, ...]:
    """AWS region names (``F.regions``: the form, no repeats) that botocore lists in a partition
    (``partitions()``)."""
    values = F.regions(raw)
    unknown = [r for r in values if partition_of(r) is None]
    if unknown:
        raise F.SettingValueError(_unknown_regions(unknown))
    return values


# -- parsers of the context-only keys (the shared ones are in job_monitor.setting_fields) ------


def _emails(raw: Any) -> tuple[str, ...]:
    addresses = F.string_list(raw)
    bad = [a for a in addresses if not _EMAIL.fullmatch(a) or len(a) > 254]
    if bad:
        raise F.SettingValueError(f"not an email address: {', '.join(bad)} (expected name@domain)")
    return addresses


def _optional_email(raw: Any) -> str:
    value = F.text(raw)
    if value and (not _EMAIL.fullmatch(value) or len(value) > 254):
        raise F.SettingValueError(f"not an email address: {value} (expected name@domain, or empty)")
    return value


def _statuses(raw: Any) -> tuple[str, ...]:
    statuses = F.string_list(raw)
    try:
        routing.expand_statuses(statuses)
    except ValueError as exc:
        raise F.SettingValueError(str(exc)) from None
    return statuses


def _secret_name(raw: Any) -> str:
    """A Secrets Manager secret's name, or empty. The stack imports the secret with
    ``Secret.from_secret_name_v2``, which takes the name and builds the partial ARN the notifier
    reads the secret by: an ARN is refused, and so is a name ending in a hyphen and 6 characters
    (the random suffix of a secret's ARN, as the console shows it: Secrets Manager would take the
    partial ARN for a complete one and not find the secret; AWS advises against such names)."""
    value = F.text(raw)
    use_the_name = "use the secret's name (e.g. bedrock-job-monitor/slack-webhook), not its ARN"
    if value.startswith("arn:"):
        resource = value.split(":secret:", 1)[1] if ":secret:" in value else ""
        suffixed = _SECRET_SUFFIX.fullmatch(resource)
        named = f"; this ARN's secret is named {suffixed['name']}" if suffixed else ""
        raise F.SettingValueError(f"{value} is an ARN: {use_the_name}{named}")
    if value and not _SECRET_NAME.fullmatch(value):
        raise F.SettingValueError(
            f"{value!r} is not a Secrets Manager secret name (A-Za-z0-9/_+=.@-, up to 512)"
        )
    suffixed = _SECRET_SUFFIX.fullmatch(value)
    if suffixed:
        raise F.SettingValueError(
            f"{value} ends in a hyphen and 6 characters, the random suffix Secrets Manager adds "
            f"to a secret's ARN: {use_the_name} or its suffix (here probably "
            f"{suffixed['name']}). A secret really named so cannot be read by its partial ARN: "
            "rename it"
        )
    return value


def _tag_filter(raw: Any) -> TagFilter:
    """A tag filter's form (``contracts.tags.parse_tag_filter``); whether its keys are published
    (in ``tag_keys``) is checked with the whole configuration (``Settings._validate``)."""
    try:
        return parse_tag_filter(raw, None)
    except ValueError as exc:
        raise F.SettingValueError(str(exc)) from None


def _log_retention(raw: Any) -> int:
    value = F.integer(1, 3653)(raw)
    if value not in LOG_RETENTION_DAYS:
        raise F.SettingValueError(
            f"{value} is not a CloudWatch Logs retention; allowed: "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    return value


# -- several destinations (issue 15) ------------------------------------------------------------

_DESTINATION_NAME = routing.DESTINATION_NAME
DESTINATION_NAME_LIMIT = routing.DESTINATION_NAME_LIMIT


@dataclass(frozen=True)
class DestinationSettings:
    """One entry of the ``destinations`` context list: a chat destination with its own notifier
    function, idempotency table, failure queue and alarms.

    ``name``: lower case letters, digits and single hyphens (``search-team``), unique, at most
    ``DESTINATION_NAME_LIMIT``; it names the destination in construct ids, alarms and the test
    notification (``{"test": true, "destination": "<name>"}``). ``type``: a row of
    ``job_monitor.notifiers.registry.DESTINATIONS`` (``slack``, ``teams``). ``secret_name``: the
    Secrets Manager secret holding the webhook URL (by name, as ``slack_secret_name``). The
    filter: ``statuses`` (default: ``routing.DEFAULT_SLACK_STATUSES``; ``started`` allowed),
    ``kinds`` and ``regions`` (empty = all), applied by SNS; ``job_name_pattern`` (a Python regular
    expression searched in the job name; empty = all), applied in the function and counted
    (``<Label>FilteredOut``). ``mention`` (Slack only, on Failed) and ``digest`` (with
    ``daily_digest``: this destination also receives the digest; default true).
    ``alert_types``: which of ``routing.ALERT_TYPES`` it receives (default all): ``transition``,
    ``overdue`` (overdue and expiry alerts of its kinds and regions), ``digest`` (with
    ``daily_digest``; ``digest: false`` leaves it out) and ``test`` (a test aimed at it).
    """

    name: str
    type: str
    secret_name: str
    statuses: tuple[str, ...] = routing.DEFAULT_SLACK_STATUSES
    kinds: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    job_name_pattern: str = ""
    mention: str = ""
    digest: bool = True
    alert_types: tuple[str, ...] = routing.ALERT_TYPES
    tags: TagFilter = ()
    """Job tags the transitions must carry (``{"team": ["search"]}``: every key, one of its
    values), applied by SNS on the ``tag.<key>`` attributes; each key must be in ``tag_keys``."""

    @property
    def label(self) -> str:
        """The name in CamelCase followed by the type's label: ``search-team`` of type ``teams``
        is ``SearchTeamTeams`` (alarm names ``SearchTeamTeamsNotifierErrors``...)."""
        camel = "".join(part.capitalize() for part in self.name.split("-"))
        return camel + DESTINATION_TYPES[self.type].label

    def filter_policy(self, daily_digest: bool) -> dict[str, Any]:
        """Its SNS filter policy (``routing.destination_policy``): its ``alert_types``, the
        digest only with ``daily_digest`` and ``digest``."""
        wanted = set(self.alert_types)
        if not (daily_digest and self.digest):
            wanted.discard(routing.DIGEST)
        return routing.destination_policy(
            self.name,
            self.statuses,
            self.kinds,
            self.regions,
            alert_types=[t for t in routing.ALERT_TYPES if t in wanted],
            tags=self.tags,
        )


_DESTINATION_KEYS = {
    "name": "required",
    "type": "required",
    "secret_name": "required",
    "statuses": "optional",
    "kinds": "optional",
    "regions": "optional",
    "job_name_pattern": "optional",
    "mention": "optional",
    "digest": "optional",
    "alert_types": "optional",
    "tags": "optional",
}


def _alert_types(raw: Any) -> tuple[str, ...]:
    """A non-empty list of ``routing.ALERT_TYPES`` (a JSON list, or comma-separated text)."""
    given = F.string_list(raw)
    allowed = ", ".join(routing.ALERT_TYPES)
    unknown = [t for t in given if t not in routing.ALERT_TYPES]
    if unknown:
        raise F.SettingValueError(f"unknown alert type(s) {', '.join(unknown)}; allowed: {allowed}")
    if not given:
        raise F.SettingValueError(f"at least one is required; allowed: {allowed}")
    return given


def _destination(raw: Any) -> DestinationSettings:
    """One entry; raises ``SettingValueError`` naming the entry's key that is wrong."""
    if not isinstance(raw, dict):
        raise F.SettingValueError(f"must be an object with {', '.join(_DESTINATION_KEYS)}")
    unknown = sorted(set(raw) - set(_DESTINATION_KEYS))
    if unknown:
        raise F.SettingValueError(
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_DESTINATION_KEYS)}"
        )
    missing = [k for k, need in _DESTINATION_KEYS.items() if need == "required" and not raw.get(k)]
    if missing:
        raise F.SettingValueError(f"{', '.join(missing)} required")

    def read(key: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(raw[key])
        except F.SettingValueError as exc:
            raise F.SettingValueError(f"{key}: {exc}") from None

    name = read("name", F.text)
    if not _DESTINATION_NAME.fullmatch(name) or len(name) > DESTINATION_NAME_LIMIT:
        raise F.SettingValueError(
            f"name: {name!r} is not a destination name (lower case letters, digits and single "
            f"hyphens, starting with a letter, up to {DESTINATION_NAME_LIMIT})"
        )
    kind = read("type", F.text)
    if kind not in DESTINATION_TYPES:
        raise F.SettingValueError(
            f"type: unknown destination type {kind!r}; allowed: {', '.join(DESTINATION_TYPES)}"
        )
    values: dict[str, Any] = {
        "name": name,
        "type": kind,
        "secret_name": read("secret_name", _secret_name),
    }
    optional: dict[str, Callable[[Any], Any]] = {
        "statuses": _statuses,
        "kinds": F.kind_names(required=False),
        "regions": _known_regions,
        "job_name_pattern": F.JOB_NAME_PATTERN.parse,
        "mention": F.NOTIFY_MENTION.parse,
        "digest": F.context_boolean,
        "alert_types": _alert_types,
        "tags": _tag_filter,
    }
    for key, parse in optional.items():
        if raw.get(key) is not None:
            values[key] = read(key, parse)
    if values.get("mention") and kind != "slack":
        raise F.SettingValueError(f"mention: only Slack destinations mention (this is {kind})")
    if values.get("digest") is False and routing.DIGEST in values.get("alert_types", ()):
        raise F.SettingValueError("digest: false contradicts alert_types, which lists digest")
    return DestinationSettings(**values)


def _destinations(raw: Any) -> tuple[DestinationSettings, ...]:
    """The ``destinations`` list: a JSON list of objects (cdk.json), or its JSON text (``-c``).
    Raises ``SettingValueError`` naming the entry (``[index] (name)``) and its key."""
    items = raw
    if isinstance(raw, str):
        if not raw.strip():
            return ()
        try:
            items = json.loads(raw)
        except ValueError:
            raise F.SettingValueError("not JSON: expected a JSON list of objects") from None
    if not isinstance(items, list | tuple):  # a tuple: the default, as the context gives it back
        raise F.SettingValueError("expected a list of objects")
    found: list[DestinationSettings] = []
    for index, item in enumerate(items):
        named = item.get("name") if isinstance(item, dict) else None
        where = f"[{index}]" + (f" ({named})" if isinstance(named, str) and named else "")
        try:
            found.append(_destination(item))
        except F.SettingValueError as exc:
            raise F.SettingValueError(f"{where}: {exc}") from None
    names_seen = [d.name for d in found]
    repeated = sorted({n for n in names_seen if names_seen.count(n) > 1})
    if repeated:
        raise F.SettingValueError(f"duplicate destination name(s): {', '.join(repeated)}")
    return tuple(found)


# -- the context-only keys (the others are rows of job_monitor.setting_fields) -------------------


def _context(key: str, default: Any, parse: Callable[[Any], Any]) -> SettingField[Any]:
    return SettingField(key, None, key, default, parse)


def _context_integer(key: str, default: int, low: int, high: int) -> SettingField[int]:
    return F.integer_field(key, env=None, context_key=key, default=default, low=low, high=high)


def _context_boolean(key: str, default: bool) -> SettingField[bool]:
    return F.boolean_field(key, env=None, context_key=key, default=default)


STACK_NAME = _context(
    "stack_name",
    names.DEFAULT_STACK_NAME,
    F.matching(
        _STACK_NAME, "a stack name (letters, digits, hyphens; starts with a letter)", empty_ok=False
    ),
)
REGIONS = _context("regions", (), _known_regions)
WATCH_REGIONS: SettingField[tuple[str, ...]] = dataclasses.replace(
    F.WATCH_REGIONS, context_parse=_known_regions
)
"""``F.WATCH_REGIONS`` read from the context: the names must also be regions botocore knows (the
Lambda checks their form only; it gets what this check let through)."""
REALTIME_EVENTS = _context_boolean("realtime_events", True)
SCHEDULE_MINUTES = _context_integer("schedule_minutes", 1, 1, _MAX_SCHEDULE_MINUTES)
MONITOR_TIMEOUT_SECONDS = _context_integer("monitor_timeout_seconds", 300, 60, 900)
MONITOR_RESERVED_CONCURRENCY = _context_boolean("monitor_reserved_concurrency", True)
LOG_LEVEL = _context("log_level", "INFO", F.one_of(LOG_LEVELS))
LOG_RETENTION = _context("log_retention_days", 90, _log_retention)
KEY_ROTATION_DAYS = _context_integer("key_rotation_days", 365, 90, 2560)
"""KMS ``RotationPeriodInDays``: 90 to 2,560 days (the AWS::KMS::Key property's range)."""
RETAIN_ON_DELETE = _context_boolean("retain_on_delete", True)
SLACK_SECRET_NAME = _context("slack_secret_name", "", _secret_name)
SLACK_STATUSES = _context("slack_statuses", routing.DEFAULT_SLACK_STATUSES, _statuses)
SLACK_KINDS = _context("slack_kinds", (), F.kind_names(required=False))
EMAIL_ADDRESSES = _context("email_addresses", (), _emails)
EMAIL_STATUSES = _context("email_statuses", routing.DEFAULT_EMAIL_STATUSES, _statuses)
EMAIL_KINDS = _context("email_kinds", (), F.kind_names(required=False))
EMAIL_TAGS = _context("email_tags", (), _tag_filter)
ALARM_EMAIL = _context("alarm_email", "", _optional_email)
DIGEST_HOUR_UTC = _context_integer("digest_hour_utc", 8, 0, 23)
SLACK_DIGEST = _context_boolean("slack_digest", True)
EMAIL_DIGEST = _context_boolean("email_digest", True)
SLACK_OVERDUE = _context_boolean("slack_overdue", True)
EMAIL_OVERDUE = _context_boolean("email_overdue", False)
DESTINATIONS = _context("destinations", (), _destinations)

CONTEXT_FIELDS: dict[str, SettingField[Any]] = {
    field.context_key: field
    for field in (
        STACK_NAME,
        REGIONS,
        WATCH_REGIONS,
        REALTIME_EVENTS,
        SCHEDULE_MINUTES,
        F.JOB_KINDS,
        F.LOOKBACK_SECONDS,
        F.MESSAGE_FORMAT,
        F.FINISHED_JOB_TTL_DAYS,
        F.SWEEP_BUDGET,
        MONITOR_TIMEOUT_SECONDS,
        MONITOR_RESERVED_CONCURRENCY,
        LOG_LEVEL,
        LOG_RETENTION,
        KEY_ROTATION_DAYS,
        RETAIN_ON_DELETE,
        SLACK_SECRET_NAME,
        SLACK_STATUSES,
        SLACK_KINDS,
        F.JOB_NAME_PATTERN,
        F.NOTIFY_MENTION,
        F.IDEMPOTENCY_WINDOW_SECONDS,
        EMAIL_ADDRESSES,
        EMAIL_STATUSES,
        EMAIL_KINDS,
        EMAIL_TAGS,
        ALARM_EMAIL,
        F.DAILY_DIGEST,
        DIGEST_HOUR_UTC,
        SLACK_DIGEST,
        EMAIL_DIGEST,
        F.OVERDUE_HOURS,
        F.BATCH_EXPIRY_WARNING_HOURS,
        SLACK_OVERDUE,
        EMAIL_OVERDUE,
        DESTINATIONS,
        F.TAG_KEYS,
    )
    if field.context_key is not None
}
"""Context key -> its field: every key this app reads, each with its default and parser."""

_ENV_FIELDS: dict[str, SettingField[Any]] = {
    field.env: field for field in (*F.MONITOR_FIELDS, *F.NOTIFIER_FIELDS) if field.env
}


@dataclass(frozen=True)
class Settings:
    """Everything the stack needs to know, validated. Field names are the context keys; each
    default is its field's (``CONTEXT_FIELDS``). Build with ``from_context`` or
    ``from_mapping``."""

    stack_name: str = STACK_NAME.default
    regions: tuple[str, ...] = REGIONS.default
    """One stack per region (account: CDK_DEFAULT_ACCOUNT); empty = one region-agnostic stack."""
    watch_regions: tuple[str, ...] = F.WATCH_REGIONS.default
    """Bedrock regions one stack watches (one run covers them all); empty = the stack's region."""
    realtime_events: bool = REALTIME_EVENTS.default
    """Also react within seconds to the EventBridge events of the kinds that emit them."""
    schedule_minutes: int = SCHEDULE_MINUTES.default
    job_kinds: tuple[str, ...] = F.JOB_KINDS.default
    """Absent from cdk.json: every kind of the registry but the parent-scoped ones."""
    lookback_seconds: int = F.LOOKBACK_SECONDS.default
    message_format: str = F.MESSAGE_FORMAT.default
    finished_job_ttl_days: int = F.FINISHED_JOB_TTL_DAYS.default
    sweep_budget: int = F.SWEEP_BUDGET.default
    """List calls a quiet run makes per parent-scoped kind and region."""
    monitor_timeout_seconds: int = MONITOR_TIMEOUT_SECONDS.default
    monitor_reserved_concurrency: bool = MONITOR_RESERVED_CONCURRENCY.default
    """Reserve one concurrent execution for the monitor (one run at a time). Turn off in accounts
    whose unreserved concurrency is already at the minimum Lambda requires (deploy fails there)."""
    log_level: str = LOG_LEVEL.default
    log_retention_days: int = LOG_RETENTION.default
    key_rotation_days: int = KEY_ROTATION_DAYS.default
    """Days between two automatic rotations of the stack's KMS key. Each of a key's first two
    rotations adds $1 a month to its $1 (KMS pricing since May 2024), so the period says when
    the key costs $2 and then $3 a month."""
    retain_on_delete: bool = RETAIN_ON_DELETE.default
    """Keep the tables, the KMS key and the log groups when the stack is deleted."""
    slack_secret_name: str = SLACK_SECRET_NAME.default
    """Secrets Manager secret holding the webhook URL; empty = no Slack notifier."""
    slack_statuses: tuple[str, ...] = SLACK_STATUSES.default
    slack_kinds: tuple[str, ...] = SLACK_KINDS.default
    """Empty = every monitored kind."""
    slack_job_name_pattern: str = F.JOB_NAME_PATTERN.default
    slack_mention: str = F.NOTIFY_MENTION.default
    slack_idempotency_window_seconds: int = F.IDEMPOTENCY_WINDOW_SECONDS.default
    email_addresses: tuple[str, ...] = EMAIL_ADDRESSES.default
    email_statuses: tuple[str, ...] = EMAIL_STATUSES.default
    email_kinds: tuple[str, ...] = EMAIL_KINDS.default
    email_tags: TagFilter = EMAIL_TAGS.default
    """Only transitions of jobs with these tags reach the email subscriptions; empty = all."""
    alarm_email: str = ALARM_EMAIL.default
    daily_digest: bool = F.DAILY_DIGEST.default
    """Once a day, one message summarising the last 24 hours (see the README's Daily digest)."""
    overdue_hours: F.OverdueHours = F.OVERDUE_HOURS.default
    """(kind, status, hours) overdue thresholds; ``{}`` in context = no overdue alerts."""
    batch_expiry_warning_hours: int = F.BATCH_EXPIRY_WARNING_HOURS.default
    slack_overdue: bool = SLACK_OVERDUE.default
    """The Slack subscription receives overdue and expiry alerts (``message_type`` overdue)."""
    email_overdue: bool = EMAIL_OVERDUE.default
    """The email subscriptions receive overdue and expiry alerts too (opt-in)."""
    digest_hour_utc: int = DIGEST_HOUR_UTC.default
    slack_digest: bool = SLACK_DIGEST.default
    """With daily_digest: the Slack subscription also receives the digest."""
    email_digest: bool = EMAIL_DIGEST.default
    """With daily_digest: the email subscriptions also receive the digest."""
    destinations: tuple[DestinationSettings, ...] = DESTINATIONS.default
    """Chat destinations beyond ``slack_secret_name``, each with its own notifier and filter."""
    tag_keys: tuple[str, ...] = F.TAG_KEYS.default
    """Job tag keys published as ``tag.<key>`` message attributes; empty = no tag is read."""

    # -- derived values -------------------------------------------------------------------

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_secret_name)

    def slack_filter_policy(self) -> dict[str, Any]:
        """The Slack subscription's SNS filter policy (routing.filter_policy, plus the digest)."""
        kinds = self.slack_kinds or None
        return routing.combine(
            routing.filter_policy(self.slack_statuses, kinds),
            overdue=self.slack_overdue,
            digest=self.daily_digest and self.slack_digest,
            kinds=kinds,
        )

    def email_filter_policy(self) -> dict[str, Any]:
        """Every email subscription's SNS filter policy (plus the digest)."""
        kinds = self.email_kinds or None
        return routing.combine(
            routing.filter_policy(self.email_statuses, kinds, self.email_tags),
            overdue=self.email_overdue,
            digest=self.daily_digest and self.email_digest,
            kinds=kinds,
        )

    def warnings(self) -> list[str]:
        """What synth should warn about without refusing (``app.py`` prints these, every stack
        carries them as CDK annotation warnings): a routing setting that names a status no job
        kind of this version's registry has (routed by name, see ``routing.StatusRoute``)."""
        found = []
        for key in ("slack_statuses", "email_statuses"):
            unlisted = routing.parse_statuses(getattr(self, key)).unlisted
            if unlisted:
                found.append(
                    f"{key}: {', '.join(unlisted)} is not a status of any job kind this version "
                    "knows; routed by name (a status newer than this version arrives marked "
                    f"unknownStatus=true). Check the spelling; allowed: {routing.STARTED}, "
                    f"{routing.UNKNOWN}, {', '.join(sorted(routing.ALL_STATUSES))}"
                )
        return found

    def destination_environment(
        self, destination: DestinationSettings, secret_arn: str, idempotency_table_name: str
    ) -> dict[str, str]:
        """A destination's notifier environment: the Slack notifier's variables (read by
        ``NotifierSettings.from_env``) with the destination's name, name pattern and mention."""
        own = dataclasses.replace(
            self,
            slack_job_name_pattern=destination.job_name_pattern,
            slack_mention=destination.mention,
        )
        return own.notifier_environment(secret_arn, idempotency_table_name, destination.name)

    def monitor_environment(self, table_name: str, topic_arn: str) -> dict[str, str]:
        """The environment of the functions running the monitor's code (read by
        ``MonitorSettings.from_env``): variable -> text. ``AWS_REGION`` is Lambda's."""
        return self._environment(
            F.MONITOR_FIELDS,
            {F.STATE_TABLE_NAME.name: table_name, F.TOPIC_ARN.name: topic_arn},
            skip=(F.HOME_REGION,),
        )

    def notifier_environment(
        self, secret_arn: str, idempotency_table_name: str, destination_name: str = ""
    ) -> dict[str, str]:
        """The Slack notifier's environment (read by ``NotifierSettings.from_env``); with
        ``destination_name`` (a ``destinations`` entry's notifier) its name, which its log lines
        carry (the Slack notifier of ``slack_secret_name`` has no such variable)."""
        resources = {
            F.SECRET_ARN.name: secret_arn,
            F.IDEMPOTENCY_TABLE_NAME.name: idempotency_table_name,
        }
        if destination_name:
            resources[F.DESTINATION_NAME.name] = destination_name
        skip = () if destination_name else (F.DESTINATION_NAME,)
        return self._environment(F.NOTIFIER_FIELDS, resources, skip)

    def _environment(
        self,
        table: tuple[SettingField[Any], ...],
        resources: Mapping[str, str],
        skip: tuple[SettingField[Any], ...] = (),
    ) -> dict[str, str]:
        """One variable per field of ``table``: a resource's value (by field name), the context
        value (fields with a context key), or the field's default (Lambda-only fields)."""
        environment: dict[str, str] = {}
        for field in table:
            if field in skip or field.env is None:
                continue
            if field.name in resources:
                environment[field.env] = resources[field.name]
            elif field.context_key is not None:
                environment[field.env] = field.to_env(getattr(self, field.context_key))
            else:
                environment[field.env] = field.to_env(field.default)
        return environment

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_context(cls, node: Any) -> Settings:
        """Read this app's keys from a construct node's context (cdk.json and ``-c``)."""
        return cls.from_mapping(node.get_all_context())

    @classmethod
    def from_mapping(cls, context: Mapping[str, Any]) -> Settings:
        """Parse ``context`` (context key -> JSON value or string); absent or null keys keep
        their defaults, keys of CDK itself (with ':', '@' or '-') are ignored.

        Raises ``SettingsError`` ("<key>: <what is wrong and what is allowed>") for an unknown
        key, a bad value or a bad combination of keys.
        """
        known = set(CONTEXT_FIELDS)
        unknown = sorted(k for k in context if _CONTEXT_KEY.fullmatch(k) and k not in known)
        if unknown:
            raise SettingsError(
                f"unknown context key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}"
            )
        values = {
            key: field.read_context(context[key], error=SettingsError)
            for key, field in CONTEXT_FIELDS.items()
            if context.get(key) is not None
        }
        settings = cls(**values)
        settings._validate()
        return settings

    def _validate(self) -> None:
        for key in ("slack_kinds", "email_kinds"):
            outside = [k for k in getattr(self, key) if k not in self.job_kinds]
            if outside:
                raise SettingsError(
                    f"{key}: {', '.join(outside)} not monitored; "
                    f"allowed (from job_kinds): {', '.join(self.job_kinds)}"
                )
        if self.message_format == "chatbot" and self.slack_enabled:
            raise SettingsError(
                "message_format: 'chatbot' cannot be combined with slack_secret_name: the Slack "
                "notifier reads only the 'json' message contract. Use message_format=json with "
                "slack_secret_name, or message_format=chatbot with an empty slack_secret_name "
                "(Amazon Q Developer in chat applications then posts to Slack)"
            )
        self._validate_destinations()
        if self.watch_regions and len(self.regions) > 1:
            raise SettingsError(
                "watch_regions: with several regions (one stack per region) every stack would "
                "watch the same regions and report each transition once per stack; use regions "
                "(each stack watches its own) or one stack with watch_regions, not both"
            )
        self._validate_partitions()
        self._validate_tag_filter("email_tags", self.email_tags)
        for keys, policy in (
            ("slack_statuses x slack_kinds", self.slack_filter_policy),
            ("email_statuses x email_kinds x email_tags", self.email_filter_policy),
        ):
            _check_policy_keys(keys, policy())
            count = routing.combinations(policy())
            if count > routing.SNS_MAX_COMBINATIONS:
                raise SettingsError(
                    f"{keys}: the filter policy would have {count} combinations of values; SNS "
                    f"allows at most {routing.SNS_MAX_COMBINATIONS}. List fewer statuses or tag "
                    "values, or leave the kinds empty (every monitored kind costs no "
                    "combinations)"
                )
        margin = F.TIME_MARGIN_SECONDS.default
        if self.monitor_timeout_seconds <= margin:
            raise SettingsError(f"monitor_timeout_seconds: must exceed the {margin} s time margin")
        # The environment each function will get must parse with the function's own parser.
        _check_env(
            lambda: MonitorSettings.from_env(
                {
                    **self.monitor_environment("table", "arn:aws:sns:us-east-1:111111111111:topic"),
                    F.HOME_REGION.env or "": "us-east-1",  # Lambda sets it
                }
            )
        )
        if self.slack_enabled:
            _check_env(
                lambda: NotifierSettings.from_env(
                    self.notifier_environment(
                        "arn:aws:secretsmanager:us-east-1:111111111111:secret:name", "table"
                    )
                )
            )

    def _validate_destinations(self) -> None:
        """Each destination's kinds are monitored, its regions watched, its filter policy within
        SNS's limit, and its environment parses with the notifier's own parser."""
        if self.destinations and self.message_format == "chatbot":
            raise SettingsError(
                "destinations: message_format 'chatbot' cannot be combined with destinations: "
                "their notifiers read only the 'json' message contract"
            )
        watched = self.watch_regions or self.regions
        for index, d in enumerate(self.destinations):
            where = f"destinations: [{index}] ({d.name})"
            outside = [k for k in d.kinds if k not in self.job_kinds]
            if outside:
                raise SettingsError(
                    f"{where}: kinds: {', '.join(outside)} not monitored; allowed (from "
                    f"job_kinds): {', '.join(self.job_kinds)}"
                )
            unwatched = [r for r in d.regions if watched and r not in watched]
            if unwatched:
                raise SettingsError(
                    f"{where}: regions: {', '.join(unwatched)} not watched (watch_regions or "
                    f"regions: {', '.join(watched)}): it would never receive anything from them"
                )
            self._validate_tag_filter(f"{where}: tags", d.tags)
            _check_policy_keys(where, d.filter_policy(self.daily_digest))
            count = routing.combinations(d.filter_policy(self.daily_digest))
            if count > routing.SNS_MAX_COMBINATIONS:
                raise SettingsError(
                    f"{where}: its filter (statuses x kinds x regions x tag values) makes "
                    f"{count} combinations in its SNS filter policy, over SNS's "
                    f"{routing.SNS_MAX_COMBINATIONS}: list fewer statuses, kinds, regions or tag "
                    "values (an empty kinds or regions list means all and costs nothing)"
                )
            try:
                NotifierSettings.from_env(
                    self.destination_environment(
                        d, "arn:aws:secretsmanager:us-east-1:111111111111:secret:name", "table"
                    )
                )
            except ConfigError as exc:
                raise SettingsError(f"{where}: {exc}") from None

    def _validate_tag_filter(self, where: str, tag_filter: TagFilter) -> None:
        """Every key of a tag filter is published (``tag_keys``): another could never match, and
        the subscription would silently receive nothing."""
        try:
            parse_tag_filter(tag_filter, self.tag_keys)
        except ValueError as exc:
            raise SettingsError(f"{where}: {exc}") from None

    def _validate_partitions(self) -> None:
        """The watched regions are in one partition, the stack's own when it is known (one
        ``regions`` entry): the monitor's role is granted ``arn:<its partition>:bedrock:<region>``
        and its credentials are its partition's, so a region of another partition could never be
        read. A region-agnostic stack's partition is known only at deploy (``Aws.PARTITION``)."""
        by_partition: dict[str, list[str]] = {}
        for region in (*self.regions, *self.watch_regions):
            partition = partition_of(region)
            if partition is not None:
                by_partition.setdefault(partition.name, []).append(region)
        if len(by_partition) < 2 or not self.watch_regions:
            return
        described = "; ".join(
            f"{', '.join(dict.fromkeys(regions))} in {name}"
            for name, regions in by_partition.items()
        )
        raise SettingsError(
            f"watch_regions: regions of different partitions ({described}): a stack reads Bedrock "
            "with its own partition's credentials and IAM grants, so it can watch only regions "
            "of its partition (with regions, the partition of the stack's region); deploy one "
            "stack per partition"
        )


def _check_policy_keys(where: str, policy: dict[str, Any]) -> None:
    """SNS's limit on the keys of one filter policy (``routing.SNS_MAX_POLICY_KEYS``): status,
    kind and region leave room for two tag keys in one filter."""
    keys = routing.policy_keys(policy)
    if keys > routing.SNS_MAX_POLICY_KEYS:
        raise SettingsError(
            f"{where}: the filter policy would match on {keys} attributes; SNS allows at most "
            f"{routing.SNS_MAX_POLICY_KEYS} keys per filter policy (status, kind, region and "
            "each tag key count): filter on fewer tag keys, or leave kinds or regions empty"
        )


def _check_env(parse: Callable[[], object]) -> None:
    """Run a function's own settings parser; its ``ConfigError`` (naming the variable) becomes a
    ``SettingsError`` naming the context key the variable is written from."""
    try:
        parse()
    except ConfigError as exc:
        env_name = str(exc).split(":", 1)[0]
        field = _ENV_FIELDS.get(env_name)
        key = field.context_key if field is not None and field.context_key else env_name
        raise SettingsError(f"{key}: {exc}") from None
