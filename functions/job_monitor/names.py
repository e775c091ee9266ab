"""Names the Lambda code and the CDK app must spell alike: metric namespace and names, Powertools
service names (the ``service`` dimension of every metric), and the DynamoDB key schemas.

The handlers emit these metrics and the CDK app alarms on them and graphs them; both import them
from here, so an alarm cannot silently watch a metric nobody emits. Pure: no imports.
"""

from __future__ import annotations

# -- Figures of a run, logged (not CloudWatch custom metrics) ------------------------------------
# The monitor and the real-time path log their figures as one structured record per invocation
# (message FIGURES_MESSAGE, the figures under the key "figures", named by the METRIC_* names below)
# instead of emitting custom metrics: each metric name x dimension set is a billed metric ($0.30
# a month), none of these is alarmed, and per-kind or per-status dimensions multiplied them.
# CloudWatch Logs Insights queries them; the alarms watch Lambda's free AWS/Lambda metrics.
FIGURES_MESSAGE = "figures"
METRIC_NAMESPACE = "BedrockJobMonitor"
"""The namespace of the custom metrics that remain (the notifiers' outcomes)."""
SERVICE_DIMENSION = "service"
"""Powertools EMF adds the service name as this dimension of every metric."""

# Powertools service names (POWERTOOLS_SERVICE_NAME), one per function.
MONITOR_SERVICE = "bedrock-job-monitor"
EVENTS_SERVICE = "bedrock-job-monitor-events"
DIGEST_SERVICE = "bedrock-job-monitor-digest"


def notifier_service(destination_type: str) -> str:
    """The service name of a destination's notifier function: ``slack`` -> ``slack-notifier``."""
    return f"{destination_type}-notifier"


SLACK_NOTIFIER_SERVICE = notifier_service("slack")

# The scheduled monitor (handlers/monitor.py).
METRIC_RUN_COMPLETED = "RunCompleted"
"""1 only when every (region, kind) ran (a run with a failed kind also raises: Lambda Errors)."""
METRIC_TRANSITIONS_PUBLISHED = "TransitionsPublished"
"""Also emitted by the real-time path (its own service dimension)."""
METRIC_TRANSITIONS_BY_STATUS = "TransitionsByStatus"
"""New status -> count."""
METRIC_UNKNOWN_STATUSES = "UnknownStatuses"
"""Transitions published into a status the job-kind registry does not know (the registry needs an
update): kind -> count, only kinds with any, by the scheduled run and the real-time path."""
METRIC_TAG_READS_FAILED = "TagReadsFailed"
"""Transitions published without tags because their job's tags could not be read (``tag_keys``
set; ``publish.tags``), by the scheduled run and the real-time path."""
METRIC_JOBS_LISTED = "JobsListed"
METRIC_API_CALLS = "ApiCalls"
METRIC_KIND_ERRORS = "KindErrors"
METRIC_RUN_TRUNCATED = "RunTruncated"
METRIC_RUN_DURATION_MS = "RunDurationMs"
METRIC_KINDS_NOT_OFFERED = "KindsNotOffered"
"""(region, kind) pairs the regions do not offer, every run (0 when none): a gauge for the
dashboard, not an error."""

# The real-time path (handlers/events.py).
METRIC_EVENTS_RECEIVED = "EventsReceived"

# The notifiers (handlers/notifier.py): one metric per delivery outcome, named after the
# destination (``SlackPosted``, ...), under the notifier's own service dimension.
NOTIFIER_OUTCOME_METRICS = {
    "posted": "Posted",
    "duplicate": "DuplicateSuppressed",
    "filtered": "FilteredOut",
    "failed": "DeliveryFailed",
}
"""Outcome (``notifiers.pipeline.Outcome`` value) -> metric name suffix."""


def notifier_metric(destination_label: str, outcome: str) -> str:
    """``("Slack", "posted")`` -> ``SlackPosted``. Raises KeyError for an unknown outcome."""
    return destination_label + NOTIFIER_OUTCOME_METRICS[outcome]


METRIC_SLACK_POSTED = notifier_metric("Slack", "posted")
METRIC_SLACK_DUPLICATE = notifier_metric("Slack", "duplicate")
METRIC_SLACK_FILTERED = notifier_metric("Slack", "filtered")
METRIC_SLACK_FAILED = notifier_metric("Slack", "failed")

# -- DynamoDB key schemas (the adapters read and write these; the CDK app creates the tables) ----
STATE_PARTITION_KEY = "pk"
STATE_SORT_KEY = "sk"
STATE_TTL_ATTRIBUTE = "expires_at"
IDEMPOTENCY_PARTITION_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
