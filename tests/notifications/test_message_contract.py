"""The message contract: body fields, parse, subject, attributes, Chatbot payload, console links,
the sample transition."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from job_monitor.contracts import transition as message
from job_monitor.contracts.envelope import ContractError
from job_monitor.contracts.text import human_duration
from job_monitor.domain.kinds import BATCH_INFERENCE, EVALUATION, MODEL_CUSTOMIZATION, REGISTRY

from .conftest import ACCOUNT, NOW, REGION, make_transition

CONTRACT_FIELDS = {
    "version",
    "dedupeId",
    "kind",
    "kindLabel",
    "jobArn",
    "jobName",
    "previousStatus",
    "status",
    "terminal",
    "observedAt",
    "createdAt",
    "endedAt",
    "durationSeconds",
    "baseModel",
    "outputModel",
    "failureMessages",
    "region",
    "account",
    "consoleUrl",
}


def test_body_carries_every_contract_field_and_parses_back() -> None:
    # Given a failed customization job
    transition = make_transition(MODEL_CUSTOMIZATION, "Failed")

    # When it is rendered and parsed back
    rendered = message.render(transition)
    body = json.loads(rendered.body)
    parsed = message.parse(rendered.body)

    # Then the body has exactly the documented fields and the parsed view agrees with the job
    assert set(body) == CONTRACT_FIELDS
    assert body["version"] == message.CONTRACT_VERSION
    assert parsed.dedupe_id == transition.dedupe_id
    assert parsed.job_arn == transition.job.arn
    assert parsed.job_name == "my-finetune-job"
    assert (parsed.previous_status, parsed.status, parsed.terminal) == (
        "InProgress",
        "Failed",
        True,
    )
    assert parsed.failure_messages == transition.failure_messages
    assert parsed.created_at == transition.job.created_at
    assert parsed.duration_seconds == transition.duration_seconds
    assert (parsed.region, parsed.account) == (REGION, ACCOUNT)
    assert parsed.console_url == body["consoleUrl"]


def test_parse_ignores_unknown_fields_and_accepts_a_minor_version() -> None:
    # Given a body from a newer monitor: an extra field and version "1.3"
    body = json.loads(message.render(make_transition(EVALUATION, "Completed")).body)
    body.update({"version": "1.3", "somethingNew": {"nested": True}})

    # When the notifier parses it
    parsed = message.parse(json.dumps(body))

    # Then it reads what it knows
    assert parsed.status == "Completed"
    assert parsed.version == "1.3"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"jobName": "x"}', "no 'version'"),
        ('{"version": "2", "jobName": "x"}', "contract version '2'"),
        ('{"version": 1}', "contract version 1"),
        ("not json", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"version": "1", "kind": "evaluation"}', "'dedupeId'"),
    ],
)
def test_parse_rejects_bodies_it_cannot_read_with_a_clear_error(body: str, expected: str) -> None:
    # Given a body that is not a v1 contract message
    # When it is parsed / Then the error says what is wrong
    with pytest.raises(ContractError, match=expected):
        message.parse(body)


def test_parse_explains_a_chatbot_body() -> None:
    # Given the monitor runs in Chatbot mode
    body = message.render(make_transition(MODEL_CUSTOMIZATION, "Failed"), "chatbot").body

    # When the Slack notifier receives that body / Then the error names the setting to change
    with pytest.raises(ContractError, match="MESSAGE_FORMAT"):
        message.parse(body)


def test_attributes_say_none_for_a_new_job_and_flag_terminal_statuses() -> None:
    # Given a batch job seen for the first time, and one that completed
    new_job = make_transition(BATCH_INFERENCE, "Submitted", previous=None)
    done = make_transition(BATCH_INFERENCE, "Completed")

    # When their attributes are rendered
    # Then previousStatus is "None" (attributes cannot be null) and terminal is a string flag
    assert message.render(new_job).attributes == {
        "kind": "batch-inference",
        "status": "Submitted",
        "previousStatus": "None",
        "terminal": "false",
        "region": "us-east-1",
    }
    assert message.render(done).attributes["terminal"] == "true"
    assert json.loads(message.render(new_job).body)["previousStatus"] is None


def test_subject_reads_like_the_issue_example() -> None:
    transition = make_transition(MODEL_CUSTOMIZATION, "Failed")
    assert message.render(transition).subject == "[Bedrock] Failed: my-finetune-job (customization)"


@pytest.mark.parametrize(
    "name",
    ["x" * 5000, "line one\nline two\r\tand\x00nul", "ü" * 300, "a\u2028b" + "z" * 200],
)
def test_subject_is_one_line_under_100_characters_and_keeps_status_and_kind(name: str) -> None:
    # Given a job with a hostile name
    transition = make_transition(EVALUATION, "Failed", name=name)

    # When the subject is rendered
    subject = message.render(transition).subject

    # Then SNS's rules hold (no control characters, fewer than 100 characters)
    assert len(subject) < 100
    assert all(ch.isprintable() for ch in subject)
    # And the parts a reader scans for survive the cut
    assert subject.startswith("[Bedrock] Failed: ")
    assert subject.endswith(" (evaluation)")


def test_render_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="message_format"):
        message.render(make_transition(EVALUATION, "Failed"), "xml")


def test_chatbot_payload_threads_by_job_and_uses_the_custom_schema() -> None:
    # Given a failed job rendered in Chatbot mode
    transition = make_transition(MODEL_CUSTOMIZATION, "Failed", name="bad`name")
    payload = json.loads(message.render(transition, "chatbot").body)

    # Then it is a custom notification that threads on the job ARN
    assert payload["version"] == "1.0"
    assert payload["source"] == "custom"
    assert payload["content"]["textType"] == "client-markdown"
    assert payload["metadata"]["threadId"] == transition.job.arn
    assert payload["metadata"]["summary"].startswith("Failed: ")
    assert payload["content"]["keywords"] == ["model-customization", "Failed"]
    assert any("console" in step for step in payload["content"]["nextSteps"])
    # And a backtick in the name cannot close the code span
    assert "`bad\u02cbname`" in payload["content"]["description"]


def test_console_links_follow_the_kind_and_the_partition() -> None:
    # Given jobs of each kind, and one in GovCloud
    links = {
        kind.name: message.console_url(make_transition(kind, "Failed").job)
        for kind in REGISTRY.values()
    }
    gov_job = make_transition(EVALUATION, "Failed").job
    gov_job = type(gov_job)(
        **{**gov_job.__dict__, "arn": gov_job.arn.replace(":aws:", ":aws-us-gov:")}
    )

    # Then each link opens the Bedrock console of the job's region (none for a kind the console
    # has no page for: async invocations, prompt optimization, data automation)
    assert {name for name, link in links.items() if link is None} == {
        "async-invoke",
        "prompt-optimization",
        "data-automation",
    }
    for link in filter(None, links.values()):
        assert link.startswith(
            f"https://{REGION}.console.aws.amazon.com/bedrock/home?region={REGION}#/"
        )
    assert (message.console_url(gov_job) or "").startswith(
        f"https://{REGION}.console.amazonaws-us-gov.com/"
    )


def test_console_link_is_none_when_the_arn_has_no_region() -> None:
    job = make_transition(EVALUATION, "Failed").job
    job = type(job)(**{**job.__dict__, "arn": "not-an-arn"})
    assert message.console_url(job) is None


def test_sample_transition_is_a_labelled_failed_job_with_a_fresh_dedupe_id() -> None:
    # Given two test notifications a second apart
    first = message.sample_transition(NOW, "eu-west-1", "210987654321")
    second = message.sample_transition(NOW + dt.timedelta(seconds=1), "eu-west-1", "210987654321")

    # Then each is a clearly named Failed job with the sample failure message
    assert first.job.name == message.SAMPLE_JOB_NAME == "bedrock-job-monitor-test"
    assert first.new_status == "Failed"
    assert first.failure_messages == (message.SAMPLE_FAILURE_MESSAGE,)
    assert (first.region, first.account) == ("eu-west-1", "210987654321")
    assert message.render(first).subject == (
        "[Bedrock] Failed: bedrock-job-monitor-test (customization)"
    )
    # And the second is not suppressed as a duplicate of the first
    assert first.dedupe_id != second.dedupe_id


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, None),
        (0, "0 s"),
        (45, "45 s"),
        (90, "1 min 30 s"),
        (600, "10 min"),
        (8054, "2 h 14 min"),
        (7200, "2 h"),
        (93_600, "1 d 2 h"),
        (-5, "0 s"),
    ],
)
def test_durations_read_like_a_person_wrote_them(seconds: int | None, text: str | None) -> None:
    assert human_duration(seconds) == text
