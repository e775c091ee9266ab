"""A small model of how CloudWatch evaluates a metric alarm and an AND composite, to run timelines
against the alarms as synthesized.

What it models (CloudWatch user guide, "Evaluating an alarm" and "Configuring how CloudWatch
alarms treat missing data"): every minute, an alarm looks at its last ``EvaluationPeriods``
complete periods; a period with no datapoint is filled by ``TreatMissingData`` (``breaching`` or
``notBreaching``: the two this stack uses); the alarm is in ALARM when at least
``DatapointsToAlarm`` of them breach, else OK. A composite ``ALARM(a) AND ALARM(b)`` is in ALARM
when both are. Actions run on a transition into ALARM. A datapoint counts once it is ingested
(``lag`` after its timestamp).

What it leaves out: ``missing``/``ignore`` treatment (unused here), CloudWatch's look-back past the
evaluation range for partially missing data (it only matters for those treatments), statistics
other than Sum, and when within a minute an evaluation runs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass(frozen=True)
class Datapoint:
    at: float
    """Timestamp, seconds since the deploy."""
    value: float = 1.0
    lag: float = 60.0
    """Seconds from ``at`` until CloudWatch has it."""


@dataclass(frozen=True)
class MetricAlarm:
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: Callable[[float, float], bool]
    missing_breaches: bool

    @classmethod
    def from_template(cls, properties: Mapping[str, Any]) -> MetricAlarm:
        treatment = properties["TreatMissingData"]
        if treatment not in ("breaching", "notBreaching"):
            raise ValueError(f"the model does not cover TreatMissingData={treatment}")
        if properties.get("Statistic", "Sum") != "Sum":
            raise ValueError("the model covers Sum only")
        periods = int(properties["EvaluationPeriods"])
        return cls(
            period=int(properties["Period"]),
            evaluation_periods=periods,
            datapoints_to_alarm=int(properties.get("DatapointsToAlarm", periods)),
            threshold=float(properties["Threshold"]),
            comparison=COMPARISONS[properties["ComparisonOperator"]],
            missing_breaches=treatment == "breaching",
        )

    def in_alarm(self, now: float, points: Iterable[Datapoint]) -> bool:
        """The state at ``now`` (seconds since the deploy; periods are aligned to multiples of
        ``period`` on the same clock, ``offset`` shifting the deploy into one)."""
        visible = [p for p in points if p.at + p.lag <= now]
        last_complete = int(now // self.period)  # periods [k*period, (k+1)*period), k < this
        breaching = 0
        for k in range(last_complete - self.evaluation_periods, last_complete):
            start, end = k * self.period, (k + 1) * self.period
            values = [p.value for p in visible if start <= p.at < end]
            if values:
                breaching += self.comparison(sum(values), self.threshold)
            else:
                breaching += self.missing_breaches
        return breaching >= self.datapoints_to_alarm


def first_alarm(
    alarms: Mapping[str, MetricAlarm],
    points: Mapping[str, list[Datapoint]],
    *,
    until: float,
    step: float = 60.0,
    start: float = 0.0,
) -> float | None:
    """When ALARM(every alarm in ``alarms``) first holds (the AND composite's first transition
    into ALARM, when its actions run), evaluating every ``step`` seconds; None if never."""
    now = start
    while now <= until:
        if all(alarm.in_alarm(now, points.get(name, [])) for name, alarm in alarms.items()):
            return now
        now += step
    return None


@dataclass(frozen=True)
class AskedNotStartedAlarm:
    """The dead-man's switch's metric math alarm (``infra.blocks.alarms.Heartbeat``): per period,
    ``IF(FILL(asked, 0) >= 1 AND FILL(started, 0) < 1, 1, 0)`` over two Sum metrics; ALARM when
    ``datapoints_to_alarm`` of the last ``evaluation_periods`` complete periods are >= 1. A period
    where neither metric has data has no value (not breaching, ``notBreaching``)."""

    period: int
    evaluation_periods: int
    datapoints_to_alarm: int

    EXPRESSION = "IF(FILL(asked, 0) >= 1 AND FILL(started, 0) < 1, 1, 0)"

    @classmethod
    def from_template(cls, properties: Mapping[str, Any]) -> AskedNotStartedAlarm:
        queries = {q["Id"]: q for q in properties["Metrics"]}
        [expression] = [q for q in queries.values() if "Expression" in q]
        if expression["Expression"] != cls.EXPRESSION or set(queries) - {expression["Id"]} != {
            "asked",
            "started",
        }:
            raise ValueError(f"the model does not cover {expression['Expression']!r}")
        if properties["TreatMissingData"] != "notBreaching":
            raise ValueError("the model covers notBreaching only")
        if (properties["Threshold"], properties["ComparisonOperator"]) != (
            1,
            "GreaterThanOrEqualToThreshold",
        ):
            raise ValueError("the model covers >= 1 only")
        [period] = {int(queries[i]["MetricStat"]["Period"]) for i in ("asked", "started")}
        periods = int(properties["EvaluationPeriods"])
        return cls(period, periods, int(properties.get("DatapointsToAlarm", periods)))

    def in_alarm(
        self, now: float, asked: Iterable[Datapoint], started: Iterable[Datapoint]
    ) -> bool:
        seen = {
            name: [p for p in points if p.at + p.lag <= now]
            for name, points in (("asked", asked), ("started", started))
        }
        last_complete = int(now // self.period)
        breaching = 0
        for k in range(last_complete - self.evaluation_periods, last_complete):
            start, end = k * self.period, (k + 1) * self.period
            sums = {n: sum(p.value for p in ps if start <= p.at < end) for n, ps in seen.items()}
            breaching += sums["asked"] >= 1 and sums["started"] < 1
        return breaching >= self.datapoints_to_alarm
