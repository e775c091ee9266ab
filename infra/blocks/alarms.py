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

ERROR_PERIOD = Duration.minutes(5)
"""The period of the error and queue alarms and of the dashboard's graphs."""


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
class Heartbeat:
    """A dead-man's switch on two free AWS/Lambda metrics of a scheduled function: alarm
    ``label`` when, in each of ``periods`` periods (``period`` long) in a row, the schedule handed
    the function a run (``asked``, e.g. ``AsyncEventsReceived``) and no invocation started
    (``started``, e.g. ``Invocations``). One metric math alarm of 2 metrics: billed as 2 alarm
    metrics ($0.20 a month), where a custom heartbeat metric ($0.30), two alarms and an AND
    composite ($0.50) cost $1.00.

    Why it cannot fire after a deploy: before the first request there is no data, and the
    expression is 0 where ``asked`` is missing (``FILL(asked, 0)``); missing data is not breaching.
    Runs that start and fail (an error, a timeout, a failed kind: ``RunFailed``) are the function's
    errors alarm's to report (``WatchedFunction``, one period); this one reports runs asked for and
    never started (throttled, dropped, Lambda unable to run the function). ``periods`` must span
    longer than one run can hold the function (its timeout, with one run at a time), so that one
    long run does not fire it. A schedule that stops asking is not caught here: its dead-letter
    queue alarm covers requests that cannot be delivered."""

    label: str
    periods: int
    period: Duration
    asked: cloudwatch.IMetric
    started: cloudwatch.IMetric
    description: str

    EXPRESSION = "IF(FILL(asked, 0) >= 1 AND FILL(started, 0) < 1, 1, 0)"
    """1 in a period in which a run was asked for and none started, else 0."""

    def alarm(self, scope: Construct) -> cloudwatch.AlarmBase:
        return cloudwatch.Alarm(
            scope,
            self.label,
            alarm_description=self.description,
            metric=cloudwatch.MathExpression(
                expression=self.EXPRESSION,
                using_metrics={"asked": self.asked, "started": self.started},
                period=self.period,
                label="asked for a run and none started",
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=self.periods,
            datapoints_to_alarm=self.periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
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
