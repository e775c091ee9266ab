"""The benchmark (make bench) at a small size, so its targets are checked in CI.

Small histories, a smaller busy run and no memory rounds keep it to a few seconds; the full
benchmark (100,000 jobs per kind) is `make bench`.
"""

from __future__ import annotations

import math

import pytest

from sim import bench
from sim.bedrock import SPECS
from sim.bench_lambda import cold_start, function_config
from sim.local import local_account
from sim.naive import NaivePoller

SMALL = [
    "--history", "10",
    "--running", "4", "--new", "3", "--transitions", "2", "--failures", "1",
    "--jobs", "1", "--cold-start-reps", "1", "--no-memory",
]  # fmt: skip


@pytest.fixture(scope="module")
def measured() -> tuple[bench.Options, list[bench.Cell]]:
    opts, _ = bench.parse_args(SMALL)
    return opts, bench.run_all(opts, workers=1)


def test_targets_pass_at_a_small_size(measured: tuple[bench.Options, list[bench.Cell]]):
    # Given every simulated kind, measured at a small history in both shapes
    opts, cells = measured
    # When the targets are checked (the handler import is measured in a fresh interpreter)
    results = bench.targets(cells, opts, cold_start(1))
    # Then none fails; only the ratio at H=100,000 is not checked here
    verdicts = {t.name: t.verdict for t in results}
    assert "FAIL" not in verdicts.values(), results
    assert list(verdicts.values()).count("SKIP") == 1, results


def test_counts_per_kind_for_a_quiet_run(measured: tuple[bench.Options, list[bench.Cell]]):
    opts, cells = measured
    quiet = next(c for c in cells if c.run == "quiet" and c.shape == "a")
    # The monitor: one list per kind, one DynamoDB query; the naive poller: one list per kind
    # (everything fits in a page) and one Query per kind
    assert quiet.ours.bedrock_by_kind == {k: 1 for k in opts.kinds}
    assert quiet.ours.dynamodb == 1
    assert quiet.naive is not None
    assert quiet.naive.bedrock == len(opts.kinds)
    assert quiet.naive.query_pages == len(opts.kinds)
    assert quiet.naive.sns == quiet.ours.sns == 0


def test_the_report_prints(
    measured: tuple[bench.Options, list[bench.Cell]], capsys: pytest.CaptureFixture[str]
):
    opts, cells = measured
    fn = function_config()
    bench.print_results(cells, opts, fn)
    bench.print_lambda(cells, opts, fn, None)
    bench.print_costs(cells, opts, fn)
    out = capsys.readouterr().out
    kinds = len(opts.kinds)
    assert f"| 10 | a | quiet | {kinds} / {kinds} / 1.0x |" in out
    assert "Monthly cost" in out


def test_the_naive_model_pages_by_the_list_page_size():
    opts, _ = bench.parse_args(SMALL)
    kind = opts.kinds[0]
    low = bench.Cell(1_000, "a", "quiet", _figures(kind, 1), _figures(kind, 2))
    high = bench.Cell(2_000, "a", "quiet", _figures(kind, 1), _figures(kind, 3))
    for cell, h in ((low, 1_000), (high, 2_000)):
        cell.naive_listed = {kind: h + 20}
        cell.naive_records = dict(cell.naive_listed)
        cell.naive_record_bytes = 150.0
    modelled = bench._extrapolate(low, high, 1_000, 100_000)
    assert modelled.modelled
    # 3 list pages at 2,020 jobs; 101 at 100,020
    assert modelled.bedrock == 3 - 3 + math.ceil(100_020 / 1000)
    assert modelled.bedrock_by_kind == {kind: 101}
    assert modelled.query_pages == math.ceil(100_020 * 150 / 1_000_000)


def _figures(kind: str, bedrock: int) -> bench.Figures:
    return bench.Figures(
        bedrock=bedrock,
        bedrock_by_kind={kind: bedrock},
        dynamodb=1,
        query_pages=1,
        sns=0,
        cpu_s=0.01,
        peak_bytes=0,
        rru=1,
        wru=0,
    )


def test_the_naive_poller_publishes_what_changed():
    with local_account() as acct:
        kind = next(iter(SPECS.values())).kind
        arn = acct.bedrock.create_job(kind.name, "one")
        naive = NaivePoller(
            [kind],
            bedrock=acct.clients["bedrock"],
            dynamodb=acct.clients["dynamodb"],
            sns=acct.clients["sns"],
            table_name="bedrock-job-monitor-state",
            topic_arn=acct.topic_arn,
            clock=acct.clock,
        )
        assert naive.run().baseline == [kind.name]
        acct.bedrock.set_status(arn, "Failed", failure_message="boom")
        acct.bedrock.create_job(kind.name, "two")
        assert naive.run().published == 2
        assert naive.run().published == 0
        statuses = {d.transition[2] for d in acct.drain()}
        assert statuses == {"Failed", SPECS[kind.name].initial_status}


def test_reads_the_function_settings_from_the_project():
    fn = function_config()
    assert fn.memory_mb >= 128
    assert fn.runs_per_month == 30 * 24 * 60 // fn.schedule_minutes
