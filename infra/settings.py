"""The CDK app's configuration: read from CDK context once, validated once, typed.

Defaults live in ``cdk.json``; any key can be overridden with ``cdk synth -c key=value``. Values
given with ``-c`` arrive as strings, so every parser accepts both the JSON type (from cdk.json) and
its string form (lists as JSON or comma-separated). A bad value raises ``SettingsError`` naming the
key and what is allowed, which stops the synth before anything is built.

Routing values (statuses, kinds) are checked with ``job_monitor.contracts.routing``, and the
environment each function will receive is parsed with the functions' own ``job_monitor.config``
parsers, so the stack cannot deploy a setting that the Lambda code would reject at start.

Pure Python: no aws_cdk import, so the unit tests of this module need no synth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from infra import names
from job_monitor.config import (
    MESSAGE_FORMATS,
    REGION_NAME,
    ConfigError,
    MonitorSettings,
    NotifierSettings,
)

# The functions' own modules (infra/__init__.py puts functions/ on sys.path).
from job_monitor.contracts import routing
from job_monitor.domain.kinds import REGISTRY

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
"""Retention periods CloudWatch Logs accepts (days)."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TIME_MARGIN_SECONDS = 20
"""The monitor stops starting new work when less than this is left of its timeout."""
SLACK_SECRET_MAX_AGE_SECONDS = 300
"""How long the notifier caches the webhook URL: a rotated secret is used within this time."""

_MAX_SCHEDULE_MINUTES = 480
"""The dead-man's switch looks at 3 schedule periods; CloudWatch evaluates at most 24 hours."""
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,99}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_CONTEXT_KEY = re.compile(r"[a-z][a-z0-9_]*")
"""Keys of this app are snake_case; CDK's own context keys contain ':', '@' or '-'."""


class SettingsError(ValueError):
    """A context value is bad; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """Everything the stack needs to know, validated. Field names are the context keys."""

    stack_name: str = names.DEFAULT_STACK_NAME
    regions: tuple[str, ...] = ()
    """One stack per region (account: CDK_DEFAULT_ACCOUNT); empty = one region-agnostic stack."""
    watch_regions: tuple[str, ...] = ()
    """Bedrock regions one stack watches (one run covers them all); empty = the stack's region."""
    realtime_events: bool = True
    """Also react within seconds to the EventBridge events of the kinds that emit them."""
    schedule_minutes: int = 5
    job_kinds: tuple[str, ...] = tuple(REGISTRY)
    lookback_seconds: int = 900
    message_format: str = "json"
    finished_job_ttl_days: int = 30
    monitor_timeout_seconds: int = 300
    monitor_reserved_concurrency: bool = True
    """Reserve one concurrent execution for the monitor (one run at a time). Turn off in accounts
    whose unreserved concurrency is already at the minimum Lambda requires (deploy fails there)."""
    log_level: str = "INFO"
    log_retention_days: int = 90
    retain_on_delete: bool = True
    """Keep the tables, the KMS key and the log groups when the stack is deleted."""
    slack_secret_name: str = ""
    """Secrets Manager secret holding the webhook URL; empty = no Slack notifier."""
    slack_statuses: tuple[str, ...] = routing.DEFAULT_SLACK_STATUSES
    slack_kinds: tuple[str, ...] = ()
    """Empty = every monitored kind."""
    slack_job_name_pattern: str = ""
    slack_mention: str = ""
    slack_idempotency_window_seconds: int = 3600
    email_addresses: tuple[str, ...] = ()
    email_statuses: tuple[str, ...] = routing.DEFAULT_EMAIL_STATUSES
    email_kinds: tuple[str, ...] = ()
    alarm_email: str = ""
    daily_digest: bool = False
    """Once a day, one message summarising the last 24 hours (see the README's Daily digest)."""
    digest_hour_utc: int = 8
    slack_digest: bool = True
    """With daily_digest: the Slack subscription also receives the digest."""
    email_digest: bool = True
    """With daily_digest: the email subscriptions also receive the digest."""

    # -- derived values -------------------------------------------------------------------

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_secret_name)

    def slack_filter_policy(self) -> dict[str, Any]:
        policy = routing.filter_policy(self.slack_statuses, self.slack_kinds or None)
        return routing.with_digest(policy) if self.daily_digest and self.slack_digest else policy

    def email_filter_policy(self) -> dict[str, Any]:
        policy = routing.filter_policy(self.email_statuses, self.email_kinds or None)
        return routing.with_digest(policy) if self.daily_digest and self.email_digest else policy

    def monitor_environment(self, table_name: str, topic_arn: str) -> dict[str, str]:
        """The monitor's settings as environment variables (read by job_monitor.config)."""
        return {
            "STATE_TABLE_NAME": table_name,
            "TOPIC_ARN": topic_arn,
            "JOB_KINDS": ",".join(self.job_kinds),
            "LOOKBACK_SECONDS": str(self.lookback_seconds),
            "MESSAGE_FORMAT": self.message_format,
            "FINISHED_JOB_TTL_DAYS": str(self.finished_job_ttl_days),
            "TIME_MARGIN_SECONDS": str(TIME_MARGIN_SECONDS),
            "WATCH_REGIONS": ",".join(self.watch_regions),
            "DAILY_DIGEST": "true" if self.daily_digest else "false",
        }

    def notifier_environment(self, secret_arn: str, idempotency_table_name: str) -> dict[str, str]:
        """The Slack notifier's settings as environment variables (read by job_monitor.config)."""
        return {
            "SLACK_SECRET_ARN": secret_arn,
            "IDEMPOTENCY_TABLE_NAME": idempotency_table_name,
            "SLACK_MENTION": self.slack_mention,
            "SLACK_JOB_NAME_PATTERN": self.slack_job_name_pattern,
            "IDEMPOTENCY_WINDOW_SECONDS": str(self.slack_idempotency_window_seconds),
            "SLACK_SECRET_MAX_AGE_SECONDS": str(SLACK_SECRET_MAX_AGE_SECONDS),
        }

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_context(cls, node: Any) -> Settings:
        """Read this app's keys from a construct node's context (cdk.json and ``-c``)."""
        return cls.from_mapping(node.get_all_context())

    @classmethod
    def from_mapping(cls, context: Mapping[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(k for k in context if _CONTEXT_KEY.fullmatch(k) and k not in known)
        if unknown:
            raise SettingsError(
                f"unknown context key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}"
            )
        values = {
            key: _PARSERS[key](key, context[key])
            for key in _PARSERS
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
        if self.monitor_timeout_seconds <= TIME_MARGIN_SECONDS:
            raise SettingsError(
                f"monitor_timeout_seconds: must exceed the {TIME_MARGIN_SECONDS} s time margin"
            )
        # The environment each function will get must parse with the function's own parser.
        _check_env(
            lambda: MonitorSettings.from_env(
                {
                    **self.monitor_environment("table", "arn:aws:sns:us-east-1:111111111111:topic"),
                    "AWS_REGION": "us-east-1",  # Lambda sets it
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


# -- parsers: (key, raw value) -> typed value, raising SettingsError naming the key ------------


def _text(key: str, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise SettingsError(f"{key}: expected a string, got {raw!r}")
    return str(raw).strip()


def _int(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(key: str, raw: Any) -> int:
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise SettingsError(
                f"{key}: expected an integer between {low} and {high}, got {raw!r}"
            ) from None
        if not low <= value <= high:
            raise SettingsError(f"{key}: {value} is outside the allowed range {low}..{high}")
        return value

    return parse


def _bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    raise SettingsError(f"{key}: expected true or false, got {raw!r}")


def _list(key: str, raw: Any) -> tuple[str, ...]:
    """A JSON list (cdk.json), or a string holding a JSON list or comma-separated values (-c)."""
    items = raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SettingsError(f"{key}: not a valid JSON list: {exc}") from None
        else:
            items = [part for part in text.split(",")]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise SettingsError(f"{key}: expected a list of strings, got {raw!r}")
    cleaned = tuple(i.strip() for i in items if i.strip())
    duplicates = sorted({i for i in cleaned if cleaned.count(i) > 1})
    if duplicates:
        raise SettingsError(f"{key}: duplicate value(s) {', '.join(duplicates)}")
    return cleaned


def _one_of(allowed: tuple[str, ...]) -> Callable[[str, Any], str]:
    def parse(key: str, raw: Any) -> str:
        value = _text(key, raw)
        if value not in allowed:
            raise SettingsError(f"{key}: {value!r} is not one of {', '.join(allowed)}")
        return value

    return parse


def _matching(pattern: re.Pattern[str], what: str, *, empty_ok: bool) -> Callable[[str, Any], str]:
    def parse(key: str, raw: Any) -> str:
        value = _text(key, raw)
        if (value or not empty_ok) and not pattern.fullmatch(value):
            raise SettingsError(f"{key}: {value!r} is not {what}")
        return value

    return parse


def _emails(key: str, raw: Any) -> tuple[str, ...]:
    addresses = _list(key, raw)
    bad = [a for a in addresses if not _EMAIL.fullmatch(a) or len(a) > 254]
    if bad:
        raise SettingsError(f"{key}: not an email address: {', '.join(bad)} (expected name@domain)")
    return addresses


def _optional_email(key: str, raw: Any) -> str:
    value = _text(key, raw)
    if value and (not _EMAIL.fullmatch(value) or len(value) > 254):
        raise SettingsError(
            f"{key}: not an email address: {value} (expected name@domain, or empty)"
        )
    return value


def _statuses(key: str, raw: Any) -> tuple[str, ...]:
    statuses = _list(key, raw)
    try:
        routing.expand_statuses(statuses)
    except ValueError as exc:
        raise SettingsError(f"{key}: {exc}") from None
    return statuses


def _kinds(*, required: bool) -> Callable[[str, Any], tuple[str, ...]]:
    def parse(key: str, raw: Any) -> tuple[str, ...]:
        kinds = _list(key, raw)
        try:
            routing.validate_kinds(kinds)
        except ValueError as exc:
            raise SettingsError(f"{key}: {exc}") from None
        if required and not kinds:
            raise SettingsError(f"{key}: at least one is required; allowed: {', '.join(REGISTRY)}")
        return kinds

    return parse


def _log_retention(key: str, raw: Any) -> int:
    value = _int(1, 3653)(key, raw)
    if value not in LOG_RETENTION_DAYS:
        raise SettingsError(
            f"{key}: {value} is not a CloudWatch Logs retention; allowed: "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    return value


def _regions(key: str, raw: Any) -> tuple[str, ...]:
    regions = _list(key, raw)
    bad = [r for r in regions if not REGION_NAME.fullmatch(r)]
    if bad:
        raise SettingsError(f"{key}: not an AWS region name: {', '.join(bad)} (e.g. us-east-1)")
    return regions


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "stack_name": _matching(
        _STACK_NAME, "a stack name (letters, digits, hyphens; starts with a letter)", empty_ok=False
    ),
    "regions": _regions,
    "watch_regions": _regions,
    "realtime_events": _bool,
    "schedule_minutes": _int(1, _MAX_SCHEDULE_MINUTES),
    "job_kinds": _kinds(required=True),
    "lookback_seconds": _int(60, 86_400),
    "message_format": _one_of(MESSAGE_FORMATS),
    "finished_job_ttl_days": _int(1, 3650),
    "monitor_timeout_seconds": _int(60, 900),
    "monitor_reserved_concurrency": _bool,
    "log_level": _one_of(LOG_LEVELS),
    "log_retention_days": _log_retention,
    "retain_on_delete": _bool,
    "slack_secret_name": _matching(_SECRET_NAME, "a Secrets Manager secret name", empty_ok=True),
    "slack_statuses": _statuses,
    "slack_kinds": _kinds(required=False),
    "slack_job_name_pattern": _text,
    "slack_mention": _text,
    "slack_idempotency_window_seconds": _int(60, 604_800),
    "email_addresses": _emails,
    "email_statuses": _statuses,
    "email_kinds": _kinds(required=False),
    "alarm_email": _optional_email,
    "daily_digest": _bool,
    "digest_hour_utc": _int(0, 23),
    "slack_digest": _bool,
    "email_digest": _bool,
}

_ENV_TO_KEY = {
    "JOB_KINDS": "job_kinds",
    "LOOKBACK_SECONDS": "lookback_seconds",
    "MESSAGE_FORMAT": "message_format",
    "FINISHED_JOB_TTL_DAYS": "finished_job_ttl_days",
    "SLACK_MENTION": "slack_mention",
    "SLACK_JOB_NAME_PATTERN": "slack_job_name_pattern",
    "IDEMPOTENCY_WINDOW_SECONDS": "slack_idempotency_window_seconds",
}


def _check_env(parse: Callable[[], object]) -> None:
    try:
        parse()
    except ConfigError as exc:
        env_name = str(exc).split(":", 1)[0]
        key = _ENV_TO_KEY.get(env_name, env_name)
        raise SettingsError(f"{key}: {exc}") from None
