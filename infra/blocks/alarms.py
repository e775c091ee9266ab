"""What a capability asks to be alarmed on, and what an alarm does when it fires.

A capability construct exposes ``alarm_targets`` (``AlarmTargets``): its functions whose errors
matter, its dead-letter and failure queues, and heartbeats (metrics that must keep arriving).
The self-monitoring construct iterates over the capabilities it is given and builds one alarm per
target; what a fired alarm does is an ``AlarmActionStrategy`` (one method), so notifying a topic,
several, or nothing is a choice of strategy, not a flag. (cdk-monitoring-constructs'
IAlarmActionStrategy is the model.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names

ERROR_PERIOD = Duration.minutes(5)
"""The period of the error and queue alarms and of the dashboard's graphs."""


def custom_metric(
    metric_name: str,
    *,
    service: str = names.MONITOR_SERVICE,
    statistic: str = "Sum",
    period: Duration = ERROR_PERIOD,
    label: str | None = None,
) -> cloudwatch.Metric:
    """A metric a function emits through Powertools (``names.METRIC_*``); EMF adds the
    ``service`` dimension (the function's ``POWERTOOLS_SERVICE_NAME``)."""
    return cloudwatch.Metric(
        namespace=names.METRIC_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={names.SERVICE_DIMENSION: service},
        statistic=statistic,
        period=period,
        label=label,
    )


def threshold_alarm(
    scope: Construct,
    alarm_id: str,
    *,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    comparison: cloudwatch.ComparisonOperator,
    periods: int = 1,
    missing_breaches: bool = False,
) -> cloudwatch.Alarm:
    """An alarm that fires when ``metric`` compares (``comparison``) to ``threshold`` in
    ``periods`` periods in a row; missing data breaches only with ``missing_breaches``."""
    return cloudwatch.Alarm(
        scope,
        alarm_id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=periods,
        datapoints_to_alarm=periods if periods > 1 else None,
        treat_missing_data=(
            cloudwatch.TreatMissingData.BREACHING
            if missing_breaches
            else cloudwatch.TreatMissingData.NOT_BREACHING
        ),
    )


@dataclass(frozen=True)
class WatchedFunction:
    """Alarm ``label`` (also its construct id, e.g. "MonitorErrors") when ``function`` reports
    any error in a period; ``description`` says what a failure means, ``dashboard_label`` names
    its line on the dashboard's Errors graph.

    With ``throttles``, a throttled invocation counts as an error: the alarm watches
    ``errors + throttles`` (AWS/Lambda ``Errors`` and ``Throttles``, free metrics; CloudWatch bills
    an alarm per metric it reads, so $0.20 a month instead of $0.10), and the dashboard draws the
    throttles beside the errors. Lambda retries a throttled asynchronous event for up to its
    maximum event age (hours), so without it a throttled notifier would show only once the
    event reached its failure queue."""

    label: str
    function: lambda_.IFunction
    description: str
    dashboard_label: str
    throttles: bool = False

    def metric(self) -> cloudwatch.IMetric:
        """What the alarm watches: ``Errors`` (Sum per ``ERROR_PERIOD``), plus ``Throttles``
        with ``throttles``."""
        errors = self.function.metric_errors(statistic="Sum", period=ERROR_PERIOD)
        if not self.throttles:
            return errors
        return cloudwatch.MathExpression(
            expression="errors + throttles",
            using_metrics={
                "errors": errors,
                "throttles": self.function.metric_throttles(statistic="Sum", period=ERROR_PERIOD),
            },
            label=f"{self.dashboard_label} and throttles",
            period=ERROR_PERIOD,
        )

    def dashboard_lines(self) -> list[cloudwatch.IMetric]:
        """Its lines on the dashboard's Errors graph: errors, and throttles with ``throttles``."""
        lines: list[cloudwatch.IMetric] = [
            self.function.metric_errors(label=self.dashboard_label, period=ERROR_PERIOD)
        ]
        if self.throttles:
            lines.append(
                self.function.metric_throttles(
                    label=f"{self.dashboard_label} (throttles)", period=ERROR_PERIOD
                )
            )
        return lines

    def alarm(self, scope: Construct) -> cloudwatch.Alarm:
        counted = " (an error or a throttled invocation)" if self.throttles else ""
        return threshold_alarm(
            scope,
            self.label,
            description=f"{self.description}{counted}; see the function's log group",
            metric=self.metric(),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )


@dataclass(frozen=True)
class WatchedQueue:
    """Alarm "<label>NotEmpty" when ``queue`` (a dead-letter or failure queue, e.g. label
    "ScheduleDeadLetterQueue") holds any message."""

    label: str
    queue: sqs.IQueue

    def alarm(self, scope: Construct) -> cloudwatch.Alarm:
        return threshold_alarm(
            scope,
            f"{self.label}NotEmpty",
            description=(
                f"Messages in {self.label}: something was not delivered; "
                "inspect and redrive the queue"
            ),
            metric=self.queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=ERROR_PERIOD
            ),
            threshold=0,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )


@dataclass(frozen=True)
class Requests:
    """What asks for the work a ``Heartbeat`` reports done: ``metric`` counts the requests (a Sum
    per period, e.g. a function's ``AsyncEventsReceived``); alarm ``label`` when requests came in
    at least ``min_periods`` of the heartbeat's periods (no data: no request)."""

    label: str
    metric: cloudwatch.IMetric
    min_periods: int


@dataclass(frozen=True)
class Heartbeat:
    """A dead-man's switch: alarm ``label`` when ``metric`` (a Sum per period) stayed below 1 for
    ``periods`` periods in a row; no data counts as breaching.

    With ``requests``, that alarm notifies nobody; the one that notifies is the composite
    ``notify_label``: ALARM(``label``) AND ALARM(``requests.label``), i.e. the work was asked for
    in ``requests.min_periods`` of the last ``periods`` periods and none of it was done.

    Why: a heartbeat alone is breaching from its creation until the first datapoint arrives
    (CloudWatch fills every missing datapoint with "breaching"), so it fires right after a first
    deploy. The requests alarm cannot be in ALARM before ``min_periods`` requests arrived, and by
    the second request the first one's heartbeat is in: a fresh deploy does not fire, a monitor
    that is asked to run and does not complete does. (A schedule that stops asking is not caught
    here: its dead-letter queue alarm covers requests that cannot be delivered.)"""

    label: str
    periods: int
    metric: cloudwatch.IMetric
    description: str
    requests: Requests | None = None
    notify_label: str = ""

    def alarm(self, scope: Construct) -> cloudwatch.AlarmBase:
        below_one = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        heartbeat = threshold_alarm(
            scope,
            self.label,
            periods=self.periods,
            threshold=1,
            comparison=below_one,
            metric=self.metric,
            description=self.description,
            missing_breaches=True,
        )
        if self.requests is None:
            return heartbeat
        requests = self.requests
        asked = cloudwatch.Alarm(
            scope,
            requests.label,
            alarm_description=(
                f"Requests arrived in at least {requests.min_periods} of the last {self.periods} "
                f"periods (part of {self.notify_label}; notifies nobody itself)"
            ),
            metric=requests.metric,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=self.periods,
            datapoints_to_alarm=requests.min_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return cloudwatch.CompositeAlarm(
            scope,
            self.notify_label,
            alarm_description=(
                f"{self.description}, although it was asked to run in at least "
                f"{requests.min_periods} of them"
            ),
            alarm_rule=cloudwatch.AlarmRule.all_of(
                cloudwatch.AlarmRule.from_alarm(heartbeat, cloudwatch.AlarmState.ALARM),
                cloudwatch.AlarmRule.from_alarm(asked, cloudwatch.AlarmState.ALARM),
            ),
        )


@dataclass(frozen=True)
class AlarmTargets:
    """Everything one capability asks to be alarmed on (each may be empty)."""

    functions: tuple[WatchedFunction, ...] = ()
    queues: tuple[WatchedQueue, ...] = ()
    heartbeats: tuple[Heartbeat, ...] = ()

    def __iter__(self) -> Iterator[WatchedFunction | WatchedQueue | Heartbeat]:
        yield from self.functions
        yield from self.queues
        yield from self.heartbeats


class Alarmable(Protocol):
    """A capability construct that says what must be alarmed."""

    @property
    def alarm_targets(self) -> AlarmTargets: ...


class AlarmActionStrategy(Protocol):
    """What a fired alarm does."""

    def add_actions(self, alarm: cloudwatch.AlarmBase) -> None: ...


class NotifyTopic:
    """Every alarm notifies ``topic`` (SNS) when it fires."""

    def __init__(self, topic: sns.ITopic) -> None:
        self.topic = topic

    def add_actions(self, alarm: cloudwatch.AlarmBase) -> None:
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))


class NoAlarmActions:
    """Alarms change state (console, dashboard) and notify nobody."""

    def add_actions(self, alarm: cloudwatch.AlarmBase) -> None:
        return None
