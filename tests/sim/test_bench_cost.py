"""The cost model of a quiet month (sim/bench_cost.py, issue 16 goal 3): its counts come from the
synthesized default template and the handlers' code, so they cannot drift from the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import bench_cost
from sim.bench_cost import QuietRun, StackBill, custom_metrics_of, monthly_bill, stack_bill

pytestmark = pytest.mark.slow  # one synth of the default stack


@pytest.fixture(scope="module")
def default_bill(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackBill, QuietRun]:
    # The quiet run's figures as the benchmark measures them at its largest H (0.65 s of Lambda)
    quiet = QuietRun(lambda_s=0.65, rru=1.0, wru=1.0, publishes=0, log_bytes=0, log_events=0)
    return bench_cost.measure(tmp_path_factory.mktemp("cdk.out"), quiet)


def test_the_default_stack_is_counted_from_its_template(
    default_bill: tuple[StackBill, QuietRun],
) -> None:
    bill, run = default_bill
    # Every alarm watches free AWS metrics; the dead-man's switch analyses 2 of them
    assert bill.composite_alarms == 0
    assert bill.alarms["SelfMonitoringMonitorStoppedRunningDB835E66"] == 2
    assert bill.alarm_metrics == len(bill.alarms) + 1
    # No subscription in the default stack: nothing can reach the subscription dead-letter
    # queue, so it has no alarm
    assert not [a for a in bill.alarms if "SubscriptionDeadLetterQueue" in a]
    # One scheduled function, every minute; the events function idles in a quiet month
    [scheduled] = [f for f in bill.functions if f.runs_per_month]
    assert scheduled.handler == "job_monitor.handlers.monitor.handler"
    assert scheduled.runs_per_month == 30 * 24 * 60
    # No custom metric from any deployed function, no secret without Slack
    assert sum(custom_metrics_of(f.handler) for f in bill.functions) == 0
    assert bill.secrets == 0
    assert bill.kms_keys == 1
    assert bill.key_rotation_days == (365,)  # read from the template (key_rotation_days)
    # The quiet run's log records were measured (the figures record at least)
    assert run.log_events >= 1 and run.log_bytes > 200


def test_a_quiet_month_costs_at_most_two_dollars(
    default_bill: tuple[StackBill, QuietRun],
) -> None:
    bill, run = default_bill
    passed, detail = bench_cost.cost_target(bill, run)
    lines = monthly_bill(bill, run)
    assert passed, detail
    assert lines["cloudwatch metrics"] == 0
    assert lines["cloudwatch alarms"] == pytest.approx(0.10 * bill.alarm_metrics)
    assert lines["kms"] >= 1.0
    text = bench_cost.cost_text(bill, run)
    assert f"**${sum(lines.values()):.2f}**" in text
    # The sweep of an account with knowledge bases: 50 calls x 50 ms in each of 43,200 runs
    assert bench_cost.sweep_month(bill, 50, 0.05) == pytest.approx(
        43_200 * 2.5 * 0.25 * bench_cost.PRICES["lambda_gb_s_arm64"]
    )


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def test_alarms_are_billed_per_metric_and_composites_apart() -> None:
    # Given a plain alarm, a metric math alarm over 3 metrics and a composite
    template = _template(
        Plain={"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}},
        Math={
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Metrics": [
                    {"Id": "e", "Expression": "a + b + c"},
                    *({"Id": i, "MetricStat": {}} for i in "abc"),
                ]
            },
        },
        Both={"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {}},
    )
    bill = stack_bill(template)
    # Then the math alarm is 3 alarm metrics, and the composite is $0.50
    assert bill.alarms == {"Plain": 1, "Math": 3}
    lines = monthly_bill(bill, QuietRun(0, 0, 0, 0, 0, 0))
    assert lines["cloudwatch alarms"] == pytest.approx(0.40 + 0.50)


def test_a_schedule_sets_the_runs_of_its_function() -> None:
    template = _template(
        Fn={
            "Type": "AWS::Lambda::Function",
            "Properties": {"Handler": "job_monitor.handlers.monitor.handler", "MemorySize": 512},
        },
        Every5={
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "Target": {"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}},
            },
        },
    )
    [fn] = stack_bill(template).functions
    assert (fn.runs_per_month, fn.memory_mb, fn.architecture) == (8640, 512, "x86_64")
    with pytest.raises(ValueError, match="not modelled"):
        bench_cost._runs_per_month("cron(0 8 * * ? *)")


def test_the_code_scan_counts_metric_calls_and_refuses_per_value_dimensions(
    tmp_path: Path,
) -> None:
    # The notifier still emits one metric per delivery outcome
    assert custom_metrics_of("job_monitor.handlers.slack_notifier.lambda_handler") == 4
    # A metric call with a names.METRIC_* name is one metric; a dimension per value is refused
    (tmp_path / "one.py").write_text(
        "metrics.add_metric(names.METRIC_API_CALLS, MetricUnit.Count, 1)\n"
    )
    assert custom_metrics_of("job_monitor.handlers.one.handler", tmp_path) == 1
    (tmp_path / "many.py").write_text(
        "with single_metric(name=names.METRIC_X) as m:\n    m.add_dimension('kind', kind)\n"
    )
    with pytest.raises(ValueError, match="dimension per value"):
        custom_metrics_of("job_monitor.handlers.many.handler", tmp_path)


@pytest.mark.parametrize(
    ("period", "age_days", "key_months"),
    [
        (365, 0, 1),
        (365, 364, 1),
        (365, 365, 2),
        (365, 730, 3),
        (365, 4000, 3),  # rotations after the second one are not billed
        (2560, 2559, 1),
        (2560, 2560, 2),
        (90, 180, 3),
    ],
)
def test_the_keys_charge_rises_after_each_of_its_first_two_rotations(
    period: int, age_days: int, key_months: int
) -> None:
    bill = StackBill(
        alarms={},
        composite_alarms=0,
        dashboards=0,
        kms_keys=1,
        secrets=0,
        functions=(),
        log_retention_days=90,
        key_rotation_days=(period,),
    )
    assert bill.key_months(age_days) == key_months
    assert bill.key_month_rises() == [period, 2 * period]
