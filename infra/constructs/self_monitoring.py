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
    custom_metric,
)
from infra.blocks.storage import encrypted_topic
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings


def transitions_by_status() -> cloudwatch.MathExpression:
    """One line per new status (the monitor's TransitionsByStatus metric, dimension status)."""
    schema = f"{{{names.METRIC_NAMESPACE},{names.SERVICE_DIMENSION},status}}"
    seconds = int(ERROR_PERIOD.to_seconds())
    return cloudwatch.MathExpression(
        expression=(
            f"SEARCH('{schema} MetricName=\"{names.METRIC_TRANSITIONS_BY_STATUS}\"', "
            f"'Sum', {seconds})"
        ),
        label="",
        period=ERROR_PERIOD,
    )


class SelfMonitoring(Construct):
    """Alarms on what ``watched`` capabilities declare (in their order), the operator topic they
    notify, and a dashboard of the monitor's metrics and every watched function's errors.

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
        errors = [line for watched in functions for line in watched.dashboard_lines()]
        dashboard = cloudwatch.Dashboard(self, "Dashboard")
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Transitions published, by new status",
                left=[
                    custom_metric(names.METRIC_TRANSITIONS_PUBLISHED, label="All"),
                    transitions_by_status(),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Bedrock API calls", left=[custom_metric(names.METRIC_API_CALLS)]
            ),
            cloudwatch.GraphWidget(
                title="Run duration (ms)",
                left=[
                    custom_metric(names.METRIC_RUN_DURATION_MS, statistic="Average"),
                    custom_metric(names.METRIC_RUN_DURATION_MS, statistic="Maximum"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Errors",
                left=[*errors, custom_metric(names.METRIC_KIND_ERRORS)],
            ),
            cloudwatch.GraphWidget(
                title="Kinds not offered in a watched region (not errors; re-checked daily)",
                left=[
                    custom_metric(
                        names.METRIC_KINDS_NOT_OFFERED,
                        statistic="Maximum",
                        label="(region, kind) pairs not offered",
                    )
                ],
            ),
        )
        return dashboard
