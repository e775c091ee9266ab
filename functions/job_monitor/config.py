"""One typed configuration per process, parsed from the environment once and validated with errors
that name the setting. Nothing else in the package reads ``os.environ``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from job_monitor.contracts.transition import MESSAGE_FORMATS
from job_monitor.domain.kinds import REGISTRY, JobKind, resolve_kinds

REGION_NAME = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
"""An AWS region name (us-east-1, us-gov-west-1, ...): checked here and in the CDK context."""


class ConfigError(ValueError):
    """A setting is missing or has a bad value; the message names it and what is allowed."""


@dataclass(frozen=True)
class MonitorSettings:
    table_name: str
    topic_arn: str
    kinds: tuple[JobKind, ...]
    lookback_seconds: int = 900
    """How far behind the newest job seen a late-listed job is still reported as new."""
    message_format: str = "json"
    finished_job_ttl_days: int = 30
    time_margin_seconds: int = 20
    """Stop starting new work when the invocation has less than this left."""
    home_region: str = ""
    """The region the monitor runs in (``AWS_REGION``); its state keeps the partition ``state``."""
    watch_regions: tuple[str, ...] = ()
    """Bedrock regions to watch; empty = the home region only."""
    daily_digest: bool = False
    """Journal each published transition for the daily digest (``journal.py``)."""

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions one run covers, in the order given (each gets an equal share of the
        invocation's time; a region that does not answer is skipped after its first call)."""
        return self.watch_regions or (self.home_region,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MonitorSettings:
        env = os.environ if env is None else env
        kind_names = _csv(env.get("JOB_KINDS", ",".join(REGISTRY)))
        try:
            kinds = resolve_kinds(kind_names)
        except ValueError as exc:
            raise ConfigError(f"JOB_KINDS: {exc}") from None
        if not kinds:
            raise ConfigError(f"JOB_KINDS: empty; allowed: {', '.join(sorted(REGISTRY))}")
        message_format = env.get("MESSAGE_FORMAT", "json")
        if message_format not in MESSAGE_FORMATS:
            raise ConfigError(
                f"MESSAGE_FORMAT: {message_format!r} is not one of {', '.join(MESSAGE_FORMATS)}"
            )
        home_region = _required(env, "AWS_REGION")
        if not REGION_NAME.fullmatch(home_region):
            raise ConfigError(f"AWS_REGION: not an AWS region name: {home_region!r}")
        watch_regions = tuple(dict.fromkeys(_csv(env.get("WATCH_REGIONS", ""))))
        bad = [r for r in watch_regions if not REGION_NAME.fullmatch(r)]
        if bad:
            raise ConfigError(
                f"WATCH_REGIONS: not an AWS region name: {', '.join(bad)} (e.g. eu-west-1)"
            )
        return cls(
            table_name=_required(env, "STATE_TABLE_NAME"),
            topic_arn=_arn(env, "TOPIC_ARN", "sns"),
            kinds=kinds,
            lookback_seconds=_int(env, "LOOKBACK_SECONDS", 900, 60, 86_400),
            message_format=message_format,
            finished_job_ttl_days=_int(env, "FINISHED_JOB_TTL_DAYS", 30, 1, 3650),
            time_margin_seconds=_int(env, "TIME_MARGIN_SECONDS", 20, 1, 600),
            home_region=home_region,
            watch_regions=watch_regions,
            daily_digest=_bool(env, "DAILY_DIGEST", False),
        )


@dataclass(frozen=True)
class NotifierSettings:
    secret_arn: str
    idempotency_table_name: str
    mention: str | None = None
    """Prepended to Failed messages only, e.g. ``<!here>`` or ``<!subteam^S123>``."""
    job_name_pattern: re.Pattern[str] | None = None
    idempotency_window_seconds: int = 3600
    secret_max_age_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if env is None else env
        pattern_text = env.get("SLACK_JOB_NAME_PATTERN", "")
        pattern = None
        if pattern_text:
            try:
                pattern = re.compile(pattern_text)
            except re.error as exc:
                raise ConfigError(f"SLACK_JOB_NAME_PATTERN: not a valid regex: {exc}") from None
        mention = env.get("SLACK_MENTION", "").strip() or None
        if mention and not re.fullmatch(
            r"<!(here|channel)>|<!subteam\^[A-Z0-9]+>|<@[A-Z0-9]+>", mention
        ):
            raise ConfigError(
                "SLACK_MENTION: use <!here>, <!channel>, <!subteam^ID> or <@USERID>, "
                f"got {mention!r}"
            )
        return cls(
            secret_arn=_arn(env, "SLACK_SECRET_ARN", "secretsmanager"),
            idempotency_table_name=_required(env, "IDEMPOTENCY_TABLE_NAME"),
            mention=mention,
            job_name_pattern=pattern,
            idempotency_window_seconds=_int(env, "IDEMPOTENCY_WINDOW_SECONDS", 3600, 60, 604_800),
            secret_max_age_seconds=_int(env, "SLACK_SECRET_MAX_AGE_SECONDS", 300, 0, 86_400),
        )


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"{key}: required setting is missing or empty")
    return value


def _arn(env: Mapping[str, str], key: str, service: str) -> str:
    value = _required(env, key)
    if not value.startswith("arn:") or value.split(":")[2:3] != [service]:
        raise ConfigError(f"{key}: expected an {service} ARN, got {value!r}")
    return value


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if raw == "":
        return default
    if raw not in {"true", "false"}:
        raise ConfigError(f"{key}: expected true or false, got {env[key]!r}")
    return raw == "true"


def _int(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{key}: expected an integer between {low} and {high}, got {raw!r}"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{key}: {value} is outside {low}..{high}")
    return value
