"""An event whose job identifiers differ in form from the list API's (issue 12, item 3).

Bedrock's user guide shows a customization event whose ``jobArn`` and ``resources[0]`` are
``model-customization-job/<id>``, while the list and Get APIs know the job as
``model-customization-job/<base model>/<id>``, and GetModelCustomizationJob's ``jobIdentifier``
pattern (botocore's model) takes only that form or the job name. The event path describes the job
by an identifier the service accepts and keys everything on the ARN Bedrock returns, for every kind
the real-time path accepts.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION, REGISTRY
from job_monitor.monitor import Monitor
from job_monitor.realtime.events import describe_identifier, parse_job_event
from sim.events import documented_arn, state_change_event
from sim.local import LocalAccount

EVENT_KINDS = [k for k, kind in REGISTRY.items() if kind.event_detail_type]
FIRST_STATUS = {"model-customization": "InProgress", "batch-inference": "Submitted"}
GET = {
    "model-customization": "GetModelCustomizationJob",
    "batch-inference": "GetModelInvocationJob",
}

ACCOUNT = "111122223333"
LISTED_ARN = (
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/"
    "amazon.titan-text-express-v1:0:8k/k3j2h1g0f9e8"
)
EVENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/k3j2h1g0f9e8"
ISSUE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "2a1b3c4d-0000-4000-8000-000000000012",
    "detail-type": "Model Customization Job State Change",
    "source": "aws.bedrock",
    "account": ACCOUNT,
    "time": "2026-11-02T10:15:00Z",
    "region": "us-east-1",
    "resources": [EVENT_ARN],
    "detail": {
        "version": "0.0",
        "jobName": "claims-ft",
        "jobArn": EVENT_ARN,
        "jobStatus": "Failed",
        "failureMessage": "Training data has an invalid record.",
    },
}
"""The issue's input: the user guide sample's form, without the base-model segment."""


def monitor(account: LocalAccount) -> Monitor:
    return account.monitor(account.settings(kinds=tuple(REGISTRY[k] for k in EVENT_KINDS)))


def handle(account: LocalAccount, event: dict[str, Any]) -> Transition | None:
    """What the events function does with one event: parse it, then observe the job."""
    job_event = parse_job_event(copy.deepcopy(event), REGISTRY.values())
    return monitor(account).observe(job_event)


def get_identifiers(account: LocalAccount, kind: str) -> list[str]:
    param = REGISTRY[kind].detail_id_param
    return [params[param] for name, params in account.bedrock.calls if name == GET[kind]]


def the_issues_job(account: LocalAccount) -> str:
    """claims-ft, as the list API knows it, in account 1111-2222-3333, tracked and running."""
    account.bedrock.account_id = ACCOUNT
    arn = account.bedrock.create_job(
        "model-customization",
        "claims-ft",
        status="InProgress",
        base_model="amazon.titan-text-express-v1:0:8k",
        job_id="k3j2h1g0f9e8",
    )
    assert arn == LISTED_ARN
    monitor(account).run()
    account.clock.advance(minutes=1)
    return arn


def test_the_documented_customization_event_alerts_once_keyed_on_bedrocks_arn(
    account: LocalAccount,
):
    # Given the job claims-ft, tracked by the poll under the list API's ARN, which then fails
    the_issues_job(account)
    account.bedrock.set_status(LISTED_ARN, "Failed", failure_message="invalid record")
    account.bedrock.reset_calls()
    # When the event in the user guide's form arrives (its ARN has no base-model segment)
    published = handle(account, ISSUE_EVENT)
    # Then the job is described once, by its name (the service refuses that ARN form) ...
    assert get_identifiers(account, "model-customization") == ["claims-ft"]
    # ... and its transition is published once, keyed on the ARN Bedrock returned
    assert published is not None
    assert published.dedupe_id == f"{LISTED_ARN}#Failed"
    [message] = account.drain()
    assert message.transition == ("claims-ft", "InProgress", "Failed")
    assert message.body["jobArn"] == LISTED_ARN
    assert message.body["dedupeId"] == f"{LISTED_ARN}#Failed"
    assert "invalid record" in str(message.body)
    # And the same event again, and the next scheduled run, publish nothing
    assert handle(account, ISSUE_EVENT) is None
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert account.drain() == []


@pytest.mark.parametrize("arn_form", ["listed", "documented"])
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_event_kind_in_either_arn_form_alerts_once_and_the_poll_repeats_nothing(
    account: LocalAccount, kind: str, arn_form: Any
):
    # Given a tracked job of the kind that fails
    arn = account.bedrock.create_job(kind, f"{kind}-job", status=FIRST_STATUS[kind])
    monitor(account).run()
    account.clock.advance(minutes=1)
    account.bedrock.set_status(arn, "Failed", failure_message="bad input")
    account.bedrock.reset_calls()
    # When its event arrives with the job's ARN in the given form
    event = state_change_event(account.bedrock, arn, arn_form=arn_form)
    published = handle(account, event)
    # Then one Get, by an identifier the service accepts, and one alert keyed on Bedrock's ARN
    [identifier] = get_identifiers(account, kind)
    assert REGISTRY[kind].accepts_identifier(identifier)
    assert published is not None
    assert published.dedupe_id == f"{arn}#Failed"
    assert [m.transition for m in account.drain()] == [
        (f"{kind}-job", FIRST_STATUS[kind], "Failed")
    ]
    # And the next scheduled run publishes nothing
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert account.drain() == []


@pytest.mark.parametrize("arn_form", ["listed", "documented"])
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_a_late_event_in_either_form_after_the_poll_publishes_nothing(
    account: LocalAccount, kind: str, arn_form: Any
):
    # Given a job whose completion the poll already reported
    arn = account.bedrock.create_job(kind, f"{kind}-job", status=FIRST_STATUS[kind])
    monitor(account).run()
    account.clock.advance(minutes=1)
    account.bedrock.set_status(arn, "Completed")
    monitor(account).run()
    assert len(account.drain()) == 1
    # When its event arrives late, then it finds the poll's record under Bedrock's ARN
    assert handle(account, state_change_event(account.bedrock, arn, arn_form=arn_form)) is None
    assert account.drain() == []


def test_a_new_job_first_seen_in_the_documented_form_is_followed_under_bedrocks_arn(
    account: LocalAccount,
):
    # Given a baseline, then a new customization job whose first event has the short ARN
    monitor(account).run()
    account.clock.advance(minutes=1)
    arn = account.bedrock.create_job("model-customization", "fresh", status="InProgress")
    event = state_change_event(account.bedrock, arn, arn_form="documented")
    assert handle(account, event) is not None
    assert [m.transition for m in account.drain()] == [("fresh", None, "InProgress")]
    # When the poll runs, it does not report the job as new again, and reports its next step
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert account.drain() == []
    account.bedrock.set_status(arn, "Completed")
    account.clock.advance(minutes=5)
    monitor(account).run()
    assert [m.transition for m in account.drain()] == [("fresh", "InProgress", "Completed")]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_an_event_for_a_job_bedrock_does_not_know_is_dropped_after_one_get(
    account: LocalAccount, kind: str
):
    # Given a baseline, and an event for a job of the kind that the account does not have
    arn = account.bedrock.create_job(kind, "ghost", status=FIRST_STATUS[kind])
    event = state_change_event(account.bedrock, arn, arn_form="documented")
    account.bedrock.delete_job(arn)
    monitor(account).run()
    account.bedrock.reset_calls()
    # When it arrives, then nothing is published and nothing raises (no retries, no DLQ)
    assert handle(account, event) is None
    assert account.drain() == []
    # And it cost one Get (404), not a validation error
    assert [name for name, _ in account.bedrock.calls] == [GET[kind]]


def test_a_customization_event_with_the_short_arn_and_no_name_is_dropped_without_a_call(
    account: LocalAccount,
):
    # Given the issue's event without its job name: no identifier the Get accepts is left
    event = copy.deepcopy(ISSUE_EVENT)
    del event["detail"]["jobName"]
    account.bedrock.account_id = ACCOUNT
    monitor(account).run()
    account.bedrock.reset_calls()
    # When it arrives, then it is dropped (the poll reports the job) without asking Bedrock
    assert handle(account, event) is None
    assert account.bedrock.calls == []
    assert account.drain() == []


# -- which identifier, pure -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "arns", "name", "expected"),
    [
        # Model customization: the list API's ARN, else the job name (never the short ARN)
        (MODEL_CUSTOMIZATION, [LISTED_ARN], "claims-ft", LISTED_ARN),
        (MODEL_CUSTOMIZATION, [EVENT_ARN], "claims-ft", "claims-ft"),
        (MODEL_CUSTOMIZATION, [EVENT_ARN, LISTED_ARN], "claims-ft", LISTED_ARN),
        (MODEL_CUSTOMIZATION, [EVENT_ARN], None, None),
        (MODEL_CUSTOMIZATION, [EVENT_ARN], "not a name!", None),
        # Batch inference: its ARN, else its id; never the name (the pattern takes no name)
        (
            BATCH_INFERENCE,
            ["arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghwxyz"],
            "dummy-batch-job-name",
            "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghwxyz",
        ),
        (
            BATCH_INFERENCE,
            ["arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:model-invocation-job/abcdefghwxyz"],
            None,
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:model-invocation-job/abcdefghwxyz",
        ),
        (
            BATCH_INFERENCE,
            ["arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/test-job"],
            "test-job",
            None,
        ),
    ],
)
def test_the_identifier_is_the_first_the_detail_operation_accepts(kind, arns, name, expected):
    assert describe_identifier(kind, arns, name) == expected


def test_the_issues_event_is_parsed_to_its_arn_and_described_by_its_name():
    job_event = parse_job_event(copy.deepcopy(ISSUE_EVENT), REGISTRY.values())
    assert job_event.arn == EVENT_ARN  # as the event gives it: logged only
    assert job_event.name == "claims-ft"
    assert job_event.identifier == "claims-ft"
    assert job_event.status == "Failed"


def test_the_batch_samples_identifiers_are_read_from_its_documented_fields():
    # The user guide's batch sample: batchJobArn and batchJobName in the detail
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghwxyz"
    event = {
        "version": "0",
        "id": "1234abcd-ab12-123a-123a-1234567890ab",
        "detail-type": "Batch Inference Job State Change",
        "source": "aws.bedrock",
        "account": "123456789012",
        "time": "Wed Aug 28 22:58:30 UTC 2024",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "version": "0.0",
            "accountId": "123456789012",
            "batchJobName": "dummy-batch-job-name",
            "batchJobArn": arn,
            "batchModelId": "anthropic.claude-3-haiku-20240307-v1:0",
            "status": "Completed",
        },
    }
    job_event = parse_job_event(event, REGISTRY.values())
    assert (job_event.arn, job_event.name, job_event.identifier) == (
        arn,
        "dummy-batch-job-name",
        arn,
    )
    # And with the ARN in resources only, the same
    del event["detail"]["batchJobArn"]
    assert parse_job_event(event, REGISTRY.values()).identifier == arn


def test_the_simulated_documented_form_is_the_user_guides(account: LocalAccount):
    arn = account.bedrock.create_job("model-customization", "tune", job_id="abcdefghwxyz")
    assert documented_arn(account.bedrock, arn) == (
        "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abcdefghwxyz"
    )
    batch = account.bedrock.create_job("batch-inference", "batch")
    assert documented_arn(account.bedrock, batch) == batch
