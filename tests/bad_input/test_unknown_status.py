"""Issue 12, item 4: a status this version's job-kind registry does not know is not lost.

End to end on the simulated account: the poll (and the batch event path) against the Bedrock
simulator, whose answers are rewritten to carry a status botocore's model does not promise; SNS
(moto) delivering to queues subscribed with the filter policies the CDK app builds
(``infra.settings.Settings``); the state table; the digest read from it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from infra.settings import Settings
from job_monitor.contracts import transition as message
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    DEFAULT_KINDS,
    REGISTRY,
    UNKNOWN_STATUS_FOLLOW,
    JobKind,
)
from job_monitor.notifiers.slack.blocks import slack_message
from job_monitor.realtime.events import parse_job_event
from job_monitor.wiring import build_digest_sender, region_store
from sim.events import state_change_event
from sim.local import LocalAccount
from tests.fakes.sns_sqs import subscribe_queue
from tests.infra.support import cdk_json_context

from .conftest import Logs, rewritten

NEW_STATUS = "Cancelled"
"""Not a status of any kind in botocore 1.44.5's Bedrock model (nor in the registry)."""


def settings(**context: Any) -> Settings:
    """The CDK app's settings from cdk.json plus ``context`` (as ``-c key=value`` gives them)."""
    return Settings.from_mapping({**cdk_json_context(), **context})


def _with_status(kind: JobKind, arn: str, status: str) -> Any:
    """Edit a list or detail response of ``kind`` so that job ``arn`` has ``status``."""

    def edit(parsed: dict[str, Any]) -> None:
        for summary in parsed.get(kind.summaries_key, []):
            if summary.get(kind.arn_field) == arn:
                summary[kind.status_field] = status
        if parsed.get(kind.arn_field) == arn:
            parsed[kind.status_field] = status

    return edit


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@contextmanager
def bedrock_says(account: LocalAccount, kind: JobKind, arn: str, status: str) -> Iterator[None]:
    """While open, Bedrock lists and describes job ``arn`` in ``status``."""
    client = account.clients["bedrock"]
    edit = _with_status(kind, arn, status)
    with ExitStack() as stack:
        for operation in (kind.list_operation, kind.detail_operation):
            stack.enter_context(rewritten(client, _pascal(operation), edit))
        yield


def subscribe(account: LocalAccount, policy: dict[str, Any]) -> str:
    return subscribe_queue(
        account.clients["sns"], account.clients["sqs"], account.topic_arn, policy
    )


def received(account: LocalAccount, queue_url: str) -> list[str]:
    sqs = account.clients["sqs"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(m["Body"]).get("status", "digest") for m in messages)


def tracked(account: LocalAccount, kind: JobKind) -> dict[str, Any]:
    store = region_store(account.settings(), account.clients["dynamodb"], "us-east-1")
    return dict(store.load().of(kind).tracked)


def digest_lists(account: LocalAccount) -> dict[str, list[str]]:
    sender = build_digest_sender(
        account.settings(), dynamodb=account.clients["dynamodb"], sns=account.clients["sns"]
    )
    digest = sender.collect(now=account.clock())
    lists: dict[str, list[str]] = {}
    for section in digest.sections:
        for category, jobs in section.lists.items():
            lists.setdefault(category, []).extend(f"{j.name} ({j.status})" for j in jobs.jobs)
    return lists


def test_a_batch_job_going_in_progress_to_cancelled_reaches_every_default_subscriber(
    account: LocalAccount, logs: Logs
) -> None:
    # Given a batch inference job the monitor follows as InProgress, and subscribers with the
    # policies the CDK app builds: email and Slack defaults (Slack with the digest), a user who
    # routes Cancelled by name, and one who wants Failed only
    arn = account.bedrock.create_job("batch-inference", "nightly-summaries", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=5)
    email = subscribe(account, settings().email_filter_policy())
    slack = subscribe(
        account,
        # (without the overdue branch: moto 5.2.5 multiplies "$or" branches where SNS adds them)
        settings(
            daily_digest="true", slack_secret_name="s", slack_overdue="false"
        ).slack_filter_policy(),
    )
    by_name = subscribe(account, settings(email_statuses="Cancelled").email_filter_policy())
    failed_only = subscribe(account, settings(email_statuses="Failed").email_filter_policy())

    # When Bedrock reports it Cancelled, a status no kind of the registry has
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        account.monitor().run()

    # Then it is published once, not terminal, marked unknown in the body and an attribute
    [published] = account.drain()
    assert published.transition == ("nightly-summaries", "InProgress", NEW_STATUS)
    assert published.attributes["unknownStatus"] == "true"
    assert published.attributes["terminal"] == "false"
    assert published.body["unknownStatus"] is True
    assert published.body["terminal"] is False
    # And the default email and Slack subscriptions, and the user routing it by name, get it
    assert received(account, email) == [NEW_STATUS]
    assert received(account, slack) == [NEW_STATUS]
    assert received(account, by_name) == [NEW_STATUS]
    assert received(account, failed_only) == []
    # And Slack says this monitor version does not know the status
    posted = slack_message(message.parse(json.dumps(published.body)))
    assert "does not know" in posted.text
    assert any(
        "does not know the status *Cancelled* for batch inference jobs" in json.dumps(b)
        for b in posted.blocks
    )
    # And the warning that the registry needs an update is logged once
    assert len(logs.find(logging.WARNING, "does not know")) == 1
    # And the job is followed (not finished), with the time the unknown status was published
    [job] = tracked(account, BATCH_INFERENCE).values()
    assert job.status == NEW_STATUS
    assert job.unknown_since == account.clock()
    # And the digest lists it as in an unknown status, not as still running
    lists = digest_lists(account)
    assert lists.get("unknown") == [f"nightly-summaries ({NEW_STATUS})"]
    assert "running" not in lists

    # When the next runs see it Cancelled still
    for _ in range(2):
        account.clock.advance(minutes=5)
        with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
            account.monitor().run()
    # Then nothing is published or logged again
    assert account.drain() == []
    assert len(logs.find(logging.WARNING, "does not know")) == 1


def test_a_later_status_is_still_reported_while_the_job_is_followed(
    account: LocalAccount,
) -> None:
    # Given a batch job published as Cancelling (unknown)
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=5)
    with bedrock_says(account, BATCH_INFERENCE, arn, "Cancelling"):
        account.monitor().run()
    account.drain()

    # When, within the follow time, Bedrock reports a known status
    account.clock.advance(days=2)
    account.bedrock.set_status(arn, "Stopped")
    account.monitor().run()

    # Then Cancelling -> Stopped is reported (not marked unknown) and the job is done
    [later] = account.drain()
    assert later.transition == ("nightly", "Cancelling", "Stopped")
    assert "unknownStatus" not in later.attributes
    assert "unknownStatus" not in later.body
    assert tracked(account, BATCH_INFERENCE) == {}


def test_after_the_follow_time_the_job_is_no_longer_tracked_and_runs_cost_one_list_per_kind(
    account: LocalAccount, logs: Logs
) -> None:
    # Given a batch job published as Cancelled, and the list calls of a quiet run before it
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=5)
    quiet = account.monitor().run().api_calls
    account.clock.advance(minutes=5)
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        account.monitor().run()
    account.drain()

    # When the follow time has passed
    account.clock.advance(seconds=UNKNOWN_STATUS_FOLLOW.total_seconds())
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        retiring = account.monitor().run()
        account.clock.advance(minutes=5)
        after = account.monitor().run()

    # Then it is no longer tracked nor listed in the digest, said once in the log, nothing is
    # published, and a run costs what a quiet run did (one list per kind)
    assert [k.retired for k in retiring.kinds if k.kind == "batch-inference"] == [1]
    assert tracked(account, BATCH_INFERENCE) == {}
    assert len(logs.find(logging.WARNING, "no longer tracked")) == 1
    assert account.drain() == []
    assert after.api_calls == quiet
    assert sum(after.api_calls.values()) == len(account.settings().kinds)  # the default kinds
    lists = digest_lists(account)
    assert "unknown" not in lists
    assert "running" not in lists


def test_a_job_tracked_in_an_unknown_status_by_an_earlier_version_is_stamped_then_retired(
    account: LocalAccount,
) -> None:
    # Given a job the state tracks as Cancelled with no time (written before this version)
    arn = account.bedrock.create_job("batch-inference", "legacy", status="InProgress")
    account.monitor().run()
    store = region_store(account.settings(), account.clients["dynamodb"], "us-east-1")
    [job] = store.load().of(BATCH_INFERENCE).tracked.values()
    store.sync_view(
        BATCH_INFERENCE, type(job)(job.arn, job.name, NEW_STATUS, job.created_at), keep_in_view=True
    )

    # When runs see it Cancelled
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        account.clock.advance(minutes=5)
        account.monitor().run()
        stamped = tracked(account, BATCH_INFERENCE)[arn].unknown_since
        account.clock.advance(seconds=UNKNOWN_STATUS_FOLLOW.total_seconds())
        account.monitor().run()

    # Then the first stamps it (nothing is published: the status is the one tracked), and it is
    # no longer tracked once the follow time has passed from then
    assert stamped is not None
    assert account.drain() == []
    assert tracked(account, BATCH_INFERENCE) == {}


# The parent-scoped kinds (served by sim/parents.py, not sim/bedrock.py):
# tests/unit/poll/test_sweep_poll.py::test_a_status_the_registry_does_not_know_is_published_...
@pytest.mark.parametrize("kind", [REGISTRY[n] for n in DEFAULT_KINDS], ids=lambda k: k.name)
def test_every_kind_publishes_a_new_status_marked_unknown_to_the_defaults(
    account: LocalAccount, kind: JobKind
) -> None:
    # Given a job of each kind the monitor follows in its first status
    first = kind.running_order[0]
    arn = account.bedrock.create_job(kind.name, f"{kind.name}-job", status=first)
    account.monitor().run()
    account.clock.advance(minutes=5)
    email = subscribe(account, settings().email_filter_policy())
    slack = subscribe(account, settings(slack_secret_name="s").slack_filter_policy())

    # When Bedrock reports a status this kind's registry entry does not know
    new_status = "Paused"
    assert not kind.knows(new_status)
    with bedrock_says(account, kind, arn, new_status):
        account.monitor().run()

    # Then it is published marked unknown and reaches both default subscriptions
    [published] = account.drain()
    assert published.transition == (f"{kind.name}-job", first, new_status)
    assert published.attributes["unknownStatus"] == "true"
    assert published.body["unknownStatus"] is True
    assert received(account, email) == [new_status]
    assert received(account, slack) == [new_status]
    assert tracked(account, kind)[arn].status == new_status


def test_the_batch_event_path_publishes_an_unknown_status_once(account: LocalAccount) -> None:
    # Given a batch job the monitor follows
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=1)
    email = subscribe(account, settings().email_filter_policy())

    # When Bedrock's state-change event says Cancelled, and the Get agrees
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        event = state_change_event(account.bedrock, arn, status=NEW_STATUS)
        published = account.monitor().observe(parse_job_event(event, REGISTRY.values()))
        # And the next poll sees the same
        account.clock.advance(minutes=4)
        account.monitor().run()

    # Then the event path published it once, marked unknown, to the default email policy
    assert published is not None and published.status_unknown
    [delivered] = account.drain()
    assert delivered.attributes["unknownStatus"] == "true"
    assert received(account, email) == [NEW_STATUS]
    assert tracked(account, BATCH_INFERENCE)[arn].unknown_since is not None


def test_chatbot_text_says_the_status_is_unknown_and_carries_the_marker(
    account: LocalAccount,
) -> None:
    # Given the transition the regression publishes, rendered as a Chatbot notification
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    monitor = account.monitor(account.settings(message_format="chatbot"))
    monitor.run()
    account.clock.advance(minutes=5)
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        monitor.run()
    [published] = account.drain()

    # Then the description says this version does not know the status, the attribute is set
    description = published.body["content"]["description"]
    assert "does not know the status `Cancelled` for batch inference jobs" in description
    assert published.body["metadata"]["additionalContext"]["unknownStatus"] == "true"
    assert published.attributes["unknownStatus"] == "true"


def test_a_known_status_has_no_unknown_marker(account: LocalAccount) -> None:
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="bad input")
    account.monitor().run()
    [published] = account.drain()
    assert "unknownStatus" not in published.attributes
    assert "unknownStatus" not in published.body
    assert tracked(account, BATCH_INFERENCE) == {}


def test_the_monitor_handler_counts_unknown_statuses_per_kind_once(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from job_monitor.handlers import monitor as handler_module
    from tests.integration.test_monitor_handler import (
        FakeContext,
        emitted_metrics,
        logged_figures,
        point_at_account,
    )

    # Given the scheduled handler on the account, following a batch job
    point_at_account(monkeypatch, handler_module, account, service="bedrock-job-monitor")
    arn = account.bedrock.create_job("batch-inference", "nightly-summaries", status="InProgress")
    handler_module.handler({}, FakeContext())
    account.clock.advance(minutes=5)
    caplog.clear()

    # When Bedrock reports Cancelled, in this run and the next
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        handler_module.handler({}, FakeContext())
        first = list(caplog.records)
        caplog.clear()
        account.clock.advance(minutes=5)
        handler_module.handler({}, FakeContext())
        second = list(caplog.records)
    handler_module._settings.cache_clear()

    # Then the first run counts one unknown status for batch inference, the next none
    assert emitted_metrics(first)["UnknownStatuses"] == 1
    [figures] = logged_figures(first)
    assert figures["UnknownStatuses"] == {"batch-inference": 1}
    assert "UnknownStatuses" not in emitted_metrics(second)


def test_the_events_handler_counts_an_unknown_status_from_a_batch_event(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from job_monitor.handlers import events as handler_module
    from tests.integration.test_monitor_handler import (
        FakeContext,
        emitted_metrics,
        logged_figures,
        point_at_account,
    )

    # Given the events function on the account, and a batch job the monitor follows
    point_at_account(
        monkeypatch,
        handler_module,
        account,
        service="bedrock-job-monitor-events",
        JOB_KINDS="model-customization,batch-inference",
    )
    arn = account.bedrock.create_job("batch-inference", "nightly-summaries", status="InProgress")
    account.monitor(account.settings(kinds=handler_module._settings().kinds)).run()
    caplog.clear()

    # When Bedrock's event says Cancelled (and the Get agrees)
    with bedrock_says(account, BATCH_INFERENCE, arn, NEW_STATUS):
        event = state_change_event(account.bedrock, arn, status=NEW_STATUS)
        result = handler_module.handler(event, FakeContext())
    handler_module._settings.cache_clear()

    # Then it is published marked unknown and counted under the events function's service
    assert result["published"] is True
    [published] = account.drain()
    assert published.attributes["unknownStatus"] == "true"
    assert emitted_metrics(caplog.records)["UnknownStatuses"] == 1
    [figures] = logged_figures(caplog.records)
    assert figures["UnknownStatuses"] == {"batch-inference": 1}
