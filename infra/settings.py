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


def _log_retention(raw: Any) -> int:
    value = F.integer(1, 3653)(raw)
    if value not in LOG_RETENTION_DAYS:
        raise F.SettingValueError(
            f"{value} is not a CloudWatch Logs retention; allowed: "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    return value


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
SCHEDULE_MINUTES = _context_integer("schedule_minutes", 5, 1, _MAX_SCHEDULE_MINUTES)
MONITOR_TIMEOUT_SECONDS = _context_integer("monitor_timeout_seconds", 300, 60, 900)
MONITOR_RESERVED_CONCURRENCY = _context_boolean("monitor_reserved_concurrency", True)
LOG_LEVEL = _context("log_level", "INFO", F.one_of(LOG_LEVELS))
LOG_RETENTION = _context("log_retention_days", 90, _log_retention)
RETAIN_ON_DELETE = _context_boolean("retain_on_delete", True)
SLACK_SECRET_NAME = _context("slack_secret_name", "", _secret_name)
SLACK_STATUSES = _context("slack_statuses", routing.DEFAULT_SLACK_STATUSES, _statuses)
SLACK_KINDS = _context("slack_kinds", (), F.kind_names(required=False))
EMAIL_ADDRESSES = _context("email_addresses", (), _emails)
EMAIL_STATUSES = _context("email_statuses", routing.DEFAULT_EMAIL_STATUSES, _statuses)
EMAIL_KINDS = _context("email_kinds", (), F.kind_names(required=False))
ALARM_EMAIL = _context("alarm_email", "", _optional_email)
DIGEST_HOUR_UTC = _context_integer("digest_hour_utc", 8, 0, 23)
SLACK_DIGEST = _context_boolean("slack_digest", True)
EMAIL_DIGEST = _context_boolean("email_digest", True)

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
        ALARM_EMAIL,
        F.DAILY_DIGEST,
        DIGEST_HOUR_UTC,
        SLACK_DIGEST,
        EMAIL_DIGEST,
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
    alarm_email: str = ALARM_EMAIL.default
    daily_digest: bool = F.DAILY_DIGEST.default
    """Once a day, one message summarising the last 24 hours (see the README's Daily digest)."""
    digest_hour_utc: int = DIGEST_HOUR_UTC.default
    slack_digest: bool = SLACK_DIGEST.default
    """With daily_digest: the Slack subscription also receives the digest."""
    email_digest: bool = EMAIL_DIGEST.default
    """With daily_digest: the email subscriptions also receive the digest."""

    # -- derived values -------------------------------------------------------------------

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_secret_name)

    def slack_filter_policy(self) -> dict[str, Any]:
        """The Slack subscription's SNS filter policy (routing.filter_policy, plus the digest)."""
        policy = routing.filter_policy(self.slack_statuses, self.slack_kinds or None)
        return routing.with_digest(policy) if self.daily_digest and self.slack_digest else policy

    def email_filter_policy(self) -> dict[str, Any]:
        """Every email subscription's SNS filter policy (plus the digest)."""
        policy = routing.filter_policy(self.email_statuses, self.email_kinds or None)
        return routing.with_digest(policy) if self.daily_digest and self.email_digest else policy

    def monitor_environment(self, table_name: str, topic_arn: str) -> dict[str, str]:
        """The environment of the functions running the monitor's code (read by
        ``MonitorSettings.from_env``): variable -> text. ``AWS_REGION`` is Lambda's."""
        return self._environment(
            F.MONITOR_FIELDS,
            {F.STATE_TABLE_NAME.name: table_name, F.TOPIC_ARN.name: topic_arn},
            skip=(F.HOME_REGION,),
        )

    def notifier_environment(self, secret_arn: str, idempotency_table_name: str) -> dict[str, str]:
        """The Slack notifier's environment (read by ``NotifierSettings.from_env``)."""
        return self._environment(
            F.NOTIFIER_FIELDS,
            {
                F.SECRET_ARN.name: secret_arn,
                F.IDEMPOTENCY_TABLE_NAME.name: idempotency_table_name,
            },
        )

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
        if self.watch_regions and len(self.regions) > 1:
            raise SettingsError(
                "watch_regions: with several regions (one stack per region) every stack would "
                "watch the same regions and report each transition once per stack; use regions "
                "(each stack watches its own) or one stack with watch_regions, not both"
            )
        self._validate_partitions()
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
