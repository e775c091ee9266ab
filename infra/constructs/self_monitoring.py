"""Who watches the monitor: alarms to an operator topic, and a small dashboard.

The alarms come from the capabilities it is given: each exposes ``alarm_targets`` (its functions'
errors, its dead-letter and failure queues, heartbeats such as the monitor's dead-man's switch),
and this construct builds one alarm per target. What a fired alarm does is an
``AlarmActionStrategy``: by default, notify the operator topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import names
from infra.blocks.alarms import (
    ERROR_PERIOD,
    Alarmable,
    AlarmActionStrategy,
    NotifyTopic,
    WatchedFunction,
)
from infra.blocks.storage import encrypted_topic
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings

FIGURES_QUERY = (
    f'fields @timestamp | filter message = "{names.FIGURES_MESSAGE}" '
    f"| stats sum(figures.{names.METRIC_TRANSITIONS_PUBLISHED}) as published, "
    f"sum(figures.{names.METRIC_API_CALLS}) as apiCalls, "
    f"sum(figures.{names.METRIC_KIND_ERRORS}) as kindErrors, "
    f"max(figures.{names.METRIC_KINDS_NOT_OFFERED}) as kindsNotOffered, "
    f"max(figures.{names.METRIC_RUN_DURATION_MS}) as maxRunMs by bin(5m)"
)
"""Logs Insights: the monitor's figures (``handlers.monitor.run_figures``), per 5 minutes."""
TRANSITIONS_QUERY = (
    'fields @timestamp | filter message = "transition published" '
    "| stats count(*) as transitions by kind, status"
)
"""Logs Insights: transitions published, by kind and new status (per-kind detail lives in the
logs, not in metric dimensions)."""


class SelfMonitoring(Construct):
    """Alarms on what ``watched`` capabilities declare (in their order), the operator topic they
    notify, and a dashboard of every watched function's free Lambda metrics and of the monitor's
    logged figures (Logs Insights).

    ``actions``: what a fired alarm does; None = notify ``operator_topic`` (which
    ``settings.alarm_email`` subscribes to).

    Attributes: ``operator_topic``, ``actions``, ``alarms`` (alarm id -> alarm), ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        key: EncryptionKey,
        watched: Sequence[Alarmable],
        actions: AlarmActionStrategy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.operator_topic = self._operator_topic(key)
        if settings.alarm_email:
            self.operator_topic.add_subscription(
                subscriptions.EmailSubscription(settings.alarm_email)
            )
        self.actions: AlarmActionStrategy = actions or NotifyTopic(self.operator_topic)

        self.alarms: dict[str, cloudwatch.AlarmBase] = {}
        for capability in watched:
            for target in capability.alarm_targets:
                alarm = target.alarm(self)
                self.actions.add_actions(alarm)
                self.alarms[alarm.node.id] = alarm
        functions = [f for capability in watched for f in capability.alarm_targets.functions]
        self.dashboard = self._dashboard(functions)

    def _operator_topic(self, key: EncryptionKey) -> sns.Topic:
        topic = encrypted_topic(
            self, "OperatorTopic", key=key, display_name="Bedrock Job Monitor alarms"
        )
        key.allow_service("cloudwatch.amazonaws.com")
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": topic.stack.account}},
            )
        )
        # Only AWS services (that the statement above allows) may publish: no IAM identity.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyAwsServicesPublish",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"Null": {"aws:PrincipalServiceName": "true"}},
            )
        )
        return topic

    def _dashboard(self, functions: Sequence[WatchedFunction]) -> cloudwatch.Dashboard:
        """Free metrics only (AWS/Lambda per watched function) and Logs Insights queries over the
        watched functions' log groups: no custom metric. (Logs Insights bills $0.005 per GB
        scanned when a widget refreshes; dashboards beyond an account's first 3 cost $3.)"""
        log_groups = [
            watched.function.log_group.log_group_name
            for watched in functions
            if watched.function.log_group is not None
        ]
        dashboard = cloudwatch.Dashboard(self, "Dashboard")
        dashboard.add_widgets(
            cloudwatch.LogQueryWidget(
                title="Monitor figures per 5 min: transitions published, Bedrock API calls, "
                "kind errors, kinds not offered in a watched region (not errors; re-checked "
                "daily), longest run (ms)",
                log_group_names=log_groups,
                query_string=FIGURES_QUERY,
                width=24,
            ),
            cloudwatch.LogQueryWidget(
                title="Transitions published, by kind and new status",
                log_group_names=log_groups,
                query_string=TRANSITIONS_QUERY,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Invocations",
                left=[
                    w.function.metric_invocations(label=w.dashboard_label, period=ERROR_PERIOD)
                    for w in functions
                ],
            ),
            cloudwatch.GraphWidget(
                title="Errors and throttles",
                left=[
                    *(
                        w.function.metric_errors(label=w.dashboard_label, period=ERROR_PERIOD)
                        for w in functions
                    ),
                    *(
                        w.function.metric_throttles(
                            label=f"{w.dashboard_label} (throttles)", period=ERROR_PERIOD
                        )
                        for w in functions
                    ),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Duration (ms), maximum",
                left=[
                    w.function.metric_duration(
                        label=w.dashboard_label, statistic="Maximum", period=ERROR_PERIOD
                    )
                    for w in functions
                ],
            ),
        )
        return dashboard
