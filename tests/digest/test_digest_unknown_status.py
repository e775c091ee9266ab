"""The digest and jobs in a status the job-kind registry does not know (issue 12, item 4): listed
apart ("unknown", with status and age), never as still running; the list is in the body only when
it holds a job, so a digest without one is unchanged."""

from __future__ import annotations

import json

import pytest

from job_monitor.contracts.digest import contract, digest_subject, parse_digest, render_digest
from job_monitor.digest.build import Digest, build_digest
from job_monitor.domain.kinds import REGISTRY
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from tests.notifications.support import slack_texts

from .support import ACCOUNT, END, START, entry, running


def digest(jobs: list, entries: list | None = None) -> Digest:  # type: ignore[type-arg]
    return build_digest(
        entries or [],
        jobs,
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1",),
        kind_labels={name: kind.label for name, kind in REGISTRY.items()},
    )


@pytest.mark.parametrize("kind", list(REGISTRY), ids=str)
def test_a_job_tracked_in_an_unknown_status_is_listed_apart_not_as_running(kind: str) -> None:
    # Given, for each kind, a job still tracked in a new status and one really running
    first = REGISTRY[kind].running_order[0]
    d = digest(
        [
            running("cancelled-job", hours=30, kind=kind, status="Cancelled"),
            running("busy-job", hours=2, kind=kind, status=first),
        ]
    )
    # When the digest is built
    [section] = d.sections
    # Then the first is in the "unknown" list with its status and age, the second still running
    # (unless the kind's first status means "in service")
    [unknown] = section.of("unknown").jobs
    assert (unknown.name, unknown.status, unknown.age_seconds) == (
        "cancelled-job",
        "Cancelled",
        108000,
    )
    assert "cancelled-job" not in [j.name for j in section.of("running").jobs]
    assert d.total("unknown") == 1


def test_the_body_carries_the_unknown_list_only_when_it_holds_a_job() -> None:
    # Given a digest with a running job only, and one with a job in an unknown status
    plain = contract(digest([running("busy", hours=2)]))
    marked = contract(digest([running("nightly-summaries", hours=3, status="Cancelled")]))
    # Then the first has no "unknown" anywhere (the body is as before this version)
    assert "unknown" not in plain["totals"]
    assert "unknown" not in plain["sections"][0]
    # And the second has the list and its total, and reads back the same
    assert marked["totals"]["unknown"] == 1
    [job] = marked["sections"][0]["unknown"]["jobs"]
    assert (job["name"], job["status"], job["ageSeconds"]) == (
        "nightly-summaries",
        "Cancelled",
        10800,
    )
    assert "running" in marked["sections"][0]
    assert marked["sections"][0]["running"]["count"] == 0
    parsed = parse_digest(json.dumps(marked))
    assert parsed.total("unknown") == 1
    assert parsed.sections[0].of("unknown").jobs[0].status == "Cancelled"


def test_the_subject_slack_and_chatbot_show_the_unknown_list() -> None:
    d = digest(
        [running("nightly-summaries", hours=3, status="Cancelled")],
        [entry("nightly-summaries", "Cancelled")],
    )
    # Then the subject counts it, Slack has its own heading, Chatbot its own line
    assert digest_subject(d) == "[Bedrock] Daily digest: 1 unknown"
    text = "\n".join(slack_texts(slack_digest_message(d)))
    assert "In a status this monitor version does not know (1)" in text
    assert "nightly-summaries (Cancelled, 3 h" in text
    assert "Still running" not in text
    chatbot = json.loads(render_digest(d, "chatbot").body)
    assert "Unknown (1): `nightly-summaries`" in chatbot["content"]["description"]
