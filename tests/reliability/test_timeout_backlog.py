"""A large backlog with the invocation nearing its timeout (issue 5, item 8).

The Lambda handler passes ``context.get_remaining_time_in_millis`` to the monitor; here a
callable stands for it and runs out after a fixed number of publishes per run. The monitor must
stop before the margin, leave its state consistent, say the run was truncated, and let the next
runs continue where it stopped: every transition exactly once, in order per job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.monitor import Monitor
from job_monitor.ports import Published
from sim.local import LocalAccount

BACKLOG = 1_200
PER_RUN = 400
"""Publishes an invocation has time for."""


def monitor_with_budget(account: LocalAccount, publishes: int, batch: int) -> Monitor:
    """A monitor delivering ``batch`` transitions together whose invocation has 100 s left until
    ``publishes`` messages went out (one per Publish, or as many as a PublishBatch accepted), then
    5 s (under the 20 s margin)."""
    published = [0]

    def remaining_seconds() -> float:
        return 100.0 if published[0] < publishes else 5.0

    monitor = account.monitor(
        account.settings(delivery_batch=batch), remaining_seconds=remaining_seconds
    )
    publisher = monitor.publisher
    publish, publish_many = publisher.publish, publisher.publish_many

    def counted(message: SnsMessage) -> str:
        message_id = publish(message)
        published[0] += 1
        return message_id

    def counted_many(messages: Sequence[SnsMessage]) -> Published:
        result = publish_many(messages)
        published[0] += sum(message_id is not None for message_id in result.ids)
        return result

    publisher.publish = counted  # type: ignore[method-assign]
    publisher.publish_many = counted_many  # type: ignore[method-assign]
    return monitor


# 400 publishes a run is a whole number of batches of 50: the budget, checked before each batch,
# stops both paths at the same transition.
@pytest.mark.parametrize(
    "batch", [pytest.param(1, id="one-at-a-time"), pytest.param(50, id="batched")]
)
def test_backlog_larger_than_one_invocation_is_worked_off_over_several_runs(
    account: LocalAccount, batch: int
):
    # Given a baseline with one running evaluation job...
    clock, bedrock = account.clock, account.bedrock
    bedrock.create_job("model-customization", "old", status="Completed")
    evaluation = bedrock.create_job("evaluation", "eval")
    account.monitor().run()
    # ...then 1,200 new customization jobs over 30 minutes (twice the lookback window), a third
    # of them already finished, and the evaluation job completing
    start = clock.advance(minutes=35) - timedelta(minutes=31)
    names = [f"job-{i:04d}" for i in range(BACKLOG)]
    arns = {
        name: bedrock.create_job(
            "model-customization",
            name,
            status="Completed" if i % 3 == 0 else "InProgress",
            created_at=start + timedelta(seconds=1.5 * i),
        )
        for i, name in enumerate(names)
    }
    bedrock.set_status(evaluation, "Completed")
    # When a run has time for 400 publishes
    report = monitor_with_budget(account, PER_RUN, batch).run()
    # Then it stops cleanly (no error), says it was truncated, and left the later kinds for later
    assert report.truncated
    assert len(report.published) == PER_RUN
    assert report.failed_kinds == []
    assert [t.job.name for t in report.published] == names[:PER_RUN]
    # When some of the jobs it reported finish, and the next runs come
    finished = [n for n in names[:PER_RUN] if bedrock_status(account, arns[n]) == "InProgress"][:10]
    for name in finished:
        bedrock.set_status(arns[name], "Failed", failure_message="out of capacity")
    reports = []
    for _ in range(4):
        clock.advance(minutes=5)
        reports.append(monitor_with_budget(account, PER_RUN, batch).run())
    # Then they continue where the first stopped, until the backlog is done
    assert [len(r.published) for r in reports] == [PER_RUN, PER_RUN, 11, 0]
    assert [r.truncated for r in reports] == [True, True, False, False]
    # ...every transition exactly once...
    delivered = account.drain()
    counts: dict[str, int] = {}
    for message in delivered:
        counts[message.body["dedupeId"]] = counts.get(message.body["dedupeId"], 0) + 1
    assert set(counts.values()) == {1}
    assert len(counts) == BACKLOG + len(finished) + 1
    # ...new jobs in creation order, and per job first seen, then failed
    new = [m.body["jobName"] for m in delivered if m.body.get("previousStatus") is None]
    assert new == names
    for name in finished:
        steps = [m.transition for m in delivered if m.body["jobName"] == name]
        assert steps == [(name, None, "InProgress"), (name, "InProgress", "Failed")]
    assert [m.transition for m in delivered if m.body["kind"] == "evaluation"] == [
        ("eval", "InProgress", "Completed")
    ]


def bedrock_status(account: LocalAccount, arn: str) -> str:
    client = account.clients["bedrock"]
    return str(client.get_model_customization_job(jobIdentifier=arn)["status"])
