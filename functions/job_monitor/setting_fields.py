"""The table of setting fields: for each setting the Lambda functions read, its attribute name,
environment variable, CDK context key, default, allowed range and parser, defined once.

Two readers use this table:

- ``job_monitor.config`` (the Lambda): ``SettingField.from_env`` reads the environment variable and
  raises ``ConfigError`` naming the variable (``LOOKBACK_SECONDS: 30 is outside ...``);
- ``infra.settings`` (the CDK app): ``SettingField.read`` parses the context value and raises the
  app's error naming the context key (``lookback_seconds: 30 is outside ...``), and
  ``SettingField.to_env`` writes the value into the function's environment.

So a default, a range and an error message exist once. The CDK app defines its own context-only
fields (schedule, log retention, email routing, ...) with the same ``SettingField`` type and the
parsers below.

Standard library and this package only: the Lambda imports it without the CDK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from job_monitor.contracts.envelope import MESSAGE_FORMATS
from job_monitor.contracts.routing import DESTINATION_NAME as DESTINATION_NAME_PATTERN
from job_monitor.contracts.tags import MAX_TAG_KEYS, parse_tag_keys
from job_monitor.domain.kinds import DEFAULT_KINDS, REGISTRY

T = TypeVar("T")

REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z]+){1,2}-\d{1,2}")
"""The form of an AWS region name, in every partition (us-east-1, us-gov-west-1, us-isob-east-1,
eusc-de-east-1, ...): checked in the Lambda (``AWS_REGION``, ``WATCH_REGIONS``) and in the CDK
context. A form only: whether the region exists is checked at synth by ``infra.settings`` against
botocore's partition data (the Lambda does not import botocore for its settings, and the stack
writes only names that passed that check)."""
MENTION = re.compile(r"<!(here|channel)>|<!subteam\^[A-Z0-9]+>|<@[A-Z0-9]+>")
"""What a notifier may prepend to Failed messages: ``<!here>``, ``<!channel>``, a user group or a
user (Slack's mention syntax)."""


class SettingError(ValueError):
    """A setting is missing or has a bad value; the message starts with the setting's name (its
    environment variable or its context key) and says what is allowed."""


class ConfigError(SettingError):
    """A Lambda setting (environment variable) is missing or bad."""


class SettingValueError(ValueError):
    """Raised by a parser: the value is bad. The message says why, without the setting's name
    (the reader adds the name it was read under)."""


Parser = Callable[[Any], T]
"""Raw value (an environment string, or a JSON value / string from CDK context) -> typed value;
raises ``SettingValueError``."""


# -- parsers --------------------------------------------------------------------------------------


def text(raw: Any) -> str:
    """A string (numbers are taken as their text), stripped. Raises for anything else."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise SettingValueError(f"expected a string, got {raw!r}")
    return str(raw).strip()


def required_text(raw: Any) -> str:
    """A non-empty string, stripped."""
    value = text(raw)
    if not value:
        raise SettingValueError("required setting is missing or empty")
    return value


def arn(service: str) -> Parser[str]:
    """An ARN of ``service`` (e.g. ``sns``), required."""

    def parse(raw: Any) -> str:
        value = required_text(raw)
        if not value.startswith("arn:") or value.split(":")[2:3] != [service]:
            raise SettingValueError(f"expected an {service} ARN, got {value!r}")
        return value

    return parse


def integer(low: int, high: int) -> Parser[int]:
    """An integer in ``low..high`` (inclusive): an int, an integral float or its string form."""

    def parse(raw: Any) -> int:
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise SettingValueError(
                f"expected an integer between {low} and {high}, got {raw!r}"
            ) from None
        if not low <= value <= high:
            raise SettingValueError(f"{value} is outside the allowed range {low}..{high}")
        return value

    return parse


_TRUE_FALSE = {"true": True, "false": False}
_CONTEXT_ALIASES = {"yes": True, "1": True, "no": False, "0": False}
"""``-c key=yes`` and friends: spellings the CDK context also accepts (a person types them); the
Lambda's environment is written by the stack and holds only ``true`` or ``false``."""


def _truth(raw: Any, words: Mapping[str, bool]) -> bool:
    if isinstance(raw, bool):
        return raw
    value = words.get(str(raw).strip().lower())
    if value is None:
        raise SettingValueError(f"expected true or false, got {raw!r}")
    return value


def boolean(raw: Any) -> bool:
    """``true`` or ``false`` (any case), or a JSON boolean."""
    return _truth(raw, _TRUE_FALSE)


def context_boolean(raw: Any) -> bool:
    """``boolean``, plus ``yes``/``no``/``1``/``0``."""
    return _truth(raw, {**_TRUE_FALSE, **_CONTEXT_ALIASES})


def one_of(allowed: tuple[str, ...]) -> Parser[str]:
    """One of ``allowed``, exactly (case matters)."""

    def parse(raw: Any) -> str:
        value = text(raw)
        if value not in allowed:
            raise SettingValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return parse


def string_list(raw: Any, *, drop_duplicates: bool = False) -> tuple[str, ...]:
    """A list of strings: a JSON list (cdk.json), or a string holding a JSON list or
    comma-separated values (``-c``, an environment variable). Blank items are dropped; a
    duplicate is an error, or dropped (the first kept) with ``drop_duplicates``."""
    items = raw
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                items = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise SettingValueError(f"not a valid JSON list: {exc}") from None
        else:
            items = stripped.split(",")
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise SettingValueError(f"expected a list of strings, got {raw!r}")
    cleaned = tuple(i.strip() for i in items if i.strip())
    if drop_duplicates:
        return tuple(dict.fromkeys(cleaned))
    duplicates = sorted({i for i in cleaned if cleaned.count(i) > 1})
    if duplicates:
        raise SettingValueError(f"duplicate value(s) {', '.join(duplicates)}")
    return cleaned


def region(raw: Any) -> str:
    """One AWS region name (its form, ``REGION_NAME``), required."""
    value = required_text(raw)
    if not REGION_NAME.fullmatch(value):
        raise SettingValueError(f"not an AWS region name: {value!r}")
    return value


def regions(raw: Any, *, drop_duplicates: bool = False) -> tuple[str, ...]:
    """A list of AWS region names (``string_list``; each of the form ``REGION_NAME``), possibly
    empty."""
    values = string_list(raw, drop_duplicates=drop_duplicates)
    bad = [r for r in values if not REGION_NAME.fullmatch(r)]
    if bad:
        raise SettingValueError(f"not an AWS region name: {', '.join(bad)} (e.g. us-east-1)")
    return values


def kind_names(*, required: bool, drop_duplicates: bool = False) -> Parser[tuple[str, ...]]:
    """Job kind names (``string_list``) from ``job_monitor.domain.kinds.REGISTRY``; with
    ``required``, at least one."""

    def parse(raw: Any) -> tuple[str, ...]:
        names = string_list(raw, drop_duplicates=drop_duplicates)
        unknown = [n for n in names if n not in REGISTRY]
        allowed = ", ".join(sorted(REGISTRY))
        if unknown:
            raise SettingValueError(f"unknown job kind(s) {', '.join(unknown)}; allowed: {allowed}")
        if required and not names:
            raise SettingValueError(f"at least one is required; allowed: {allowed}")
        return names

    return parse


def regex(raw: Any) -> str:
    """A Python regular expression (its text, not stripped: spaces are part of a pattern), or
    empty for none."""
    if isinstance(raw, bool) or not isinstance(raw, str):
        raise SettingValueError(f"expected a string, got {raw!r}")
    value = raw
    try:
        re.compile(value)
    except re.error as exc:
        raise SettingValueError(f"not a valid regex: {exc}") from None
    return value


OverdueHours = tuple[tuple[str, str, int], ...]
"""Overdue thresholds as (kind name, status, hours) rows, in the order given."""

OVERDUE_HOURS_LIMIT = 8760
"""The longest threshold accepted: a year, in hours."""


def overdue_hours(raw: Any) -> OverdueHours:
    """Overdue thresholds: a JSON object (or its text) ``{"<kind>": {"<status>": <hours>}}``.
    Each kind is a name of ``REGISTRY``, each status one of that kind's non-terminal statuses (a
    finished job is never overdue), each value a whole number of hours in 1..8760. ``{}`` = none."""
    data = _overdue_object(raw)
    if not isinstance(data, dict):
        raise SettingValueError(
            f'expected an object {{"<kind>": {{"<status>": <hours>}}}}, got {raw!r}'
        )
    rows: list[tuple[str, str, int]] = []
    hours = integer(1, OVERDUE_HOURS_LIMIT)
    for kind_name, statuses in data.items():
        kind = REGISTRY.get(kind_name)
        if kind is None:
            raise SettingValueError(
                f"unknown job kind {kind_name!r}; allowed: {', '.join(sorted(REGISTRY))}"
            )
        if not isinstance(statuses, dict):
            raise SettingValueError(
                f'{kind_name}: expected an object {{"<status>": <hours>}}, got {statuses!r}'
            )
        allowed = ", ".join(s for s in kind.running_order if s in kind.non_terminal_statuses)
        for status, value in statuses.items():
            if status not in kind.non_terminal_statuses:
                what = "a final status (a finished job is never overdue)"
                if status not in kind.statuses:
                    what = "not a status of this kind"
                raise SettingValueError(f"{kind_name}.{status}: {what}; allowed: {allowed}")
            try:
                rows.append((kind_name, status, hours(value)))
            except SettingValueError as exc:
                raise SettingValueError(f"{kind_name}.{status}: {exc} (hours)") from None
    return tuple(rows)


def _overdue_object(raw: Any) -> Any:
    """The JSON value of ``overdue_hours``' raw input: its text parsed, its typed rows (a default
    passed back in) as the object they stand for, anything else as it is."""
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise SettingValueError(f"not a valid JSON object: {exc}") from None
    if isinstance(raw, tuple):
        data: dict[str, dict[str, Any]] = {}
        for row in raw:
            if not (isinstance(row, tuple) and len(row) == 3):
                raise SettingValueError(f"expected (kind, status, hours) rows, got {row!r}")
            data.setdefault(row[0], {})[row[1]] = row[2]
        return data
    return raw


def overdue_hours_text(rows: OverdueHours) -> str:
    """The rows as the compact JSON object ``overdue_hours`` reads back."""
    data: dict[str, dict[str, int]] = {}
    for kind_name, status, hours in rows:
        data.setdefault(kind_name, {})[status] = hours
    return json.dumps(data, separators=(",", ":"))


def mention(raw: Any) -> str:
    """A mention (``MENTION``), or empty for none."""
    value = text(raw)
    if value and not MENTION.fullmatch(value):
        raise SettingValueError(
            f"use <!here>, <!channel>, <!subteam^ID> or <@USERID>, got {value!r}"
        )
    return value


def matching(pattern: re.Pattern[str], what: str, *, empty_ok: bool) -> Parser[str]:
    """A string that fully matches ``pattern`` (``what`` describes it in the error); with
    ``empty_ok``, also the empty string."""

    def parse(raw: Any) -> str:
        value = text(raw)
        if (value or not empty_ok) and not pattern.fullmatch(value):
            raise SettingValueError(f"{value!r} is not {what}")
        return value

    return parse


# -- the field type ------------------------------------------------------------------------------


def _env_text(value: Any) -> str:
    """A typed value as an environment variable's text (what the parsers read back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(value)
    return str(value)


@dataclass(frozen=True)
class SettingField(Generic[T]):
    """One setting: where it is read from, its default and how its value is parsed.

    ``name``: the attribute of the Lambda settings (``MonitorSettings.lookback_seconds``).
    ``env``: the environment variable the Lambda reads, or None (CDK-only setting).
    ``context_key``: the CDK context key (also the ``infra.settings.Settings`` attribute), or None
    (a Lambda setting the stack sets from a resource or from ``default``).
    ``default``: used when the setting is absent; ``required`` settings have none.
    ``parse``: raw value -> typed value, raising ``SettingValueError``.
    ``allowed``: the allowed range as ``(low, high)`` for integers (documentation and tests).
    ``blank_is_default``: an empty environment variable means "absent" (numbers, booleans).
    ``context_parse``: the parser of the context value, when it accepts more (or checks less)
    than the Lambda's; None = ``parse``.
    """

    name: str
    env: str | None
    context_key: str | None
    default: T
    parse: Parser[T]
    doc: str = ""
    allowed: tuple[int, int] | None = None
    required: bool = False
    blank_is_default: bool = False
    context_parse: Parser[T] | None = None
    env_text: Callable[[T], str] | None = None
    """The value as the environment variable's text, when ``_env_text`` does not fit."""

    def read(self, raw: Any, *, label: str, error: type[SettingError]) -> T:
        """Parse ``raw`` with ``parse``; a bad value raises ``error("<label>: <why>")``."""
        return self._apply(self.parse, raw, label, error)

    def read_context(self, raw: Any, *, error: type[SettingError]) -> T:
        """Parse a CDK context value; a bad value raises ``error("<context_key>: <why>")``."""
        return self._apply(
            self.context_parse or self.parse, raw, self.context_key or self.name, error
        )

    def from_env(self, env: Mapping[str, str]) -> T:
        """Read ``env[self.env]``: absent (or blank, with ``blank_is_default``) gives ``default``,
        or ``ConfigError`` for a required setting; a bad value raises ``ConfigError`` naming the
        variable."""
        assert self.env is not None, f"{self.name} is not read from the environment"
        raw = env.get(self.env)
        if raw is None or (self.blank_is_default and raw.strip() == ""):
            if self.required:
                raise ConfigError(f"{self.env}: required setting is missing or empty")
            return self.default
        return self.read(raw, label=self.env, error=ConfigError)

    def to_env(self, value: T) -> str:
        """``value`` as the text of the environment variable (``from_env`` reads it back)."""
        return self.env_text(value) if self.env_text is not None else _env_text(value)

    def _apply(self, parse: Parser[T], raw: Any, label: str, error: type[SettingError]) -> T:
        try:
            return parse(raw)
        except SettingValueError as exc:
            raise error(f"{label}: {exc}") from None


def integer_field(
    name: str,
    *,
    env: str | None,
    context_key: str | None,
    default: int,
    low: int,
    high: int,
    doc: str = "",
) -> SettingField[int]:
    """An integer setting in ``low..high``; an empty environment variable means the default."""
    return SettingField(
        name,
        env,
        context_key,
        default,
        integer(low, high),
        doc=doc,
        allowed=(low, high),
        blank_is_default=True,
    )


def boolean_field(
    name: str, *, env: str | None, context_key: str | None, default: bool, doc: str = ""
) -> SettingField[bool]:
    """A boolean setting (``true``/``false``; the context also takes ``yes``/``no``/``1``/``0``)."""
    return SettingField(
        name,
        env,
        context_key,
        default,
        boolean,
        doc=doc,
        blank_is_default=True,
        context_parse=context_boolean,
    )


def required_field(name: str, *, env: str, parse: Parser[str], doc: str = "") -> SettingField[str]:
    """A Lambda setting the stack fills in from a resource (table name, ARN): no default."""
    return SettingField(name, env, None, "", parse, doc=doc, required=True)


# -- the monitor's settings (scheduled run, real-time path, daily digest) -----------------------

STATE_TABLE_NAME = required_field("table_name", env="STATE_TABLE_NAME", parse=required_text)
TOPIC_ARN = required_field("topic_arn", env="TOPIC_ARN", parse=arn("sns"))
HOME_REGION = required_field(
    "home_region",
    env="AWS_REGION",
    parse=region,
    doc="The region the function runs in (set by Lambda); its state keeps the partition `state`.",
)
JOB_KINDS: SettingField[tuple[str, ...]] = SettingField(
    "kinds",
    "JOB_KINDS",
    "job_kinds",
    DEFAULT_KINDS,
    # The Lambda keeps the first of a repeated kind, as it always did; synth refuses repeats.
    kind_names(required=True, drop_duplicates=True),
    doc=(
        "Job kinds the monitor lists; absent = the registry's default kinds (``DEFAULT_KINDS``: "
        "the opt-in ones, parent-scoped knowledge-base-ingestion and automated-reasoning-build "
        "among them, are left out)."
    ),
    context_parse=kind_names(required=True),
)
LOOKBACK_SECONDS = integer_field(
    "lookback_seconds",
    env="LOOKBACK_SECONDS",
    context_key="lookback_seconds",
    default=900,
    low=60,
    high=86_400,
    doc="How far behind the newest job seen a late-listed job is still reported as new.",
)
MESSAGE_FORMAT: SettingField[str] = SettingField(
    "message_format", "MESSAGE_FORMAT", "message_format", "json", one_of(MESSAGE_FORMATS)
)
FINISHED_JOB_TTL_DAYS = integer_field(
    "finished_job_ttl_days",
    env="FINISHED_JOB_TTL_DAYS",
    context_key="finished_job_ttl_days",
    default=30,
    low=1,
    high=3650,
    doc="How long a finished job's record stays in the state table (DynamoDB TTL).",
)
SWEEP_BUDGET = integer_field(
    "sweep_budget",
    env="SWEEP_BUDGET",
    context_key="sweep_budget",
    default=50,
    low=1,
    high=1000,
    doc=(
        "List calls a quiet run makes per parent-scoped kind and region (knowledge bases, data "
        "sources, policies visited in rotation): every one is visited at least once every "
        "ceil(N / sweep_budget) runs, N = 1 + parents + leaves."
    ),
)
TIME_MARGIN_SECONDS = integer_field(
    "time_margin_seconds",
    env="TIME_MARGIN_SECONDS",
    context_key=None,
    default=20,
    low=1,
    high=600,
    doc="Stop starting new work when the invocation has less than this left.",
)
DELIVERY_BATCH = integer_field(
    "delivery_batch",
    env="DELIVERY_BATCH",
    context_key=None,
    default=50,
    low=1,
    high=50,
    doc=(
        "Transitions of one kind delivered together by a scheduled run: their claims and commits "
        "in DynamoDB transactions, their messages in SNS PublishBatch requests (1: one at a "
        "time, each with its own requests)."
    ),
)
WATCH_REGIONS: SettingField[tuple[str, ...]] = SettingField(
    "watch_regions",
    "WATCH_REGIONS",
    "watch_regions",
    (),
    # The Lambda keeps the first of a repeated region, as it always did; synth refuses repeats.
    lambda raw: regions(raw, drop_duplicates=True),
    doc="Bedrock regions one run watches; empty = the function's own region.",
    context_parse=regions,
)
DAILY_DIGEST = boolean_field(
    "daily_digest",
    env="DAILY_DIGEST",
    context_key="daily_digest",
    default=False,
    doc="Journal each published transition for the daily digest.",
)
DEFAULT_OVERDUE_HOURS: OverdueHours = (
    # A fine-tune usually takes hours; continued pre-training on large data can take days.
    ("model-customization", "InProgress", 48),
    ("model-customization", "Stopping", 2),
    ("evaluation", "InProgress", 24),
    ("evaluation", "Stopping", 2),
    ("evaluation", "Deleting", 2),
    # Counted from submission: a batch job waits for capacity before it runs, and expires unless
    # it has run within its timeoutDurationInHours (24 to 168 h; see batch_expiry_warning_hours).
    ("batch-inference", "Submitted", 2),
    ("batch-inference", "Validating", 6),
    ("batch-inference", "Scheduled", 24),
    ("batch-inference", "InProgress", 72),
    ("batch-inference", "Stopping", 2),
    ("model-import", "InProgress", 6),
    ("model-copy", "InProgress", 6),
    # Counted from the last modification: creating or updating takes minutes to about an hour.
    ("provisioned-throughput", "Creating", 2),
    ("provisioned-throughput", "Updating", 2),
    ("custom-model-deployment", "Creating", 2),
)
"""The overdue thresholds when ``overdue_hours`` is not set (kinds added to the registry later
have none until configured)."""

OVERDUE_HOURS: SettingField[OverdueHours] = SettingField(
    "overdue_hours",
    "OVERDUE_HOURS",
    "overdue_hours",
    DEFAULT_OVERDUE_HOURS,
    overdue_hours,
    doc="Hours a job may stay in a status before an overdue alert, per kind and status; "
    "a kind or status left out is never overdue; {} turns overdue alerts off.",
    env_text=overdue_hours_text,
)
BATCH_EXPIRY_WARNING_HOURS = integer_field(
    "batch_expiry_warning_hours",
    env="BATCH_EXPIRY_WARNING_HOURS",
    context_key="batch_expiry_warning_hours",
    default=12,
    low=0,
    high=168,
    doc="Alert once when a batch inference job that has not started will expire within this "
    "many hours; 0 = never.",
)


def tag_keys(raw: Any) -> tuple[str, ...]:
    """Tag keys to publish (``string_list``), checked by ``contracts.tags.parse_tag_keys``: at
    most ``MAX_TAG_KEYS``, each a valid SNS attribute name after ``tag.``; empty = none."""
    try:
        return parse_tag_keys(string_list(raw))
    except ValueError as exc:
        raise SettingValueError(str(exc)) from None


TAG_KEYS: SettingField[tuple[str, ...]] = SettingField(
    "tag_keys",
    "TAG_KEYS",
    "tag_keys",
    (),
    tag_keys,
    doc=(
        "Job tag keys published as SNS message attributes tag.<key> (at most "
        f"{MAX_TAG_KEYS}); each job's tags are read once, with one ListTagsForResource. Empty = "
        "no tag is read or published."
    ),
)

MONITOR_FIELDS: tuple[SettingField[Any], ...] = (
    STATE_TABLE_NAME,
    TOPIC_ARN,
    JOB_KINDS,
    LOOKBACK_SECONDS,
    MESSAGE_FORMAT,
    FINISHED_JOB_TTL_DAYS,
    SWEEP_BUDGET,
    TIME_MARGIN_SECONDS,
    DELIVERY_BATCH,
    HOME_REGION,
    WATCH_REGIONS,
    DAILY_DIGEST,
    OVERDUE_HOURS,
    BATCH_EXPIRY_WARNING_HOURS,
    TAG_KEYS,
)
"""What ``MonitorSettings.from_env`` reads (the monitor, the real-time path and the digest)."""

# -- a notifier's settings (the Slack notifier today; the env names keep their SLACK_ prefix) ---

SECRET_ARN = required_field(
    "secret_arn",
    env="SLACK_SECRET_ARN",
    parse=arn("secretsmanager"),
    doc="The secret holding the destination's address (Slack: the webhook URL).",
)
IDEMPOTENCY_TABLE_NAME = required_field(
    "idempotency_table_name", env="IDEMPOTENCY_TABLE_NAME", parse=required_text
)
NOTIFY_MENTION: SettingField[str] = SettingField(
    "mention",
    "SLACK_MENTION",
    "slack_mention",
    "",
    mention,
    doc="Prepended to Failed messages; empty = none.",
    # The context keeps the text; the stack checks it with the notifier's own parser when the
    # notifier is deployed (infra.settings), so an unused value does not stop a synth.
    context_parse=text,
)
JOB_NAME_PATTERN: SettingField[str] = SettingField(
    "job_name_pattern",
    "SLACK_JOB_NAME_PATTERN",
    "slack_job_name_pattern",
    "",
    regex,
    doc="Deliver only jobs whose name matches (re.search); empty = all.",
    context_parse=text,
)
IDEMPOTENCY_WINDOW_SECONDS = integer_field(
    "idempotency_window_seconds",
    env="IDEMPOTENCY_WINDOW_SECONDS",
    context_key="slack_idempotency_window_seconds",
    default=3600,
    low=60,
    high=604_800,
    doc="A transition is delivered at most once within this window.",
)
SECRET_MAX_AGE_SECONDS = integer_field(
    "secret_max_age_seconds",
    env="SLACK_SECRET_MAX_AGE_SECONDS",
    context_key=None,
    default=300,
    low=0,
    high=86_400,
    doc="How long the notifier caches the secret: a rotated secret is used within this time.",
)

DESTINATION_NAME: SettingField[str] = SettingField(
    "destination_name",
    "NOTIFIER_DESTINATION",
    None,
    "",
    matching(
        DESTINATION_NAME_PATTERN,
        "a destination name (lower case letters, digits and single hyphens)",
        empty_ok=True,
    ),
    doc=(
        "The name of the ``destinations`` entry this notifier delivers to (its log lines carry it "
        "as ``destination``); empty for the notifier of ``slack_secret_name``."
    ),
)

NOTIFIER_FIELDS: tuple[SettingField[Any], ...] = (
    SECRET_ARN,
    IDEMPOTENCY_TABLE_NAME,
    NOTIFY_MENTION,
    JOB_NAME_PATTERN,
    IDEMPOTENCY_WINDOW_SECONDS,
    SECRET_MAX_AGE_SECONDS,
    DESTINATION_NAME,
)
"""What ``NotifierSettings.from_env`` reads."""
