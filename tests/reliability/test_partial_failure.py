"""One job kind denied or failing: the others are unaffected, and the error shows in the logs, the
run report and the metrics (issue 5, item 4). A kind the region does not offer is not an error:
tests/reliability/test_not_offered.py."""

from __future__ import annotations

import logging

import pytest

from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount
from tests.reliability.support import given_one_transition_per_kind


@pytest.mark.parametrize(
    ("code", "status", "log_message"),
    [
        # IAM denies the list action (policy missing, or an SCP)
        ("AccessDeniedException", 403, "job kind unavailable; other kinds continue"),
        # (a 404 to a list request means "not offered here": tests/reliability/test_not_offered.py)
        # a 409 with a code the adapter does not know is a plain failure, still isolated
        ("ConflictException", 409, "job kind failed; other kinds continue"),
    ],
    ids=["access-denied", "unknown-error"],
)
def test_one_kind_failing_leaves_the_others_working_and_shows_in_logs_and_report(
    account: LocalAccount, caplog, code, status, log_message
):
    # Given transitions of all three kinds, and evaluation jobs that cannot be listed
    expected = given_one_transition_per_kind(account)
    account.bedrock.inject("ListEvaluationJobs", code, status=status, times=None)
    # When the monitor runs
    caplog.set_level(logging.INFO)
    with pytest.raises(RunFailed, match=f"evaluation in us-east-1: .*{code}") as failed:
        account.monitor().run()
    # Then the other kinds published their transitions
    published = {m.body["dedupeId"] for m in account.drain()}
    assert published == {expected["model-customization"], expected["batch-inference"]}
    # ...the report names the failed kind and its error code
    report = failed.value.report
    [kind_report] = report.failed_kinds
    assert kind_report.kind == "evaluation"
    assert code in (kind_report.error or "")
    # ...and an ERROR log line names the kind
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == log_message
    assert record.kind == "evaluation"
    # And a later run, once the kind is available again, reports its transition: nothing lost
    account.bedrock.clear_faults()
    account.clock.advance(minutes=5)
    account.monitor().run()
    assert [m.body["dedupeId"] for m in account.drain()] == [expected["evaluation"]]


def test_a_denied_kind_is_counted_in_the_kind_errors_figure(
    account: LocalAccount,
):
    # Given a run in which evaluation jobs are denied
    given_one_transition_per_kind(account)
    account.bedrock.deny("ListEvaluationJobs")
    with pytest.raises(RunFailed) as failed:
        account.monitor().run()
    # When the handler takes the failed run's figures (it logs them before re-raising)
    from job_monitor.handlers import monitor as handler

    values = handler.run_figures(failed.value.report)
    # Then they show KindErrors = 1 next to the published count, and no completed run
    assert values["KindErrors"] == 1
    assert values["TransitionsPublished"] == 2
    assert values["RunCompleted"] == 0
