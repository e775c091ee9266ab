"""The quiet-run section of the benchmark (sim/bench_quiet.py) at a small size, so the quiet
target, its arithmetic and what it measures are checked in CI.

A history of 120 jobs per kind is enough to put the long-running job of shape (b) below the
scan's small first page (120 + 4 running > 50): the case that used to parse a page of 1,000.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim import bench
from sim.bench_lambda import function_config
from sim.bench_parents import (
    QUIET_NOTE,
    ParentSize,
    every_kind_target,
    measure_for_run,
    quiet_parent_rows,
    sweep_calls_target,
    with_sums,
)
from sim.bench_quiet import (
    QUIET_LAMBDA_TARGET_S,
    QuietRow,
    bedrock_bytes,
    makespan,
    quiet_rows,
    quiet_target,
    quiet_text,
)

SMALL = [
    "--history", "120",
    "--running", "4", "--new", "3", "--transitions", "2", "--failures", "1",
    "--jobs", "1", "--cold-start-reps", "0", "--no-memory", "--naive-real-max", "0",
]  # fmt: skip


PARENTS = ParentSize(knowledge_bases=1, sources=2, policies=2, running=1, new=1)


@pytest.fixture(scope="module")
def measured() -> tuple[bench.Options, list[bench.Cell]]:
    opts, _ = bench.parse_args(SMALL)
    opts = replace(opts, every_kind=PARENTS)
    return opts, bench.run_all(opts, workers=1)


def test_quiet_runs_are_within_a_second_and_read_little(measured):
    # Given every simulated kind at H=120 in both shapes
    opts, cells = measured
    rows = quiet_rows(cells, opts, function_config())
    # Then both quiet runs pass the target, and the bytes read are printed per run
    assert [(r.history, r.shape) for r in rows] == [(120, "a"), (120, "b")]
    _, passed, detail = quiet_target(rows)
    assert passed, detail
    a, b = rows
    kinds = len(opts.kinds)
    # Shape (a): one list per kind, each of the few recent jobs; shape (b): a first page of at
    # most 50 summaries per kind and a describe of the long-running job (1 KiB of JSON or so
    # per summary: 9 kinds x 50 summaries stay far below 9 pages of 1,000)
    assert a.bedrock_calls == kinds
    assert b.bedrock_calls == 2 * kinds
    assert 0 < a.bedrock_bytes < b.bedrock_bytes < kinds * 60 * 1024
    assert a.dynamodb_requests == 1 and a.dynamodb_bytes > 0
    text = quiet_text(rows, opts, function_config(), 10)
    assert "Bedrock bytes read" in text and "Data Automation (event-only" in text


def test_the_scans_are_modelled_as_concurrent_chains(measured):
    # Given the quiet runs as measured: each kind's scan ran on a scan thread
    opts, cells = measured
    quiet_b = next(c for c in cells if c.run == "quiet" and c.shape == "b").ours
    # Then the chains are the per-kind requests (2 each) of every kind but the first (its pair
    # runs alone first: poll.run), and the waits count the first kind's and the longest chain
    assert quiet_b.chains == (2,) * (len(opts.kinds) - 1)
    waited = quiet_b.waiting_s(opts)
    assert waited == pytest.approx((2 + 2) * opts.latency_s + quiet_b.dynamodb * opts.aws_latency_s)
    # and without threads the same requests would wait in sequence
    sequential = replace(quiet_b, chains=())
    assert sequential.waiting_s(opts) == pytest.approx(
        quiet_b.bedrock * opts.latency_s + quiet_b.dynamodb * opts.aws_latency_s
    )


def test_makespan_schedules_chains_in_order_on_the_first_free_thread():
    assert makespan([], 10) == 0
    assert makespan([2, 2, 2], 10) == 2
    assert makespan([2, 2, 2], 1) == 6
    assert makespan([3, 1, 1, 1], 2) == 3  # 3 | 1+1+1
    assert makespan([1, 3, 2], 2) == 3  # 1+2 | 3
    assert makespan([2] * 11, 10) == 4  # the eleventh waits for a thread


def test_the_target_fails_above_a_second_and_names_the_run():
    def row(shape: str, seconds: float) -> QuietRow:
        return QuietRow(1_000, shape, 18, 210_000, 1, 56_000, 0.05, seconds)

    _, passed, detail = quiet_target([row("a", 0.3), row("b", QUIET_LAMBDA_TARGET_S + 0.01)])
    assert passed is False and "H=1,000 (b) 1.01 s" in detail
    assert quiet_target([row("a", 0.3), row("b", QUIET_LAMBDA_TARGET_S)])[1] is True
    assert quiet_target([])[1] is None


def test_bedrock_bytes_count_every_bedrock_service_and_nothing_else():
    counted = {"bedrock": 10, "bedrock-runtime": 5, "bedrock-agent": 1, "dynamodb": 100}
    assert bedrock_bytes(counted) == 16


def test_every_kind_enabled_is_judged_at_every_h_and_shape(measured):
    # Given every simulated account-wide kind at H=120 and both parent-scoped kinds at the
    # same H and shapes (1 knowledge base with 2 data sources, 2 policies, 1 running job each),
    # one monitor with every kind enabled measured in each account after its quiet runs
    opts, cells = measured
    fn = function_config()
    parents = measure_for_run(PARENTS, opts, fn)
    quiet = quiet_rows(cells, opts, fn)
    every = with_sums([c.every_kind for c in cells if c.every_kind is not None], quiet, parents)
    # Then every (H, shape) has its every-kind figure, one run making the separate runs' calls
    assert [(e.history, e.shape) for e in every] == [(120, "a"), (120, "b")]
    for e, q in zip(every, quiet, strict=True):
        # the knowledge base's 4 nodes (+ a Get for shape (b)'s old job, not on its data
        # source's first page of LEAF_FIRST_PAGE) and the policies' 3
        old_job_get = 1 if e.shape == "b" else 0
        assert e.bedrock_calls == e.summed_calls == q.bedrock_calls + 4 + old_job_get + 3
        assert e.published == 0 and e.summed_lambda_s is not None
    # and the target judges each of them
    _, passed, detail = every_kind_target(every)
    assert passed is all(e.lambda_s <= QUIET_LAMBDA_TARGET_S for e in every), detail
    _, passed, detail = sweep_calls_target(parents)
    assert passed, detail
    text = quiet_text(
        quiet, opts, fn, 10, parent_rows=quiet_parent_rows(parents, every), parent_note=QUIET_NOTE
    )
    assert "| **every kind enabled** (one monitor, median of 3 runs) | 120 | b |" in text
    assert "| knowledge-base-ingestion | 120 | a |" in text
    assert "Every kind enabled (one monitor)" in text
