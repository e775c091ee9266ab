"""The sweep benchmark (sim/bench_sweep.py, part of make bench) at a small size."""

from __future__ import annotations

from sim.bench_sweep import measure_sweep, sweep_text


def test_a_quiet_run_stays_within_the_budget_and_k_runs_cover_every_data_source() -> None:
    # Given 20 knowledge bases x 3 data sources (81 nodes) and a budget of 10 calls
    figures = measure_sweep(knowledge_bases=20, sources=3, budget=10, running=4)
    # Then a quiet run makes at most the budget's calls, against 81 to list everything
    assert figures.quiet_calls_max == 10
    assert figures.list_everything == 81
    # And every data source is listed within K = ceil(81 / 10) = 9 runs
    assert figures.k_formula == 9
    assert figures.runs_to_cover <= 9
    # And with jobs running in 4 data sources the run stays within the budget too
    assert figures.busy_calls == 10
    assert "K = ceil(81 / 10) = 9" in sweep_text(figures)
