"""Names shared by the constructs and the infrastructure tests: construct ids, handlers, metrics.

Construct ids decide CloudFormation logical ids, so tests find resources through these constants
instead of repeating strings.
"""

from __future__ import annotations

# Stack
DEFAULT_STACK_NAME = "BedrockJobMonitor"

# Construct ids (one per capability; see infra/constructs/)
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
EVENTS_HANDLER = "job_monitor.handlers.events.handler"
DIGEST_HANDLER = "job_monitor.handlers.digest.handler"

# Powertools service names (POWERTOOLS_SERVICE_NAME); Powertools EMF adds it as the `service`
# dimension of every metric, so the alarms and the dashboard use the same value.
MONITOR_SERVICE = "bedrock-job-monitor"
SLACK_NOTIFIER_SERVICE = "slack-notifier"
EVENTS_SERVICE = "bedrock-job-monitor-events"
DIGEST_SERVICE = "bedrock-job-monitor-digest"

# Custom metrics the monitor emits (Powertools Metrics, EMF through the logs)
METRIC_NAMESPACE = "BedrockJobMonitor"
METRIC_RUN_COMPLETED = "RunCompleted"
METRIC_TRANSITIONS_PUBLISHED = "TransitionsPublished"
METRIC_TRANSITIONS_BY_STATUS = "TransitionsByStatus"
"""Dimensions: service and status."""
METRIC_API_CALLS = "ApiCalls"
METRIC_RUN_DURATION_MS = "RunDurationMs"
METRIC_KIND_ERRORS = "KindErrors"
SERVICE_DIMENSION = "service"

# DynamoDB key schemas (the code in functions/ relies on these)
STATE_PARTITION_KEY = "pk"
STATE_SORT_KEY = "sk"
STATE_TTL_ATTRIBUTE = "expires_at"
IDEMPOTENCY_PARTITION_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"

# Dead-man's switch: alarm when no run completed in this many schedule periods.
DEAD_MANS_SWITCH_PERIODS = 3
