"""One typed configuration per process, parsed from the environment once and validated with errors
that name the setting. Nothing else in the package reads ``os.environ``.

Every variable, its default, range and parser is a row of ``job_monitor.setting_fields``, the
table the CDK app (``infra/settings.py``) reads its context with too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from job_monitor import setting_fields as F
from job_monitor.domain.kinds import JobKind, resolve_kinds
from job_monitor.domain.overdue import OverdueRules
from job_monitor.setting_fields import REGION_NAME, ConfigError

__all__ = ["REGION_NAME", "ConfigError", "MonitorSettings", "NotifierSettings"]


@dataclass(frozen=True)
class MonitorSettings:
    """The settings of the functions that run the monitor's code (scheduled run, real-time path,
    daily digest). Read with ``from_env``; field docs are in ``job_monitor.setting_fields``."""

    table_name: str
    topic_arn: str
    kinds: tuple[JobKind, ...]
    lookback_seconds: int = F.LOOKBACK_SECONDS.default
    """How far behind the newest job seen a late-listed job is still reported as new (s)."""
    message_format: str = F.MESSAGE_FORMAT.default
    finished_job_ttl_days: int = F.FINISHED_JOB_TTL_DAYS.default
    sweep_budget: int = F.SWEEP_BUDGET.default
    """List calls a quiet run makes per parent-scoped kind and region (``poll.sweep``)."""
    time_margin_seconds: int = F.TIME_MARGIN_SECONDS.default
    """Stop starting new work when the invocation has less than this left (s)."""
    delivery_batch: int = F.DELIVERY_BATCH.default
    """Transitions of one kind delivered together (``poll.kind.deliver_changes``); 1: one at a
    time."""
    home_region: str = ""
    """The region the monitor runs in (``AWS_REGION``); its state keeps the partition ``state``."""
    watch_regions: tuple[str, ...] = F.WATCH_REGIONS.default
    """Bedrock regions to watch; empty = the home region only."""
    daily_digest: bool = F.DAILY_DIGEST.default
    """Journal each published transition for the daily digest (``journal.py``)."""
    overdue_hours: F.OverdueHours = F.OVERDUE_HOURS.default
    """(kind, status, hours): how long a job may stay in a status before an overdue alert."""
    batch_expiry_warning_hours: int = F.BATCH_EXPIRY_WARNING_HOURS.default
    """Warn this long before a batch job that has not started expires; 0 = never."""
    tag_keys: tuple[str, ...] = F.TAG_KEYS.default
    """Job tag keys published as message attributes ``tag.<key>``; empty = no tag is read."""

    @property
    def overdue_rules(self) -> OverdueRules:
        """The overdue and expiry thresholds as the domain takes them (only for monitored
        kinds)."""
        monitored = {k.name for k in self.kinds}
        warning = self.batch_expiry_warning_hours
        return OverdueRules(
            thresholds={
                (kind, status): timedelta(hours=hours)
                for kind, status, hours in self.overdue_hours
                if kind in monitored
            },
            expiry_warning=timedelta(hours=warning) if warning else None,
        )

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions one run covers, in the order given (each gets an equal share of the
        invocation's time; a region that does not answer is skipped after its first call)."""
        return self.watch_regions or (self.home_region,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MonitorSettings:
        """Read ``F.MONITOR_FIELDS`` from ``env`` (default ``os.environ``).

        Raises ``ConfigError`` ("<VARIABLE>: <what is wrong and what is allowed>") for a missing
        required variable or a bad value.
        """
        env = os.environ if env is None else env
        return cls(
            table_name=F.STATE_TABLE_NAME.from_env(env),
            topic_arn=F.TOPIC_ARN.from_env(env),
            kinds=resolve_kinds(F.JOB_KINDS.from_env(env)),
            lookback_seconds=F.LOOKBACK_SECONDS.from_env(env),
            message_format=F.MESSAGE_FORMAT.from_env(env),
            finished_job_ttl_days=F.FINISHED_JOB_TTL_DAYS.from_env(env),
            sweep_budget=F.SWEEP_BUDGET.from_env(env),
            time_margin_seconds=F.TIME_MARGIN_SECONDS.from_env(env),
            delivery_batch=F.DELIVERY_BATCH.from_env(env),
            home_region=F.HOME_REGION.from_env(env),
            watch_regions=F.WATCH_REGIONS.from_env(env),
            daily_digest=F.DAILY_DIGEST.from_env(env),
            overdue_hours=F.OVERDUE_HOURS.from_env(env),
            batch_expiry_warning_hours=F.BATCH_EXPIRY_WARNING_HOURS.from_env(env),
            tag_keys=F.TAG_KEYS.from_env(env),
        )


@dataclass(frozen=True)
class NotifierSettings:
    """The settings of a notifier (the Slack notifier today: its variables keep the ``SLACK_``
    prefix, the fields name what they are for any destination). Read with ``from_env``."""

    secret_arn: str
    """The Secrets Manager secret holding the destination's address (Slack: the webhook URL)."""
    idempotency_table_name: str
    mention: str | None = None
    """Prepended to Failed messages only, e.g. ``<!here>`` or ``<!subteam^S123>``."""
    job_name_pattern: re.Pattern[str] | None = None
    """Deliver only jobs whose name matches (``re.search``); None = all."""
    idempotency_window_seconds: int = F.IDEMPOTENCY_WINDOW_SECONDS.default
    secret_max_age_seconds: int = F.SECRET_MAX_AGE_SECONDS.default
    destination_name: str = F.DESTINATION_NAME.default
    """The ``destinations`` entry delivered to (a structured ``destination`` field in every log
    line); empty for the notifier of ``slack_secret_name``."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        """Read ``F.NOTIFIER_FIELDS`` from ``env`` (default ``os.environ``).

        Raises ``ConfigError`` ("<VARIABLE>: <what is wrong and what is allowed>") for a missing
        required variable or a bad value.
        """
        env = os.environ if env is None else env
        pattern = F.JOB_NAME_PATTERN.from_env(env)
        return cls(
            secret_arn=F.SECRET_ARN.from_env(env),
            idempotency_table_name=F.IDEMPOTENCY_TABLE_NAME.from_env(env),
            mention=F.NOTIFY_MENTION.from_env(env) or None,
            job_name_pattern=re.compile(pattern) if pattern else None,
            idempotency_window_seconds=F.IDEMPOTENCY_WINDOW_SECONDS.from_env(env),
            secret_max_age_seconds=F.SECRET_MAX_AGE_SECONDS.from_env(env),
            destination_name=F.DESTINATION_NAME.from_env(env),
        )
