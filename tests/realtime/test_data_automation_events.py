"""Bedrock Data Automation invocations on the real-time path (issue 13, item 5).

They have no list API, so their EventBridge events are their only source: one detail-type per
outcome, no ARN and no name in the event (the user guide's sample). The monitor builds the job from
the event and sends it through the same claim -> publish -> commit as every transition: a repeated
event publishes nothing, a late "Created" after the outcome is stale, and no Bedrock call is made.
A lost event is not recovered (nothing to poll).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from job_monitor.domain.kinds import DATA_AUTOMATION, REGISTRY
from job_monitor.monitor import Monitor
from job_monitor.realtime.events import InvalidEvent, parse_job_event
from sim.events import DataAutomationOutcome, data_automation_event
from sim.local import TABLE_NAME, LocalAccount

JOB_ID = "25010344-03f7-4167-803a-837afdc7ce98"
ARN = f"arn:aws:bedrock:us-east-1:123456789012:data-automation-invocation/{JOB_ID}"


def monitor(account: LocalAccount) -> Monitor:
    kinds = (DATA_AUTOMATION, REGISTRY["model-customization"])
    return account.monitor(account.settings(kinds=kinds))


def deliver(account: LocalAccount, outcome: DataAutomationOutcome, **extra):
    event = data_automation_event(outcome, job_id=JOB_ID, at=account.clock.now, **extra)
    return monitor(account).observe(parse_job_event(event, REGISTRY.values()))


# -- reading the event (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("Created", "Submitted"),
        ("Succeeded", "Completed"),
        ("ClientError", "Failed"),
        ("ServiceError", "Failed"),
    ],
)
def test_each_detail_type_is_one_status(outcome, status, account: LocalAccount) -> None:
    event = data_automation_event(outcome, job_id=JOB_ID, at=account.clock.now)
    job_event = parse_job_event(event, REGISTRY.values())
    assert job_event.kind is DATA_AUTOMATION
    assert job_event.job is not None
    assert (job_event.job.arn, job_event.job.status) == (ARN, status)
    assert job_event.job.name == "claims/2026-11/scan-0042.pdf"
    assert job_event.identifier is None  # nothing to describe


def test_a_failure_says_whose_error_it_was_and_a_success_where_the_output_is(
    account: LocalAccount,
) -> None:
    at = account.clock.now
    client = parse_job_event(
        data_automation_event("ClientError", job_id=JOB_ID, at=at, error_message="Unsupported PDF"),
        REGISTRY.values(),
    ).job
    service = parse_job_event(
        data_automation_event("ServiceError", job_id=JOB_ID, at=at), REGISTRY.values()
    ).job
    done = parse_job_event(
        data_automation_event("Succeeded", job_id=JOB_ID, at=at), REGISTRY.values()
    ).job
    assert client is not None and service is not None and done is not None
    assert client.failure_messages == ("Failed with a client error: Unsupported PDF",)
    assert service.failure_messages == ("Failed with a service error.",)
    assert done.output_location == f"s3://claims-extracted/out/{JOB_ID}"
    assert client.output_location is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"detail": {"job_id": "../../etc"}}, "detail.job_id"),
        ({"time": "Wed Aug 28 22:58:30 UTC 2024"}, "time"),
        ({"account": "me"}, "account"),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field(change, message, account) -> None:
    event = data_automation_event("Succeeded", job_id=JOB_ID, at=account.clock.now)
    for key, value in change.items():
        event[key] = {**event[key], **value} if isinstance(value, dict) else value
    with pytest.raises(InvalidEvent, match=message):
        parse_job_event(event, REGISTRY.values())


def test_the_events_are_not_taken_when_the_kind_is_off(account: LocalAccount) -> None:
    event = data_automation_event("Succeeded", job_id=JOB_ID, at=account.clock.now)
    with pytest.raises(InvalidEvent, match="not a monitored job kind's event"):
        parse_job_event(event, [REGISTRY["model-customization"]])


# -- through the monitor ------------------------------------------------------------------------


def test_created_then_succeeded_publishes_two_transitions_and_calls_no_bedrock_api(
    account: LocalAccount,
) -> None:
    # Given no scheduled run ever ran (no baseline is needed for an event-only kind)
    created_at = account.clock.now
    # When the Created event arrives, then the outcome ten minutes later
    first = deliver(account, "Created")
    account.clock.advance(minutes=10)
    second = deliver(account, "Succeeded")
    # Then both are published, the second from the first, with the duration between them
    assert first is not None and second is not None
    started, done = account.drain()
    assert started.transition == ("claims/2026-11/scan-0042.pdf", None, "Submitted")
    assert done.transition == ("claims/2026-11/scan-0042.pdf", "Submitted", "Completed")
    assert done.body["jobArn"] == ARN and done.body["kind"] == "data-automation"
    assert done.body["durationSeconds"] == 600
    assert done.body["createdAt"] == created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert done.body["outputLocation"] == f"s3://claims-extracted/out/{JOB_ID}"
    assert done.attributes["status"] == "Completed"
    assert account.bedrock.count() == 0


def test_a_repeated_or_late_event_publishes_nothing_more(account: LocalAccount) -> None:
    deliver(account, "Created")
    account.clock.advance(minutes=1)
    deliver(account, "ClientError", error_message="Encrypted document")
    # When the failure event is delivered again, and the Created event arrives late
    account.clock.advance(minutes=1)
    assert deliver(account, "ClientError", error_message="Encrypted document") is None
    assert deliver(account, "Created") is None
    # Then only the first two were published, the failure once, with its message
    messages = account.drain()
    assert [m.transition[2] for m in messages] == ["Submitted", "Failed"]
    assert messages[1].body["failureMessages"] == ["Failed with a client error: Encrypted document"]


def test_an_outcome_without_its_created_event_is_reported_as_new(account: LocalAccount) -> None:
    # Given the Created event was lost (best-effort delivery)
    assert deliver(account, "ServiceError") is not None
    (message,) = account.drain()
    assert message.transition == ("claims/2026-11/scan-0042.pdf", None, "Failed")
    assert message.body["failureMessages"] == ["Failed with a service error."]


def test_the_scheduled_run_has_nothing_to_list_for_the_kind(account: LocalAccount) -> None:
    # Given a Data Automation job known from its event
    deliver(account, "Created")
    account.drain()
    # When scheduled runs happen
    report = monitor(account).run()
    account.clock.advance(minutes=5)
    monitor(account).run()
    # Then the kind is not part of them: a lost outcome event is not recovered
    assert [k.kind for k in report.kinds] == ["model-customization"]
    assert account.drain() == []
    assert {name for name, _ in account.bedrock.calls} == {"ListModelCustomizationJobs"}


def test_its_items_expire_and_a_finished_job_leaves_the_partition_every_run_reads(
    account: LocalAccount,
) -> None:
    def items() -> list[dict]:
        found = account.clients["dynamodb"].scan(TableName=TABLE_NAME)["Items"]
        return [item for item in found if JOB_ID in str(item)]

    # Given the Created event was handled
    deliver(account, "Created")
    # Then the job's record and its running item both expire (the finished-job TTL): an outcome
    # event that is lost leaves nothing for ever
    days = account.settings().finished_job_ttl_days
    ttl = int((account.clock.now + timedelta(days=days)).timestamp())
    assert len(items()) == 2
    assert all(int(item["expires_at"]["N"]) == ttl for item in items())
    # When the outcome arrives, Then only the record is left (no watermark would remove a
    # finished job's item from the partition that every scheduled run reads)
    account.clock.advance(minutes=3)
    deliver(account, "Succeeded")
    (record,) = items()
    assert record["pk"]["S"] == f"job#{ARN}"
