"""Who watches the monitor: alarms to an operator topic, and a small dashboard.

Alarms: the monitor's errors, the Slack notifier's errors, any message in a dead-letter or failure
queue, and a dead-man's switch that fires when the monitor has not completed a run for
``DEAD_MANS_SWITCH_PERIODS`` schedule periods (no data counts as breaching).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.constructs.building_blocks import encrypted_topic
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings

ERROR_PERIOD = Duration.minutes(5)


def custom_metric(
    metric_name: str,
    *,
    statistic: str = "Sum",
    period: Duration = ERROR_PERIOD,
    label: str | None = None,
) -> cloudwatch.Metric:
    """A metric the monitor emits through Powertools (EMF adds the ``service`` dimension)."""
    return cloudwatch.Metric(
        namespace=names.METRIC_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={names.SERVICE_DIMENSION: names.MONITOR_SERVICE},
        statistic=statistic,
        period=period,
        label=label,
    )


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
    """Attributes: ``operator_topic``, ``alarms`` (label -> alarm), ``dashboard``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        key: EncryptionKey,
        monitor: lambda_.IFunction,
        notifier: lambda_.IFunction | None,
        queues: Mapping[str, sqs.IQueue],
        other_functions: Mapping[str, tuple[lambda_.IFunction, str]] | None = None,
    ) -> None:
        """``other_functions``: alarm label (e.g. "RealtimeErrors") -> (function, what its
        failure means), for the optional functions (real-time path, digest)."""
        super().__init__(scope, construct_id)
        others = dict(other_functions or {})
        self.operator_topic = self._operator_topic(key)
        if settings.alarm_email:
            self.operator_topic.add_subscription(
                subscriptions.EmailSubscription(settings.alarm_email)
            )

        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._errors_alarm("MonitorErrors", monitor, "The Bedrock Job Monitor failed a run")
        if notifier is not None:
            self._errors_alarm(
                "SlackNotifierErrors", notifier, "The Slack notifier failed to deliver"
            )
        for label, (function, description) in others.items():
            self._errors_alarm(label, function, description)
        for label, queue in queues.items():
            self._add(
                f"{label}NotEmpty",
                cloudwatch.Alarm(
                    self,
                    f"{label}NotEmpty",
                    alarm_description=(
                        f"Messages in {label}: something was not delivered; "
                        "inspect and redrive the queue"
                    ),
                    metric=queue.metric_approximate_number_of_messages_visible(
                        statistic="Maximum", period=ERROR_PERIOD
                    ),
                    threshold=0,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=1,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
            )
        schedule_period = Duration.minutes(settings.schedule_minutes)
        self._add(
            "MonitorNotRunning",
            cloudwatch.Alarm(
                self,
                "MonitorNotRunning",
                alarm_description=(
                    f"Dead-man's switch: no completed monitor run in "
                    f"{names.DEAD_MANS_SWITCH_PERIODS} schedule periods "
                    f"({names.DEAD_MANS_SWITCH_PERIODS * settings.schedule_minutes} min)"
                ),
                metric=custom_metric(names.METRIC_RUN_COMPLETED, period=schedule_period),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=names.DEAD_MANS_SWITCH_PERIODS,
                datapoints_to_alarm=names.DEAD_MANS_SWITCH_PERIODS,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            ),
        )
        self.dashboard = self._dashboard(monitor, notifier, others)

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

    def _errors_alarm(self, label: str, function: lambda_.IFunction, description: str) -> None:
        self._add(
            label,
            cloudwatch.Alarm(
                self,
                label,
                alarm_description=f"{description}; see the function's log group",
                metric=function.metric_errors(statistic="Sum", period=ERROR_PERIOD),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        )

    def _add(self, label: str, alarm: cloudwatch.Alarm) -> None:
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.operator_topic))
        self.alarms[label] = alarm

    def _dashboard(
        self,
        monitor: lambda_.IFunction,
        notifier: lambda_.IFunction | None,
        others: Mapping[str, tuple[lambda_.IFunction, str]],
    ) -> cloudwatch.Dashboard:
        errors = [monitor.metric_errors(label="Monitor errors", period=ERROR_PERIOD)]
        if notifier is not None:
            errors.append(
                notifier.metric_errors(label="Slack notifier errors", period=ERROR_PERIOD)
            )
        errors.extend(
            function.metric_errors(label=label, period=ERROR_PERIOD)
            for label, (function, _) in others.items()
        )
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
        )
        return dashboard
