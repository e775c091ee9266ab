"""The benchmark (make bench) at a small size, so its targets are checked in CI.

Small histories, a smaller busy run and no memory rounds keep it to a few seconds; the full
benchmark (100,000 jobs per kind) is `make bench`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pytest

from sim import bench, bench_lambda
from sim.bedrock import SPECS
from sim.bench_lambda import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    MB,
    SDK_LAYER_COLD_START_TARGET,
    build_sdk_layer,
    cold_start,
    function_config,
    sdk_layer_cost,
)
from sim.local import TABLE_NAME, local_account
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
    # When the targets are checked (cold start: not measured here, see the next test)
    results = bench.targets(cells, opts, None)
    # Then none fails; the ratios at H=100,000 (modelled and measured), the cold start and the
    # SDK layer are not checked here
    verdicts = {t.name: t.verdict for t in results}
    assert "FAIL" not in verdicts.values(), results
    assert list(verdicts.values()).count("SKIP") == 6, results


def test_cold_start_figures_are_measured():
    # Given fresh interpreters (only functions/ on the path, the monitor's environment faked)
    cold = cold_start(1)
    # Then all four times exist and are positive: (a) import boto3, (b) + the same 3 clients,
    # (c) the handler import, (d) the handler import + its first invocation's clients. The
    # ratio is not asserted: it depends on the machine (make bench checks it).
    times = (cold.boto3_s, cold.boto3_clients_s, cold.handler_s, cold.handler_clients_s)
    assert all(t > 0 for t in times), cold
    assert cold.ratio > 0 and cold.ratio_to_clients > 0
    assert cold.base_rss_bytes > 0
    # And two targets are stated: the (the handler import (c) against (a)), and the whole
    # cold start (d) against what any function building the same clients pays (b), with (d)
    # against (a) shown too
    opts, _ = bench.parse_args(SMALL)
    checked = bench.targets([], opts, cold)
    (literal,) = [t for t in checked if t.name.startswith("Handler import")]
    (whole,) = [t for t in checked if t.name.startswith("Cold start")]
    assert literal.passed is (cold.paired_handler_ratio <= bench.COLD_START_TARGET)
    assert whole.passed is (cold.paired_ratio_to_clients <= bench.COLD_START_TARGET)
    assert cold.paired_ratio_to_clients == pytest.approx(cold.ratio_to_clients)  # one round
    assert f"{cold.ratio:.2f}x" in whole.detail
    assert f"{cold.paired_ratio_to_clients:.2f}x (median of 1 interleaved" in whole.detail
    assert f"{cold.ratio_to_clients:.2f}x" in whole.detail


DRIFTING = [(1.0, 1.5), (2.0, 2.2), (3.0, 6.0)]
"""Three interleaved rounds of (base, ours) where both drift together (a slow spell in the last
round hits both): the rounds' ratios 1.5, 1.1 and 2.0 have the median 1.5, the medians' ratio is
2.2 / 2.0 = 1.1."""


def test_the_cold_start_targets_judge_the_median_of_each_rounds_ratio(monkeypatch):
    # Given rounds where (a) and (c), (b) and (d) drift together
    rounds = iter(DRIFTING * 2)
    current: dict[str, float] = {}

    def probe(code: str, **_: object) -> float:
        if "resource" in code:  # the memory probe's RSS
            return 1.0
        if "_clients()" in code:  # (d), the last of a round
            return current["d"]
        if "h; h." not in code and f"import {bench_lambda.HANDLER_MODULE}" in code:  # (c)
            return current["c"]
        if "s.client(" in code:  # (b)
            return current["b"]
        # (a), the first of a round
        (current["a"], current["c"]), (current["b"], current["d"]) = next(rounds), next(rounds)
        return current["a"]

    monkeypatch.setattr(bench_lambda, "_probe", probe)
    # When the cold start is measured
    cold = bench_lambda.cold_start(3)
    # Then both targets' figures are the medians of the rounds' ratios, not the medians' ratios
    assert cold.paired_ratio_to_clients == pytest.approx(1.5)
    assert cold.ratio_to_clients == pytest.approx(1.1)
    assert cold.paired_handler_ratio == pytest.approx(1.5)
    assert cold.handler_s / cold.boto3_s == pytest.approx(1.1)


def test_the_sdk_layer_target_judges_the_median_of_each_rounds_ratio(monkeypatch, tmp_path):
    # Given rounds where the precompiled SDK and the layer's drift together
    rounds = iter(DRIFTING)
    current: list[float] = []

    def probe(code: str, *, python_path: object = None, bytecode: bool = True) -> float:
        if not bytecode:  # the layer's, the first of a round
            precompiled, layer = next(rounds)
            current[:] = [precompiled]
            return layer
        return current[0]

    monkeypatch.setattr(bench_lambda, "_probe", probe)
    # When the layer's cost is measured
    layer = bench_lambda.sdk_layer_cost(3, tmp_path)
    # Then the target's figure is the median of the rounds' ratios
    assert layer.paired_ratio == pytest.approx(1.5)
    assert layer.ratio == pytest.approx(1.1)


def test_the_accounts_are_measured_one_at_a_time_by_default():
    assert bench.parse_args([])[1].jobs == 1


@pytest.mark.slow
def test_the_sdk_layer_figures_are_measured_with_the_layers_sdk(
    tmp_path_factory: pytest.TempPathFactory,
):
    # Given the SDK layer built as the synth builds it (pip: the pinned requirements/sdk.txt)
    site = build_sdk_layer(tmp_path_factory.mktemp("sdk-layer"))
    assert (site / "botocore" / "__init__.py").is_file()
    assert not list(site.rglob("*.pyc")), "the layer ships no bytecode"
    # When its cost is measured (the probe itself asserts botocore came from the layer)
    layer = sdk_layer_cost(1, site)
    # Then the size and times are real figures, and both targets are stated with them
    assert layer.pins["botocore"] and layer.pins["boto3"]
    assert 0 < layer.zipped_bytes < layer.unzipped_bytes < LAMBDA_UNZIPPED_LIMIT_BYTES
    assert layer.files > 1000
    assert layer.handler_clients_s > 0 and layer.precompiled_s > 0
    size, time = bench.sdk_layer_targets(layer)
    assert size.passed is True
    assert f"{layer.unzipped_bytes / MB:.1f} MB unzipped" in size.detail
    assert time.passed is (layer.paired_ratio <= SDK_LAYER_COLD_START_TARGET)
    assert f"{layer.paired_ratio:.2f}x (median of" in time.detail
    assert f"{layer.ratio:.2f}x" in time.detail
    assert f"{layer.zipped_bytes / MB:.1f} MB zipped" in bench.sdk_layer_text(layer)


def test_the_ratio_target_says_it_is_modelled():
    opts, _ = bench.parse_args(SMALL)
    kind = opts.kinds[0]
    opts = replace(opts, kinds=(kind,))
    cell = bench.Cell(bench.RATIO_AT, "a", "quiet", _figures(kind, 1), _figures(kind, 101))
    cell.naive = replace(_figures(kind, 101), modelled=True)
    (ratio, measured, _, _, _, _) = bench.targets([cell], opts, None)[-6:]
    assert ratio.verdict == "PASS (modelled: page arithmetic, naive run for real up to H=1,000)"
    assert measured.verdict == "SKIP"
    naive = bench.NaiveMeasured(kind, bench.RATIO_AT, _figures(kind, 101), 1.0)
    measured = bench.targets([cell], opts, None, naive)[-5]
    assert measured.verdict == "PASS (measured)"
    assert measured.detail.startswith("101 / 1 = 101x")


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


def test_the_meters_own_counting_is_not_the_monitors_cpu(monkeypatch):
    # Given a meter on the state table's client whose item sizing takes 30 ms of CPU per answer
    def slow_item_bytes(item):
        started = time.thread_time()
        while time.thread_time() - started < 0.03:
            pass
        return 1

    monkeypatch.setattr(bench, "item_bytes", slow_item_bytes)
    with local_account(validate_requests=False) as acct:
        dynamodb = acct.clients["dynamodb"]
        dynamodb.put_item(TableName=TABLE_NAME, Item={"pk": {"S": "p"}, "sk": {"S": "s"}})
        meter = bench.Meter()
        meter.attach(dynamodb)
        # When a Query that answers one item is made
        started = time.thread_time()
        dynamodb.query(
            TableName=TABLE_NAME,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
        )
        spent = time.thread_time() - started
    # Then the sizing's time is taken off with moto's: what is left is the client's own
    assert meter.bytes_read == 1
    assert meter.excluded_s >= 0.03
    assert 0 <= spent - meter.excluded_s < 0.03
