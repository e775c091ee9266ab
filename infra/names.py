"""Names of the CDK app, shared by the constructs and the infrastructure tests: construct ids and
handler paths. Construct ids decide CloudFormation logical ids, so tests find resources through
these constants instead of repeating strings.

Names the Lambda code must spell alike (metric namespace and names, Powertools service names,
DynamoDB key schemas) are defined once in ``job_monitor.names`` and re-exported here, so an alarm
watches exactly the metric the handler emits.
"""

from __future__ import annotations

from job_monitor.names import (
    DIGEST_SERVICE,
    EVENTS_SERVICE,
    FIGURES_MESSAGE,
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TTL_ATTRIBUTE,
    METRIC_API_CALLS,
    METRIC_KIND_ERRORS,
    METRIC_KINDS_NOT_OFFERED,
    METRIC_NAMESPACE,
    METRIC_RUN_COMPLETED,
    METRIC_RUN_DURATION_MS,
    METRIC_TRANSITIONS_BY_STATUS,
    METRIC_TRANSITIONS_PUBLISHED,
    MONITOR_SERVICE,
    SERVICE_DIMENSION,
    SLACK_NOTIFIER_SERVICE,
    STATE_PARTITION_KEY,
    STATE_SORT_KEY,
    STATE_TTL_ATTRIBUTE,
    notifier_service,
)

__all__ = [
    "DEAD_MANS_SWITCH_PERIODS",
    "DEFAULT_STACK_NAME",
    "DIGEST",
    "DIGEST_HANDLER",
    "DIGEST_SERVICE",
    "ENCRYPTION",
    "EVENTS_HANDLER",
    "EVENTS_SERVICE",
    "FIGURES_MESSAGE",
    "IDEMPOTENCY_PARTITION_KEY",
    "IDEMPOTENCY_TTL_ATTRIBUTE",
    "METRIC_API_CALLS",
    "METRIC_KINDS_NOT_OFFERED",
    "METRIC_KIND_ERRORS",
    "METRIC_NAMESPACE",
    "METRIC_RUN_COMPLETED",
    "METRIC_RUN_DURATION_MS",
    "METRIC_TRANSITIONS_BY_STATUS",
    "METRIC_TRANSITIONS_PUBLISHED",
    "MONITOR",
    "MONITOR_HANDLER",
    "MONITOR_SERVICE",
    "NOTIFICATIONS",
    "REALTIME",
    "SELF_MONITORING",
    "SERVICE_DIMENSION",
    "SLACK_NOTIFIER",
    "SLACK_NOTIFIER_HANDLER",
    "SLACK_NOTIFIER_SERVICE",
    "STATE_PARTITION_KEY",
    "STATE_SORT_KEY",
    "STATE_STORAGE",
    "STATE_TTL_ATTRIBUTE",
    "destination_notifier",
    "notifier_handler",
    "notifier_service",
]

# Stack
DEFAULT_STACK_NAME = "BedrockJobMonitor"

# Construct ids (one per capability; see infra/constructs/). Keep them: they decide the logical
# ids of every resource below them.
ENCRYPTION = "Encryption"
STATE_STORAGE = "StateStorage"
NOTIFICATIONS = "Notifications"
MONITOR = "Monitor"
SLACK_NOTIFIER = "SlackNotifier"
REALTIME = "RealtimeEvents"
DIGEST = "DailyDigest"
SELF_MONITORING = "SelfMonitoring"

# Lambda code
MONITOR_HANDLER = "job_monitor.handlers.monitor.handler"
SLACK_NOTIFIER_HANDLER = "job_monitor.handlers.slack_notifier.lambda_handler"


def notifier_handler(destination_type: str) -> str:
    """The handler of a destination type's notifier: ``slack`` ->
    ``job_monitor.handlers.slack_notifier.lambda_handler`` (one module per registry row)."""
    return f"job_monitor.handlers.{destination_type}_notifier.lambda_handler"


def destination_notifier(label: str) -> str:
    """The construct id of a ``destinations`` entry's notifier: ``SearchTeamSlack`` ->
    ``SearchTeamSlackNotifier`` (never ``SLACK_NOTIFIER``: a label always has a name before its
    type)."""
    return f"{label}Notifier"


EVENTS_HANDLER = "job_monitor.handlers.events.handler"
DIGEST_HANDLER = "job_monitor.handlers.digest.handler"

# Dead-man's switch of the scheduled monitor (infra.blocks.alarms.Heartbeat).
DEAD_MANS_SWITCH_PERIODS = 3
"""The least number of schedule periods in a row in which a run was asked for and none started
before the monitor's dead-man's switch fires (``infra.constructs.monitor.dead_mans_switch_periods``
makes it longer than one run can last)."""
