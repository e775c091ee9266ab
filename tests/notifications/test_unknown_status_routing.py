"""Routing of statuses the job-kind registry does not know (issue 12, item 4): the ``unknown``
alias in the default policies, routing a new status by name (a synth warning, not a refusal),
malformed names still refused; delivered through real SNS filter policies (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.settings import Settings, SettingsError
from job_monitor.contracts import routing
from job_monitor.contracts import transition as message
from job_monitor.contracts.envelope import ContractError
from job_monitor.domain.kinds import BATCH_INFERENCE, EVALUATION, REGISTRY, JobKind
from job_monitor.notifiers.slack.blocks import slack_message
from tests.fakes.sns_sqs import kinds_and_statuses as _received
from tests.fakes.sns_sqs import publish_transition as _publish
from tests.fakes.sns_sqs import subscribe_queue as _subscribe
from tests.infra.support import cdk_json_context
from tests.notifications.support import slack_texts

from .conftest import make_transition


def settings(**context: Any) -> Settings:
    return Settings.from_mapping({**cdk_json_context(), **context})


# -- reading the settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "statuses", "unknown", "unlisted"),
    [
        (["Failed"], ("Failed",), False, ()),
        (["started", "Failed"], ("Failed", "InProgress"), False, ()),
        (["unknown"], (), True, ()),
        (["Failed", "unknown"], ("Failed",), True, ()),
        (["Failed", "Cancelled"], ("Cancelled", "Failed"), False, ("Cancelled",)),
        # IN_PROGRESS is knowledge-base ingestion's; Cancelled, next to the Automated Reasoning
        # builds' CANCELLED, is another API family's spelling: unlisted, not a typo
        (["IN_PROGRESS", "Cancelled", "Cancelled"], ("Cancelled", "IN_PROGRESS"), False,
         ("Cancelled",)),
    ],
)  # fmt: skip
def test_status_names_are_read_into_statuses_the_unknown_alias_and_unlisted_names(
    names: list[str], statuses: tuple[str, ...], unknown: bool, unlisted: tuple[str, ...]
) -> None:
    assert routing.parse_statuses(names) == routing.StatusRoute(statuses, unknown, unlisted)


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        (["failed"], "failed (did you mean Failed or FAILED?)"),
        (["Unknown"], "Unknown (did you mean unknown?)"),
        (["Cancel led"], "'Cancel led'"),
        (["Failed!"], "'Failed!'"),
        (["1Failed"], "'1Failed'"),
        (["x" * 65], "'xxxx"),
        ([], "at least one status"),
    ],
)
def test_malformed_status_names_are_still_refused(names: list[str], fragment: str) -> None:
    with pytest.raises(ValueError) as refused:
        routing.parse_statuses(names)
    assert fragment in str(refused.value)


def test_the_default_policies_pass_unknown_statuses_by_anything_but_the_registry() -> None:
    # (Slack's default is transitions or overdue alerts: the status list is the first branch)
    [slack_transitions, _overdue] = settings(slack_secret_name="s").slack_filter_policy()["$or"]
    for policy in (settings().email_filter_policy(), slack_transitions):
        assert policy["status"][-1] == {"anything-but": sorted(routing.ALL_STATUSES)}
        assert "$or" not in policy


def test_a_routing_setting_naming_a_new_status_warns_and_does_not_refuse() -> None:
    # Given a user who routes Cancelled (not in the registry) to email and Slack
    parsed = settings(
        email_statuses="Failed,Cancelled", slack_statuses="Cancelled", slack_secret_name="s"
    )
    # Then synth goes on, routing it by name, and warns naming the setting and the value
    assert parsed.email_filter_policy() == {"status": ["Cancelled", "Failed"]}
    assert parsed.slack_filter_policy()["$or"][0] == {"status": ["Cancelled"]}
    [slack, email] = parsed.warnings()
    assert slack.startswith("slack_statuses: Cancelled is not a status of any job kind")
    assert email.startswith("email_statuses: Cancelled is not a status of any job kind")
    # And the defaults warn about nothing
    assert settings().warnings() == []


def test_a_malformed_routing_value_still_stops_synth_naming_the_key() -> None:
    with pytest.raises(SettingsError, match=r"email_statuses: bad status.*did you mean Completed"):
        settings(email_statuses="Failed,completed")


# -- delivery through SNS ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REGISTRY.values()), ids=lambda k: k.name)
def test_every_kinds_new_status_reaches_the_default_policies_and_progress_does_not(
    sns_sqs: tuple[Any, Any], kind: JobKind
) -> None:
    # Given the default email and Slack policies (Slack also with the digest), and a user who
    # routes Failed only
    sns, sqs = sns_sqs
    topic = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    email = _subscribe(sns, sqs, topic, settings().email_filter_policy())
    slack = _subscribe(
        sns,
        sqs,
        topic,
        # (without the overdue branch: moto 5.2.5 multiplies the branches of "$or" where SNS
        # adds them, and refuses three as too complex; routing.combinations counts as SNS does)
        settings(
            slack_secret_name="s", daily_digest="true", slack_overdue="false"
        ).slack_filter_policy(),
    )
    failed_only = _subscribe(
        sns, sqs, topic, settings(email_statuses="Failed").email_filter_policy()
    )

    # When a job of the kind goes to a status no kind has, and another starts running
    _publish(sns, topic, make_transition(kind, "Cancelled", previous=kind.running_order[0]))
    _publish(sns, topic, make_transition(kind, kind.running_order[0], previous=None))

    # Then the defaults get the new status only; a Failed-only policy gets neither
    assert _received(sqs, email) == [(kind.name, "Cancelled")]
    assert _received(sqs, slack) == [(kind.name, "Cancelled")]
    assert _received(sqs, failed_only) == []


def test_a_policy_narrowed_to_kinds_passes_unknown_statuses_of_those_kinds_only(
    sns_sqs: tuple[Any, Any],
) -> None:
    sns, sqs = sns_sqs
    topic = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    batch = _subscribe(
        sns, sqs, topic, routing.filter_policy(routing.DEFAULT_SLACK_STATUSES, ["batch-inference"])
    )
    _publish(sns, topic, make_transition(BATCH_INFERENCE, "Cancelled", previous="InProgress"))
    _publish(sns, topic, make_transition(EVALUATION, "Cancelled", previous="InProgress"))
    assert _received(sqs, batch) == [("batch-inference", "Cancelled")]


def test_the_unknown_marker_is_an_attribute_a_policy_can_match(sns_sqs: tuple[Any, Any]) -> None:
    # Given a subscriber that wants only what the registry does not know (e.g. the maintainers)
    sns, sqs = sns_sqs
    topic = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    maintainers = _subscribe(sns, sqs, topic, {"unknownStatus": ["true"]})
    # When a new status and a known one are published
    _publish(sns, topic, make_transition(BATCH_INFERENCE, "Cancelled", previous="InProgress"))
    _publish(sns, topic, make_transition(BATCH_INFERENCE, "Failed"))
    # Then it gets the new status only
    assert _received(sqs, maintainers) == [("batch-inference", "Cancelled")]


def test_the_largest_unknown_policy_is_within_snss_combination_limit() -> None:
    # SNS allows at most 150 combinations: the values of each attribute multiplied.
    # Every status with every kind: the kind filter is left out (it would keep everything).
    policy = routing.filter_policy([*sorted(routing.ALL_STATUSES), "unknown"], list(REGISTRY))
    assert "kind" not in policy
    assert routing.combinations(policy) == len(routing.ALL_STATUSES) + 1 <= 150
    # With two kinds, the product is counted, and the digest's $or branch adds one.
    two = routing.filter_policy(["Failed", "Completed", "unknown"], list(REGISTRY)[:2])
    assert routing.combinations(two) == 6
    assert routing.combinations(routing.with_digest(two)) == 7


# -- the message ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REGISTRY.values()), ids=lambda k: k.name)
def test_every_kinds_new_status_is_marked_in_body_attribute_slack_and_chatbot(
    kind: JobKind,
) -> None:
    # Given a transition of the kind into a status its registry entry does not know
    transition = make_transition(kind, "Cancelled", previous=kind.running_order[0])
    # When it is rendered (JSON and Chatbot) and read back by the Slack notifier
    rendered = message.render(transition)
    body = json.loads(rendered.body)
    chatbot = json.loads(message.render(transition, "chatbot").body)
    posted = slack_message(message.parse(rendered.body))
    # Then body and attribute say so, and it is not terminal
    assert rendered.attributes["unknownStatus"] == "true"
    assert rendered.attributes["terminal"] == "false"
    assert body["unknownStatus"] is True
    assert message.parse(rendered.body).unknown_status is True
    # And Slack and Chatbot say this monitor version does not know the status
    note = f"This monitor version does not know the status *Cancelled* for {kind.noun}s"
    texts = slack_texts(posted)
    assert any(note in t for t in texts)
    assert texts[1].startswith(":grey_question: Bedrock ")  # the header
    assert "(a status this monitor version does not know)" in posted.text
    assert (
        f"does not know the status `Cancelled` for {kind.noun}s"
        in (chatbot["content"]["description"])
    )
    assert chatbot["metadata"]["additionalContext"]["unknownStatus"] == "true"


@pytest.mark.parametrize("kind", list(REGISTRY.values()), ids=lambda k: k.name)
def test_a_known_status_carries_no_marker(kind: JobKind) -> None:
    status = sorted(kind.terminal_statuses)[0]
    rendered = message.render(make_transition(kind, status))
    assert "unknownStatus" not in rendered.attributes
    assert "unknownStatus" not in json.loads(rendered.body)
    assert message.parse(rendered.body).unknown_status is False
    posted = slack_message(message.parse(rendered.body))
    assert not any("does not know" in t for t in slack_texts(posted))


def test_a_body_whose_marker_is_not_a_boolean_is_refused() -> None:
    body = json.loads(message.render(make_transition(BATCH_INFERENCE, "Failed")).body)
    with pytest.raises(ContractError, match="'unknownStatus' must be true or false"):
        message.parse(json.dumps({**body, "unknownStatus": "yes"}))
