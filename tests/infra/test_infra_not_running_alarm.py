"""The not-running alarm: quiet after a fresh deploy, fires when the monitor stops running
(issue 12, item 7).

A heartbeat alarm that treats missing data as breaching is in ALARM from its creation until the
first run's datapoint arrives: it fired right after every first deploy. The alarm that notifies is
now a composite: no completed run in 3 periods (``MonitorNotRunning``, missing = breaching) AND
the schedule handed Lambda a run in at least 2 of them (``MonitorAskedToRun`` on Lambda's
``AsyncEventsReceived``, missing = not breaching). The template is checked, then the synthesized
alarms are run through timelines with ``tests.infra.alarm_model``.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra import names
from tests.infra.alarm_model import Datapoint, MetricAlarm, first_alarm
from tests.infra.support import Synthesized

pytestmark = pytest.mark.slow  # the shared synth

HOUR = 3600.0


def _alarm(synthesized: Synthesized, label: str) -> dict[str, Any]:
    return dict(synthesized.resource(f"{names.SELF_MONITORING}/{label}/Resource")["Properties"])


@pytest.fixture(scope="module")
def alarms(synthesized: Synthesized) -> dict[str, MetricAlarm]:
    return {
        label: MetricAlarm.from_template(_alarm(synthesized, label))
        for label in ("MonitorNotRunning", "MonitorAskedToRun")
    }


def test_the_composite_notifies_and_its_parts_do_not(synthesized: Synthesized) -> None:
    operator_topic = {
        "Ref": synthesized.logical_id(f"{names.SELF_MONITORING}/OperatorTopic/Resource")
    }
    composite = _alarm(synthesized, "MonitorStoppedRunning")
    assert composite["AlarmActions"] == [operator_topic]
    rule = composite["AlarmRule"]
    parts = {
        label: synthesized.logical_id(f"{names.SELF_MONITORING}/{label}/Resource")
        for label in ("MonitorNotRunning", "MonitorAskedToRun")
    }
    joined = str(rule)
    assert " AND " in joined and joined.count('ALARM(\\"') + joined.count('ALARM("') == 2
    for logical_id in parts.values():
        assert logical_id in joined
        assert "AlarmActions" not in synthesized.template["Resources"][logical_id]["Properties"]


def test_the_parts_watch_completed_runs_and_requests_to_run(synthesized: Synthesized) -> None:
    heartbeat = _alarm(synthesized, "MonitorNotRunning")
    assert (heartbeat["Namespace"], heartbeat["MetricName"]) == (
        "BedrockJobMonitor",
        "RunCompleted",
    )
    assert heartbeat["TreatMissingData"] == "breaching"
    assert (heartbeat["EvaluationPeriods"], heartbeat["DatapointsToAlarm"]) == (3, 3)
    asked = _alarm(synthesized, "MonitorAskedToRun")
    assert (asked["Namespace"], asked["MetricName"]) == ("AWS/Lambda", "AsyncEventsReceived")
    assert asked["Dimensions"] == [
        {
            "Name": "FunctionName",
            "Value": {"Ref": synthesized.logical_id(f"{names.MONITOR}/Function/Function/Resource")},
        }
    ]
    assert asked["Statistic"] == "Sum"
    assert asked["Period"] == heartbeat["Period"] == 600  # one schedule period
    assert (asked["EvaluationPeriods"], asked["DatapointsToAlarm"]) == (3, 2)
    assert asked["TreatMissingData"] == "notBreaching"
    assert (asked["Threshold"], asked["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


# -- timelines ---------------------------------------------------------------------------------

PERIOD = 600.0
DEPLOY = 7 * PERIOD + 180.0
"""The deploy, 3 minutes into a period (times are seconds on CloudWatch's period grid)."""


def _runs(
    *,
    first: float,
    until: float,
    completed_until: float = float("inf"),
    completed_lag: float = 120.0,
) -> dict[str, list[Datapoint]]:
    """The schedule hands Lambda a run every period from ``DEPLOY + first``; runs started before
    ``completed_until`` complete 30 s later (RunCompleted, ingested ``completed_lag`` later)."""
    asked, completed = [], []
    at = DEPLOY + first
    while at <= until:
        asked.append(Datapoint(at, lag=60.0))
        if at < completed_until:
            completed.append(Datapoint(at + 30.0, lag=completed_lag))
        at += PERIOD
    return {"MonitorAskedToRun": asked, "MonitorNotRunning": completed}


def test_the_old_heartbeat_alone_fired_right_after_a_first_deploy(
    alarms: dict[str, MetricAlarm],
) -> None:
    # Given a fresh deploy whose runs all complete
    points = _runs(first=PERIOD, until=DEPLOY + 6 * HOUR)
    # When only the heartbeat is evaluated (the alarm before this change)
    fired = first_alarm(
        {"MonitorNotRunning": alarms["MonitorNotRunning"]},
        points,
        start=DEPLOY,
        until=DEPLOY + 6 * HOUR,
    )
    # Then it fires at once, before the first run
    assert fired == DEPLOY


@pytest.mark.parametrize("first", [0.0, PERIOD], ids=["first-run-at-once", "after-one-period"])
@pytest.mark.parametrize("completed_lag", [60.0, 180.0, 300.0])
def test_a_fresh_deploy_does_not_notify(
    alarms: dict[str, MetricAlarm], first: float, completed_lag: float
) -> None:
    # Given a fresh deploy whose runs all complete (metrics arriving up to 5 min late)
    points = _runs(first=first, until=DEPLOY + 12 * HOUR, completed_lag=completed_lag)
    # When the composite is evaluated every minute for 12 hours, then it never fires
    assert first_alarm(alarms, points, start=DEPLOY, until=DEPLOY + 12 * HOUR) is None


def test_a_monitor_that_never_completes_a_run_notifies(alarms: dict[str, MetricAlarm]) -> None:
    # Given a first deploy whose runs all fail (or time out, or are throttled)
    points = _runs(first=PERIOD, until=DEPLOY + 6 * HOUR, completed_until=0.0)
    # When the composite is evaluated, then it fires once the schedule asked twice
    fired = first_alarm(alarms, points, start=DEPLOY, until=DEPLOY + 6 * HOUR)
    assert fired is not None
    assert fired <= DEPLOY + PERIOD + 3 * PERIOD


def test_a_monitor_that_stops_completing_runs_notifies(alarms: dict[str, MetricAlarm]) -> None:
    # Given a monitor that ran for two hours, then stops completing runs
    stopped = DEPLOY + 2 * HOUR
    points = _runs(first=PERIOD, until=DEPLOY + 6 * HOUR, completed_until=stopped)
    # When the composite is evaluated, then it fires within three periods and a few minutes
    fired = first_alarm(alarms, points, start=DEPLOY, until=DEPLOY + 6 * HOUR)
    assert fired is not None
    assert stopped < fired <= stopped + 4 * PERIOD


def test_a_schedule_that_stops_asking_is_not_this_alarms_to_catch(
    alarms: dict[str, MetricAlarm],
) -> None:
    # Given a schedule that stops after two hours (disabled, or deleted by hand)
    stopped = DEPLOY + 2 * HOUR
    points = _runs(first=PERIOD, until=stopped)
    # Then the composite stays quiet (a documented limit: nothing asked, nothing missed)
    assert first_alarm(alarms, points, start=DEPLOY, until=DEPLOY + 6 * HOUR) is None
