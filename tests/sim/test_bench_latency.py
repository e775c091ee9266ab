"""Alert latency and request rates (sim/bench_latency.py, issue 16 goal 5): the arithmetic of the
simulated clock and of the rates, and the default schedule it rests on."""

from __future__ import annotations

import json

import pytest

from sim import bench_latency
from sim.bench_cost import ROOT
from sim.bench_latency import SWEEP, latency, measure, rates, targets


def test_the_default_schedule_is_every_minute() -> None:
    # Goal 5 rests on it: a change waits at most one period for the next run
    assert json.loads((ROOT / "cdk.json").read_text())["context"]["schedule_minutes"] == 1


def test_latency_is_the_rest_of_the_period_plus_the_run() -> None:
    # Given a 60 s period and a 2 s run
    lat = latency("one change", 60.0, 2.0)
    # Then the samples lie in (2, 62]: p50 near the middle, max near the end
    assert 2.0 < lat.p50_s < 62.0
    assert lat.p50_s == pytest.approx(32.0, abs=1.5)
    assert 60.0 < lat.max_s <= 62.0
    # And the same seed gives the same figures
    assert latency("one change", 60.0, 2.0) == lat


def test_regions_run_one_after_another() -> None:
    one, four = latency("x", 60.0, 1.5, 1), latency("x", 60.0, 1.5, 4)
    assert four.run_s == pytest.approx(6.0)
    assert four.max_s - one.max_s == pytest.approx(4.5, abs=0.01)


def test_a_run_longer_than_the_period_delays_the_next() -> None:
    # Given a 90 s busy run at a 60 s schedule: the change waits for the run to end too
    lat = latency("busy", 60.0, 90.0)
    assert lat.max_s == pytest.approx(60.0 + 30.0 + 90.0, abs=0.1)


def test_rates_are_calls_per_period_and_peaks_are_bounded_by_latency() -> None:
    [quiet, busy] = rates({"quiet": {"k": 1}, "busy": {"k": 30}}, 60.0, 0.05)
    assert quiet.average_rps == pytest.approx(1 / 60)
    assert quiet.margin == pytest.approx(bench_latency.ASSUMED_QUOTA_RPS * 60)
    assert busy.peak_rps == 20.0  # one call per 50 ms
    assert rates({"quiet": {"k": 0}}, 60.0, 0.05)[0].margin == float("inf")


def test_the_targets_judge_the_home_region_and_the_polled_kinds() -> None:
    # Given a one-change run of 1.3 s, a 50 s busy run, and a sweep at its budget
    latencies, rows = measure(
        period_s=60.0,
        quiet_run_s=1.0,
        busy_run_s=50.0,
        latency_s=0.05,
        aws_latency_s=0.01,
        calls={"quiet": {"evaluation": 1, SWEEP: 50}, "busy": {"evaluation": 11, SWEEP: 50}},
    )
    (latency_ok, latency_detail), (rate_ok, rate_detail) = [
        (passed, detail) for _, passed, detail in targets(latencies, rows)
    ]
    assert latency_ok and "max 61.1 s" in latency_detail
    # The evaluation kind's busy run: 11 calls a minute, 5.5x under 1/s
    assert rate_ok and "lowest margin 5.5x (evaluation, busy run" in rate_detail
    # The sweep is printed beside it (50 calls a minute: 1.2x), not judged
    assert "the sweep (not judged: sweep_budget per run): 1.2x" in rate_detail
    # When one kind makes more than half the quota's calls, the target fails
    _, rows = measure(
        period_s=60.0,
        quiet_run_s=1.0,
        busy_run_s=None,
        latency_s=0.05,
        aws_latency_s=0.01,
        calls={"busy": {"evaluation": 31}},
    )
    assert not targets(latencies, rows)[1][1]
