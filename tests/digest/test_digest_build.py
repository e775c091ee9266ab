"""The digest as a function of (journal entries, running jobs, period): pure, no AWS."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from job_monitor.contracts.digest import contract, digest_subject, parse_digest, render_digest
from job_monitor.contracts.envelope import MAX_BODY_BYTES, ContractError
from job_monitor.contracts.text import ELLIPSIS
from job_monitor.digest.build import (
    CATEGORIES,
    OPTIONAL_CATEGORIES,
    Digest,
    build_digest,
    status_category,
)

from .support import ACCOUNT, END, START, entry, running


def digest(entries: list, jobs: list | None = None, **kw) -> Digest:  # type: ignore[type-arg]
    return build_digest(
        entries,
        jobs or [],
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1", "eu-west-1"),
        kind_labels={"batch-inference": "batch inference", "evaluation": "evaluation"},
        **kw,
    )


def names(d: Digest, category: str, region: str = "us-east-1", kind: str = "batch-inference"):
    [section] = [s for s in d.sections if s.region == region and s.kind == kind]
    return [j.name for j in section.of(category).jobs]


@pytest.mark.parametrize(
    ("status", "previous", "expected"),
    [
        ("Completed", "InProgress", {"completed"}),
        ("InService", "Creating", {"completed"}),
        ("Active", "Creating", {"completed"}),
        ("Failed", "InProgress", {"failed"}),
        ("PartiallyCompleted", "InProgress", {"failed"}),
        ("Expired", "Scheduled", {"failed"}),
        ("Stopped", "Stopping", {"stopped"}),
        ("InProgress", None, {"started"}),
        ("Submitted", None, {"started"}),
        ("Completed", None, {"started", "completed"}),
        ("Stopping", "InProgress", set()),
        ("Validating", "Submitted", set()),
    ],
)
def test_each_transition_lands_in_its_lists(status: str, previous: str | None, expected: set):
    # Given one journaled transition / When the digest is built
    d = digest([entry("job-a", status, previous=previous)])
    # Then it is counted in exactly the expected lists
    counted = {c for c in CATEGORIES if d.total(c)}
    assert counted == expected


def test_failed_jobs_carry_their_first_failure_message():
    d = digest([entry("job-a", "Failed", failure="Input file has 3 malformed lines.")])
    [job] = d.sections[0].of("failed").jobs
    assert job.failure == "Input file has 3 malformed lines."
    assert json.loads(render_digest(d).body)["sections"][0]["failed"]["jobs"][0][
        "failureMessage"
    ] == ("Input file has 3 malformed lines.")


def test_running_jobs_are_listed_oldest_first_with_their_age():
    d = digest([], [running("young", hours=2), running("old", hours=50)])
    assert names(d, "running") == ["old", "young"]
    assert [j.age_seconds for j in d.sections[0].of("running").jobs] == [180_000, 7_200]


def test_entries_outside_the_period_and_repeats_are_ignored():
    # Given a transition journaled twice (a crash re-published it) and one from two days ago
    repeated = entry("job-a", "Completed", hours_ago=3)
    again = entry("job-a", "Completed", hours_ago=1)
    old = entry("job-old", "Failed", hours_ago=30)
    edge = entry("job-edge", "Failed", hours_ago=0)  # observed at the period's end: next digest
    d = digest([again, repeated, old, edge])
    # Then the job counts once, at its first observation, and the others not at all
    assert d.total("completed") == 1
    assert d.sections[0].of("completed").jobs[0].observed_at == repeated.observed_at
    assert d.total("failed") == 0


def test_sections_per_region_and_kind_in_a_stable_order():
    entries = [
        entry("b", "Failed", region="us-east-1", kind="evaluation"),
        entry("a", "Failed", region="eu-west-1"),
        entry("c", "Completed", region="us-east-1"),
    ]
    first = digest(entries)
    second = digest(list(reversed(entries)))
    assert first == second
    assert [(s.region, s.kind) for s in first.sections] == [
        ("eu-west-1", "batch-inference"),
        ("us-east-1", "batch-inference"),
        ("us-east-1", "evaluation"),
    ]
    assert [s.kind_label for s in first.sections] == ["batch inference"] * 2 + ["evaluation"]


def test_jobs_in_a_list_are_ordered_by_observation_then_name():
    d = digest(
        [
            entry("zeta", "Completed", hours_ago=5),
            entry("beta", "Completed", hours_ago=2),
            entry("alpha", "Completed", hours_ago=2),
        ]
    )
    assert names(d, "completed") == ["zeta", "alpha", "beta"]


def test_lists_are_capped_and_say_how_many_more():
    d = digest([entry(f"job-{i:02}", "Failed", hours_ago=i / 10) for i in range(1, 26)])
    failed = d.sections[0].of("failed")
    assert (failed.count, len(failed.jobs), failed.more) == (25, 10, 15)
    body = json.loads(render_digest(d).body)
    assert body["sections"][0]["failed"]["count"] == 25
    assert body["sections"][0]["failed"]["more"] == 15
    assert body["totals"]["failed"] == 25


def test_a_huge_digest_fits_one_sns_message_and_keeps_its_counts():
    # Given 40 regions x 3 kinds with 200 failed jobs each, with 300-character failure messages
    entries = [
        entry(f"job-{k}-{i}", "Failed", kind=k, region=f"r{r}-x-1", failure="x" * 2000, hours_ago=1)
        for r in range(40)
        for k in ("batch-inference", "evaluation", "model-customization")
        for i in range(200)
    ]
    d = digest(entries, jobs_per_list=50)
    # When rendered / Then the body fits, fewer names are listed, and every count is true
    body = render_digest(d).body
    assert len(body.encode()) <= MAX_BODY_BYTES
    document = json.loads(body)
    assert document["totals"]["failed"] == 24_000
    assert len(document["sections"]) == 120
    assert all(s["failed"]["count"] == 200 for s in document["sections"])
    listed = [len(s["failed"]["jobs"]) for s in document["sections"]]
    assert max(listed) < 50
    assert all(len(s["failed"]["jobs"]) + s["failed"]["more"] == 200 for s in document["sections"])
    assert contract(d)["sections"][0]["failed"]["jobs"][0]["failureMessage"].endswith("...")


def test_subject_counts_what_happened_under_100_characters():
    d = digest(
        [
            entry("a", "Failed"),
            entry("b", "Failed"),
            entry("c", "Completed"),
            entry("d", "InProgress", previous=None),
        ],
        [running("d", hours=1), running("e", hours=3)],
    )
    assert digest_subject(d) == (
        "[Bedrock] Daily digest: 2 failed, 1 completed, 1 started, 2 running"
    )
    assert len(digest_subject(d)) < 100


def test_a_quiet_day_is_still_a_digest():
    d = digest([])
    assert d.quiet
    assert d.sections == ()
    message = render_digest(d)
    assert message.subject.startswith("[Bedrock] Daily digest: quiet day")
    assert message.attributes == {"message_type": "digest"}
    body = json.loads(message.body)
    assert body["type"] == "digest"
    # (the optional "unknown" list is carried only when it holds a job)
    assert body["totals"] == dict.fromkeys(set(CATEGORIES) - OPTIONAL_CATEGORIES, 0)


def test_the_contract_round_trips_through_parse():
    d = digest(
        [entry("a", "Failed", failure="boom"), entry("b", "InProgress", previous=None)],
        [running("b", hours=2)],
    )
    parsed = parse_digest(render_digest(d).body)
    assert parsed == d
    assert parsed.dedupe_id == f"digest#{ACCOUNT}#2026-11-23T08:00:00Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"type": "digest", "version": "2"}', "version"),
        ('{"type": "digest", "version": "1", "sections": {}, "regions": []}', "lists"),
        ('{"type": "digest", "version": "1", "sections": [], "regions": []}', "dedupeId"),
        ("[1]", "not a digest"),
        ("nope", "not JSON"),
    ],
)
def test_parse_rejects_what_it_cannot_read(body: str, message: str):
    with pytest.raises(ContractError, match=message):
        parse_digest(body)


def test_chatbot_variant_keeps_names_in_code_spans():
    d = digest([entry("evil`name<!channel>", "Failed", failure="boom")])
    message = render_digest(d, "chatbot")
    body = json.loads(message.body)
    assert body["source"] == "custom"
    assert body["content"]["title"] == "Bedrock daily digest"
    assert "`evil\u02cbname<!channel>`" in body["content"]["description"]
    assert body["metadata"]["additionalContext"]["dedupeId"] == d.dedupe_id
    assert message.attributes == {"message_type": "digest"}
    assert message.subject == render_digest(d).subject


def test_chatbot_description_is_bounded():
    d = digest(
        [entry(f"{'n' * 60}-{i}", "Failed", region=f"r{i}-x-1") for i in range(300)],
    )
    body = json.loads(render_digest(d, "chatbot").body)
    assert len(body["content"]["description"]) <= 3800


def test_unknown_message_format_is_refused():
    with pytest.raises(ValueError, match="message_format"):
        render_digest(digest([]), "xml")


def test_period_end_is_the_hour_of_the_run():
    from job_monitor.digest.run import period_end

    assert period_end(dt.datetime(2026, 11, 23, 8, 0, 41, tzinfo=dt.UTC)) == END
    assert period_end(dt.datetime(2026, 11, 23, 8, 59, 59, tzinfo=dt.UTC)) == END


# -- long-lived resources (provisioned throughput, custom model deployments) ------------------


@pytest.mark.parametrize(
    ("kind", "status", "previous", "expected"),
    [
        # Coming into service the first time: the resource is ready, "completed"
        ("provisioned-throughput", "InService", "Creating", {"completed"}),
        ("custom-model-deployment", "Active", "Creating", {"completed"}),
        # An update cycle: seen by two runs (Updating -> InService) or between two runs (the
        # same status again, with a newer modification time): "updated", not "completed"
        ("provisioned-throughput", "InService", "Updating", {"updated"}),
        ("provisioned-throughput", "InService", "InService", {"updated"}),
        ("custom-model-deployment", "Active", "Active", {"updated"}),
        ("provisioned-throughput", "Updating", "InService", set()),
        ("provisioned-throughput", "Failed", "Updating", {"failed"}),
    ],
)
def test_a_long_lived_resource_that_comes_back_in_service_counts_as_updated(
    kind: str, status: str, previous: str, expected: set
):
    # Given one journaled transition of a long-lived resource / When the digest is built
    d = digest([entry("pt-a", status, previous=previous, kind=kind)])
    # Then it is counted in exactly the expected lists
    assert {c for c in CATEGORIES if d.total(c)} == expected


def test_every_update_cycle_of_a_day_is_listed_and_none_counts_as_completed():
    # Given a throughput updated twice in the day: two same-status transitions, whose dedupe ids
    # carry the resource's modification time (``Transition.dedupe_id``)
    cycle = entry("pt-a", "InService", previous="InService", kind="provisioned-throughput")
    first = replace(cycle, dedupe_id=f"{cycle.arn}#InService#1")
    second = replace(
        cycle, dedupe_id=f"{cycle.arn}#InService#2", observed_at=END - dt.timedelta(minutes=30)
    )
    # When the digest is built / Then: two updates, no completion, and the subject says so
    d = digest([first, second])
    assert (d.total("updated"), d.total("completed")) == (2, 0)
    assert digest_subject(d) == "[Bedrock] Daily digest: 2 updated"


def test_resources_in_service_are_not_still_running():
    # Given tracked resources: two ready (InService, Active), two in progress, and a job
    d = digest(
        [],
        [
            running("pt-ready", hours=500, kind="provisioned-throughput", status="InService"),
            running("dep-ready", hours=90, kind="custom-model-deployment", status="Active"),
            running("pt-new", hours=1, kind="provisioned-throughput", status="Creating"),
            running("pt-upd", hours=700, kind="provisioned-throughput", status="Updating"),
            running("job", hours=2),
        ],
    )
    # Then only the ones still working towards a status are running; the ready ones are in
    # service (not a job that runs forever)
    assert d.total("running") == 3
    assert names(d, "running", kind="provisioned-throughput") == ["pt-upd", "pt-new"]
    assert all(s.kind != "custom-model-deployment" for s in d.sections)


def test_the_updated_list_is_in_the_contract_and_reads_back():
    d = digest([entry("pt-a", "InService", previous="InService", kind="provisioned-throughput")])
    body = json.loads(render_digest(d).body)
    assert body["totals"]["updated"] == 1
    assert body["sections"][0]["updated"]["jobs"][0]["name"] == "pt-a"
    assert parse_digest(render_digest(d).body) == d
    chatbot = json.loads(render_digest(d, "chatbot").body)["content"]["description"]
    assert "Updated (1): `pt-a`" in chatbot


def test_running_jobs_past_their_overdue_threshold_are_also_listed_as_overdue():
    # Given running batch jobs, a 24 h threshold for InProgress and none for Scheduled
    thresholds = {("batch-inference", "InProgress"): dt.timedelta(hours=24)}
    jobs = [
        running("young", hours=2),
        running("old", hours=50),
        running("older", hours=80),
        running("queued", hours=90, status="Scheduled"),
    ]
    # When the digest is built with the overdue thresholds
    d = digest([], jobs, overdue=thresholds)
    # Then the jobs past the threshold are listed as overdue, oldest first, with their age
    assert names(d, "overdue") == ["older", "old"]
    assert [j.age_seconds for j in d.sections[0].of("overdue").jobs] == [288_000, 180_000]
    assert names(d, "running") == ["queued", "older", "old", "young"]
    # And the JSON digest, its subject and its parse carry the section
    body = contract(d)
    assert body["totals"]["overdue"] == 2
    assert "2 overdue" in digest_subject(d)
    assert parse_digest(render_digest(d).body) == d
    # And without thresholds there is no overdue list
    assert digest([], jobs).total("overdue") == 0


def test_a_resource_is_overdue_from_its_last_modification():
    # Given a throughput created months ago, updating for 3 hours (threshold 2 h)
    updating = replace(
        running("pt", hours=2000, kind="provisioned-throughput", status="Updating"),
        last_modified=END - dt.timedelta(hours=3),
    )
    thresholds = {("provisioned-throughput", "Updating"): dt.timedelta(hours=2)}
    d = digest([], [updating], overdue=thresholds)
    [job] = d.sections[0].of("overdue").jobs
    assert job.age_seconds == 3 * 3600


# -- what a finished job produced (issue 14, item 3) ------------------------------------------

FT_OUT = "s3://ft-bucket/claims-ft/output/"


def _results_day() -> Digest:
    return digest(
        [
            entry(
                "claims-ft",
                "Completed",
                previous=None,
                kind="model-customization",
                output_location=FT_OUT,
                training_loss=0.4213,
                validation_loss=0.4671,
            ),
            entry("nightly", "Completed", output_location="s3://batch/out/nightly/"),
            entry("broken", "Failed", failure="boom", output_location="s3://batch/out/broken/"),
            entry("plain", "Completed", kind="evaluation"),
        ]
    )


def test_completed_jobs_carry_their_losses_and_output_location():
    # Given a day with a fine-tune, a batch job and an evaluation completed, one batch failed
    d = _results_day()
    lists = {(s.kind, c): s.of(c) for s in d.sections for c in CATEGORIES}
    # Then the completed fine-tune carries its losses and output, the batch job its output
    [tuned] = lists[("model-customization", "completed")].jobs
    assert (tuned.training_loss, tuned.validation_loss, tuned.output_location) == (
        0.4213,
        0.4671,
        FT_OUT,
    )
    nightly = next(j for j in lists[("batch-inference", "completed")].jobs if j.name == "nightly")
    assert (nightly.output_location, nightly.training_loss) == ("s3://batch/out/nightly/", None)
    # And only the completed list does: not the started one, not a failure
    [started] = lists[("model-customization", "started")].jobs
    assert (started.output_location, started.training_loss) == (None, None)
    [failed] = lists[("batch-inference", "failed")].jobs
    assert failed.output_location is None


def test_the_contract_carries_results_only_when_known_and_reads_them_back():
    d = _results_day()
    body = contract(d)
    jobs = {
        (s["kind"], c, j["name"]): j
        for s in body["sections"]
        for c in CATEGORIES
        if c in s
        for j in s[c]["jobs"]
    }
    tuned = jobs[("model-customization", "completed", "claims-ft")]
    assert (tuned["trainingLoss"], tuned["validationLoss"], tuned["outputLocation"]) == (
        0.4213,
        0.4671,
        FT_OUT,
    )
    assert jobs[("batch-inference", "completed", "nightly")]["outputLocation"] == (
        "s3://batch/out/nightly/"
    )
    assert "trainingLoss" not in jobs[("batch-inference", "completed", "nightly")]
    result_fields = {"trainingLoss", "validationLoss", "outputLocation"}
    assert not result_fields & set(jobs[("model-customization", "started", "claims-ft")])
    assert not result_fields & set(jobs[("batch-inference", "failed", "broken")])
    assert not result_fields & set(jobs[("evaluation", "completed", "plain")])
    assert body["version"] == "1"
    assert parse_digest(render_digest(d).body) == d


def test_a_long_output_location_is_cut_in_the_body():
    from job_monitor.contracts.digest import LOCATION_LIMIT

    long = "s3://b/" + "k" * 5000
    d = digest([entry("a", "Completed", output_location=long)])
    [section] = contract(d)["sections"]
    location = section["completed"]["jobs"][0]["outputLocation"]
    assert len(location) == LOCATION_LIMIT
    assert location.startswith("s3://b/kkk")


@pytest.mark.parametrize(
    ("field", "value"),
    [("trainingLoss", "0.4"), ("validationLoss", True), ("outputLocation", 3)],
)
def test_parse_rejects_a_result_field_of_the_wrong_type(field: str, value: object):
    body = contract(_results_day())
    for section in body["sections"]:
        for job in section["completed"]["jobs"]:
            job[field] = value
    with pytest.raises(ContractError, match=field):
        parse_digest(json.dumps(body))


def test_chatbot_shows_losses_and_the_output_location_in_code():
    hostile = "s3://b/`<!channel>`/" + "x" * 400
    d = digest(
        [
            entry(
                "claims-ft",
                "Completed",
                kind="model-customization",
                output_location=hostile,
                training_loss=0.4213,
                validation_loss=0.4671,
            ),
            entry("broken", "Failed", failure="boom", output_location="s3://batch/out/broken/"),
        ]
    )
    description = json.loads(render_digest(d, "chatbot").body)["content"]["description"]
    line = next(x for x in description.split("\n") if x.startswith("Completed"))
    assert line.startswith(
        "Completed (1): `claims-ft` (training loss 0.4213, validation loss 0.4671, output "
        "`s3://b/\u02cb<!channel>\u02cb/xxx"
    )
    assert line.endswith(f"{ELLIPSIS}`)")
    assert len(line) < 320
    assert "s3://batch/out/broken/" not in description


@pytest.mark.parametrize(
    ("status", "category"),
    [
        ("COMPLETE", "completed"),  # knowledge-base ingestion
        ("FAILED", "failed"),
        ("STOPPED", "stopped"),
        ("IN_PROGRESS", None),
        ("COMPLETED", "completed"),  # Automated Reasoning build workflows
        ("CANCELLED", "stopped"),
        ("BUILDING", None),
    ],
)
def test_the_capitalised_statuses_of_the_parent_scoped_kinds_have_their_lists(
    status: str, category: str | None
) -> None:
    assert status_category(status, "IN_PROGRESS") == category
