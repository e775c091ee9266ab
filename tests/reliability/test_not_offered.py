"""A kind that a watched region does not offer (issue 12, item 8, second part).

Bedrock answers an operation a region does not offer as the AWS protocol answers an unrouted
operation: ``UnknownOperationException`` (HTTP 400 or 404), or a ``ValidationException`` whose
message says "Unknown operation" / "Operation unknown" / "... not supported in this region"; a
list request can also get a bare 404. Expected: told apart from "denied" and from errors, reported
once (a WARNING log, the report, the ``KindsNotOffered`` metric), remembered in the state table so
that the region is not asked again for that kind until the daily re-check, and no error: the run
completes (``RunCompleted``), so neither the error alarm nor the not-running alarm fires. Access
denied stays an error of every run.

Through the poll, the DynamoDB state store (moto) and the Bedrock simulator.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from job_monitor.poll.run import NOT_OFFERED_RECHECK, RunFailed, RunReport
from sim.local import LocalAccount
from tests.reliability.support import given_one_transition_per_kind

OPERATION = "ListEvaluationJobs"

NOT_OFFERED_ANSWERS = {
    "UnknownOperationException 404": ("UnknownOperationException", 404, None),
    "UnknownOperationException 400": ("UnknownOperationException", 400, None),
    "ValidationException: Unknown operation": ("ValidationException", 400, "Unknown operation"),
    "ValidationException: not supported in this region": (
        "ValidationException",
        400,
        "ListEvaluationJobs is not supported in this region",
    ),
    "bare 404 to a list request": ("NotFound", 404, None),
}


def _warnings(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == message]


def _metrics(report: RunReport) -> dict[str, Any]:
    """The figures the handler logs for ``report`` (``handlers.monitor.run_figures``)."""
    from job_monitor.handlers import monitor as handler

    return handler.run_figures(report)


@pytest.mark.parametrize("answer", list(NOT_OFFERED_ANSWERS))
def test_a_kind_not_offered_is_reported_once_and_not_an_error(
    account: LocalAccount, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    code, status, message = NOT_OFFERED_ANSWERS[answer]
    # Given transitions of three kinds, and a region that does not offer evaluation jobs
    expected = given_one_transition_per_kind(account)
    account.bedrock.inject(OPERATION, code, status=status, times=None, message=message)
    caplog.set_level(logging.INFO)
    # When the monitor runs
    report = account.monitor().run()
    # Then the run does not fail, and the other kinds published their transitions
    assert report.failed_kinds == []
    published = {m.body["dedupeId"] for m in account.drain()}
    assert published == {expected["model-customization"], expected["batch-inference"]}
    # And the report names the pair not offered, with what the service answered
    [pair] = report.not_offered
    assert (pair.region, pair.kind, pair.newly_not_offered) == ("us-east-1", "evaluation", True)
    assert code in (pair.not_offered or "") or "404" in (pair.not_offered or "")
    # And one WARNING says so, naming the kind, the region and when it is asked again
    [warning] = _warnings(
        caplog, "job kind is not offered in this region; not asked again until the re-check"
    )
    assert warning.levelno == logging.WARNING
    assert (warning.kind, warning.region) == ("evaluation", "us-east-1")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_kind_not_offered_is_not_asked_again_until_the_daily_recheck(
    account: LocalAccount, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a region that does not offer evaluation jobs, found by a first run
    account.bedrock.inject(OPERATION, "UnknownOperationException", status=404, times=None)
    account.monitor().run()
    assert account.bedrock.count(OPERATION) == 1
    caplog.set_level(logging.INFO)
    caplog.clear()
    # When the monitor runs every 5 minutes for almost a day
    for _ in range(int(NOT_OFFERED_RECHECK / timedelta(minutes=5)) - 1):
        account.clock.advance(minutes=5)
        report = account.monitor().run()
        # Then it makes no request for that kind, still reports it, and logs no warning
        assert [(k.kind, k.newly_not_offered) for k in report.not_offered] == [
            ("evaluation", False)
        ]
    assert account.bedrock.count(OPERATION) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # When the re-check is due and the kind is still not offered
    account.clock.advance(minutes=5)
    report = account.monitor().run()
    # Then it asks once, logs at INFO only, and remembers it for another day
    assert account.bedrock.count(OPERATION) == 2
    assert report.failed_kinds == [] and len(report.not_offered) == 1
    assert _warnings(caplog, "job kind is still not offered in this region")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    account.clock.advance(minutes=5)
    account.monitor().run()
    assert account.bedrock.count(OPERATION) == 2


def test_a_kind_offered_again_is_monitored_from_the_recheck_on(
    account: LocalAccount, caplog: pytest.LogCaptureFixture
) -> None:
    # Given evaluation jobs not offered at first (the kind never had a baseline)
    account.bedrock.inject(OPERATION, "UnknownOperationException", status=404, times=None)
    account.monitor().run()
    # And the region starts offering them, with a job running
    account.bedrock.clear_faults()
    arn = account.bedrock.create_job("evaluation", "eval-after-launch")
    caplog.set_level(logging.INFO)
    # When the re-check is due
    account.clock.advance(seconds=NOT_OFFERED_RECHECK.total_seconds())
    report = account.monitor().run()
    # Then the kind runs (its baseline), the mark is gone, and a WARNING says it is back
    [evaluation] = [k for k in report.kinds if k.kind == "evaluation"]
    assert (evaluation.baseline, evaluation.not_offered, evaluation.error) == (True, None, None)
    assert report.not_offered == []
    assert _warnings(caplog, "job kind is offered in this region again; monitoring it")
    # And its next transition is published by the next run
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Completed")
    account.drain()
    account.monitor().run()
    assert [m.body["dedupeId"] for m in account.drain()] == [f"{arn}#Completed"]


def test_access_denied_stays_an_error_of_every_run(account: LocalAccount) -> None:
    # Given evaluation jobs the role may not list
    account.bedrock.deny(OPERATION)
    for run in range(3):
        # When the monitor runs
        with pytest.raises(RunFailed) as failed:
            account.monitor().run()
        # Then every run asks again, fails and names the kind: not remembered as "not offered"
        assert [k.kind for k in failed.value.report.failed_kinds] == ["evaluation"]
        assert failed.value.report.not_offered == []
        assert account.bedrock.count(OPERATION) == run + 1
        account.clock.advance(minutes=5)


def test_a_run_with_a_kind_not_offered_counts_as_completed(account: LocalAccount) -> None:
    # Given a region that does not offer evaluation jobs
    account.bedrock.inject(OPERATION, "UnknownOperationException", status=404, times=None)
    account.monitor().run()
    account.clock.advance(minutes=5)
    # When a later run's metrics are recorded
    values = _metrics(account.monitor().run())
    # Then the run counts as completed (the not-running alarm stays quiet), with no kind error
    # (the error alarm stays quiet), and the gauge shows the pair not offered
    assert values["RunCompleted"] == 1
    assert values["KindErrors"] == 0
    assert values["KindsNotOffered"] == 1


def test_the_mark_is_per_region(account: LocalAccount) -> None:
    # Given two watched regions, of which only eu-west-1 does not offer evaluation jobs
    settings = account.settings(watch_regions=("us-east-1", "eu-west-1"))
    account.simulator("eu-west-1").inject(
        OPERATION, "UnknownOperationException", status=404, times=None
    )
    # When the monitor runs twice
    account.monitor(settings).run()
    home_calls = account.bedrock.count(OPERATION)
    account.clock.advance(minutes=5)
    report = account.monitor(settings).run()
    # Then only eu-west-1's evaluation is skipped; us-east-1 asks every run
    assert [(k.region, k.kind) for k in report.not_offered] == [("eu-west-1", "evaluation")]
    assert account.simulator("eu-west-1").count(OPERATION) == 1
    assert account.bedrock.count(OPERATION) > home_calls
