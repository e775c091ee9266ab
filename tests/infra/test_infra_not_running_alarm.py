"""The not-running alarm: quiet after a fresh deploy, fires when the monitor stops running
(issue 12, item 7; issue 16, goal 3: on free metrics).

"MonitorStoppedRunning" is one metric math alarm over two free AWS/Lambda metrics of the monitor
function: in each of N schedule periods in a row the schedule handed Lambda a run
(``AsyncEventsReceived``) and none started (``Invocations``). Before the first request there is
no data, so a fresh deploy cannot fire it; runs that start and fail are MonitorErrors' to report.
N outlasts one run (the timeout) so that a long run, which holds the one concurrent execution,
does not fire it. The template is checked, then the synthesized alarm is run through timelines
with ``tests.infra.alarm_model``.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra import names
from infra.constructs.monitor import dead_mans_switch_periods
from tests.infra.alarm_model import AskedNotStartedAlarm, Datapoint
from tests.infra.support import Synthesized

pytestmark = pytest.mark.slow  # the shared synth

HOUR = 3600.0


def _alarm(synthesized: Synthesized, label: str) -> dict[str, Any]:
    return dict(synthesized.resource(f"{names.SELF_MONITORING}/{label}/Resource")["Properties"])


@pytest.fixture(scope="module")
def alarm(synthesized: Synthesized) -> AskedNotStartedAlarm:
    return AskedNotStartedAlarm.from_template(_alarm(synthesized, "MonitorStoppedRunning"))


def test_one_alarm_on_two_free_lambda_metrics_notifies(synthesized: Synthesized) -> None:
    properties = _alarm(synthesized, "MonitorStoppedRunning")
    operator_topic = {
        "Ref": synthesized.logical_id(f"{names.SELF_MONITORING}/OperatorTopic/Resource")
    }
    assert properties["AlarmActions"] == [operator_topic]
    function = {"Ref": synthesized.logical_id(f"{names.MONITOR}/Function/Function/Resource")}
    stats = {q["Id"]: q["MetricStat"] for q in properties["Metrics"] if "MetricStat" in q}
    assert {i: (s["Metric"]["Namespace"], s["Metric"]["MetricName"]) for i, s in stats.items()} == {
        "asked": ("AWS/Lambda", "AsyncEventsReceived"),
        "started": ("AWS/Lambda", "Invocations"),
    }
    for stat in stats.values():
        assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": function}]
        assert (stat["Stat"], stat["Period"]) == ("Sum", 600)  # one schedule period
    # schedule_minutes=10, timeout 300 s: 3 periods (one run fits in one)
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (3, 3)
    assert not synthesized.resources("AWS::CloudWatch::CompositeAlarm")


@pytest.mark.parametrize(
    ("schedule_minutes", "timeout_s", "periods"),
    [(10, 300, 3), (5, 300, 3), (1, 300, 7), (1, 900, 17), (2, 60, 3)],
)
def test_the_switch_outlasts_one_run(schedule_minutes: int, timeout_s: int, periods: int) -> None:
    assert dead_mans_switch_periods(schedule_minutes, timeout_s) == periods


# -- timelines ---------------------------------------------------------------------------------

PERIOD = 600.0
DEPLOY = 7 * PERIOD + 180.0
"""The deploy, 3 minutes into a period (times are seconds on CloudWatch's period grid)."""


def _runs(
    *, first: float, until: float, started_until: float = float("inf"), period: float = PERIOD
) -> tuple[list[Datapoint], list[Datapoint]]:
    """The schedule hands Lambda a run every period from ``DEPLOY + first``; runs asked before
    ``started_until`` start a second later."""
    asked, started = [], []
    at = DEPLOY + first
    while at <= until:
        asked.append(Datapoint(at, lag=60.0))
        if at < started_until:
            started.append(Datapoint(at + 1.0, lag=60.0))
        at += period
    return asked, started


def _first_alarm(
    alarm: AskedNotStartedAlarm,
    runs: tuple[list[Datapoint], list[Datapoint]],
    until: float,
) -> float | None:
    now = DEPLOY
    while now <= until:
        if alarm.in_alarm(now, *runs):
            return now
        now += 60.0
    return None


@pytest.mark.parametrize("first", [0.0, PERIOD, 3 * HOUR], ids=["at-once", "one-period", "late"])
def test_a_fresh_deploy_does_not_notify(alarm: AskedNotStartedAlarm, first: float) -> None:
    # Given a fresh deploy whose runs all start (the first one possibly hours later)
    runs = _runs(first=first, until=DEPLOY + 12 * HOUR)
    # When the alarm is evaluated every minute for 12 hours, then it never fires
    assert _first_alarm(alarm, runs, DEPLOY + 12 * HOUR) is None


def test_a_monitor_that_never_starts_a_run_notifies(alarm: AskedNotStartedAlarm) -> None:
    # Given a first deploy whose runs are all asked for and never started (throttled, dropped)
    runs = _runs(first=PERIOD, until=DEPLOY + 6 * HOUR, started_until=0.0)
    # Then it fires once three periods were asked for in vain (and their data is in)
    fired = _first_alarm(alarm, runs, DEPLOY + 6 * HOUR)
    assert fired is not None
    assert fired <= DEPLOY + PERIOD + 4 * PERIOD


def test_a_monitor_that_stops_starting_runs_notifies(alarm: AskedNotStartedAlarm) -> None:
    # Given a monitor that ran for two hours, then stops starting runs
    stopped = DEPLOY + 2 * HOUR
    runs = _runs(first=PERIOD, until=DEPLOY + 6 * HOUR, started_until=stopped)
    fired = _first_alarm(alarm, runs, DEPLOY + 6 * HOUR)
    # Then it fires within three periods and a few minutes
    assert fired is not None
    assert stopped < fired <= stopped + 4 * PERIOD


def test_a_schedule_that_stops_asking_is_not_this_alarms_to_catch(
    alarm: AskedNotStartedAlarm,
) -> None:
    # Given a schedule that stops after two hours (disabled, or deleted by hand)
    runs = _runs(first=PERIOD, until=DEPLOY + 2 * HOUR)
    # Then the alarm stays quiet (a documented limit: nothing asked, nothing missed)
    assert _first_alarm(alarm, runs, DEPLOY + 6 * HOUR) is None


def test_at_the_default_schedule_one_long_run_does_not_notify_and_a_stall_does() -> None:
    # Given the default: every minute, 300 s timeout, one run at a time
    minute = 60.0
    alarm = AskedNotStartedAlarm(60, *(2 * [dead_mans_switch_periods(1, 300)]))
    asked, started = _runs(first=minute, until=DEPLOY + 2 * HOUR, period=minute)
    # When one run takes the whole timeout: the 5 runs asked meanwhile do not start (throttled,
    # then dropped at their 60 s max event age)
    long_from = DEPLOY + HOUR
    started = [p for p in started if not long_from < p.at < long_from + 300.0]
    # Then nothing fires
    assert _first_alarm(alarm, (asked, started), DEPLOY + 2 * HOUR) is None
    # And when runs stop starting for good, it fires within 7 periods and a few minutes
    stalled = [p for p in started if p.at < long_from]
    fired = _first_alarm(alarm, (asked, stalled), DEPLOY + 2 * HOUR)
    assert fired is not None
    assert long_from < fired <= long_from + 9 * minute
