"""Many regions from one deployment: one run covers every watched region, each region keeps its
own state, and a region that cannot be reached fails alone (issue 7, part 2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.kinds import REGISTRY
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed
from job_monitor.ports import Published
from sim.local import REGION, TABLE_NAME, LocalAccount

OTHER = "eu-west-1"
THIRD = "ap-northeast-1"
KINDS = (REGISTRY["model-customization"], REGISTRY["batch-inference"])


def monitor(account: LocalAccount, *regions: str) -> Monitor:
    settings = account.settings(kinds=KINDS, watch_regions=regions or (REGION, OTHER))
    return account.monitor(settings)


def partitions(account: LocalAccount) -> dict[str, set[str]]:
    """Sort keys of the state items, by partition."""
    items = account.clients["dynamodb"].scan(TableName=TABLE_NAME)["Items"]
    found: dict[str, set[str]] = {}
    for item in items:
        if item["pk"]["S"].startswith("state"):
            found.setdefault(item["pk"]["S"], set()).add(item["sk"]["S"])
    return found


def unreachable(account: LocalAccount, region: str, *, answers: bool = False) -> None:
    """Every request to Bedrock in ``region`` fails to connect, or (``answers``) connects but
    times out waiting for an answer (after botocore's retries)."""

    def refuse(request: Any, **_: Any) -> None:
        if answers:
            raise ReadTimeoutError(endpoint_url=request.url)
        raise EndpointConnectionError(endpoint_url=request.url)

    account.bedrock_client(region).meta.events.register_first("before-send.bedrock", refuse)


def test_one_run_reports_transitions_from_every_watched_region(account: LocalAccount):
    # Given a running job in each of two regions, baselined by one run
    home = account.bedrock.create_job("model-customization", "tune-us", status="InProgress")
    away = account.simulator(OTHER).create_job(
        "model-customization", "tune-eu", status="InProgress"
    )
    monitor(account).run()
    # When both fail and the monitor runs again
    account.bedrock.set_status(home, "Failed", failure_message="us quota")
    account.simulator(OTHER).set_status(away, "Failed", failure_message="eu quota")
    account.clock.advance(minutes=5)
    report = monitor(account).run()
    # Then both transitions are published, each saying its region, with a console link there
    messages = {m.body["jobName"]: m for m in account.drain()}
    assert sorted(messages) == ["tune-eu", "tune-us"]
    assert messages["tune-eu"].body["region"] == OTHER
    assert f"https://{OTHER}.console.aws.amazon.com/" in messages["tune-eu"].body["consoleUrl"]
    assert messages["tune-us"].body["region"] == REGION
    assert sorted((k.region, k.kind) for k in report.kinds) == sorted(
        (r, k.name) for r in (REGION, OTHER) for k in KINDS
    )


def test_each_region_keeps_its_state_in_its_own_partition(account: LocalAccount):
    # Given jobs running in two regions
    account.bedrock.create_job("batch-inference", "batch-us", status="InProgress")
    account.simulator(OTHER).create_job("batch-inference", "batch-eu", status="InProgress")
    # When the first run takes its baseline
    monitor(account).run()
    # Then the home region's state is where a single-region deployment keeps it ("state"), so
    # an existing deployment upgrades in place, and the other region has its own partition
    found = partitions(account)
    assert set(found) == {"state", f"state#{OTHER}"}
    assert {sk.split("#")[0] for sk in found["state"]} == {"cursor", "job"}
    views = [sk for sk in found[f"state#{OTHER}"] if sk.startswith("job#")]
    assert views
    assert all(f":{OTHER}:" in sk for sk in views)
    assert not any(OTHER in sk for sk in found["state"])


def test_adding_a_region_baselines_it_and_leaves_the_others_state_alone(account: LocalAccount):
    # Given a deployment that watched only its own region, with a job that then completes
    home = account.bedrock.create_job("model-customization", "tune-us", status="InProgress")
    monitor(account, REGION).run()
    account.simulator(OTHER).create_job("model-customization", "old-eu", status="Completed")
    account.bedrock.set_status(home, "Completed")
    account.clock.advance(minutes=5)
    # When a second region is added
    monitor(account, REGION, OTHER).run()
    # Then the home region carries on from its state (the completion is reported), and the new
    # region takes a baseline: its history is not reported as new
    assert [m.transition for m in account.drain()] == [("tune-us", "InProgress", "Completed")]


@pytest.mark.parametrize("failure", ["cannot-connect", "no-answer", "region-not-enabled"])
def test_a_region_that_cannot_be_reached_fails_alone(account: LocalAccount, failure: str):
    # Given three watched regions with a job each, baselined
    sims = {r: account.simulator(r) for r in (REGION, OTHER, THIRD)}
    arns = {
        r: sim.create_job("batch-inference", f"batch-{r}", status="InProgress")
        for r, sim in sims.items()
    }
    monitor(account, REGION, OTHER, THIRD).run()
    for region, arn in arns.items():
        sims[region].set_status(arn, "Completed")
    account.clock.advance(minutes=5)
    # When the middle one stops answering
    if failure in {"cannot-connect", "no-answer"}:
        unreachable(account, OTHER, answers=failure == "no-answer")
    else:
        for kind in KINDS:
            operation = "".join(p.capitalize() for p in kind.list_operation.split("_"))
            sims[OTHER].inject(operation, "UnrecognizedClientException", status=403, times=None)
    sims[OTHER].reset_calls()
    with pytest.raises(RunFailed) as failed:
        monitor(account, REGION, OTHER, THIRD).run()
    # Then the other regions' transitions are still published, the failure names the region,
    # and the region's kinds asked for their first list page only (all at once, the first
    # pair's too: poll.run) before it was known to be down
    assert sorted(m.body["jobName"] for m in account.drain()) == sorted(
        [f"batch-{REGION}", f"batch-{THIRD}"]
    )
    failed_scopes = [(k.region, k.kind) for k in failed.value.report.failed_kinds]
    assert failed_scopes == [(OTHER, k.name) for k in KINDS]
    assert "region unavailable" in str(failed.value)
    lists = {"".join(p.capitalize() for p in k.list_operation.split("_")) for k in KINDS}
    assert {operation for operation, _ in sims[OTHER].calls} == lists
    # And once it is back, the next run reports its transition
    if failure == "region-not-enabled":
        sims[OTHER].clear_faults()
        account.clock.advance(minutes=5)
        monitor(account, REGION, OTHER, THIRD).run()
        assert [m.body["jobName"] for m in account.drain()] == [f"batch-{OTHER}"]


def test_a_quiet_run_costs_one_list_per_kind_and_one_query_per_region(account: LocalAccount):
    # Given two regions with running jobs, baselined
    for region in (REGION, OTHER):
        for kind in KINDS:
            account.simulator(region).create_job(kind.name, f"{kind.name}-{region}")
    monitor(account).run()
    account.clock.advance(minutes=5)
    for region in (REGION, OTHER):
        account.simulator(region).reset_calls()
    account.requests.clear()
    # When nothing changed
    monitor(account).run()
    # Then each region costs one list call per kind, and one DynamoDB Query
    assert [account.simulator(r).count() for r in (REGION, OTHER)] == [len(KINDS), len(KINDS)]
    assert dict(account.requests) == {"dynamodb.Query": 2}


def test_watch_regions_setting_lists_the_home_region_only_when_empty(account: LocalAccount):
    settings = account.settings()
    assert settings.watch_regions == ()
    assert settings.regions == (REGION,)
    # A non-empty list is taken as given, in its order, without adding the home region
    assert replace(settings, watch_regions=(OTHER,)).regions == (OTHER,)
    assert replace(settings, watch_regions=(THIRD, REGION)).regions == (THIRD, REGION)


@pytest.mark.parametrize(
    "batch", [pytest.param(1, id="one-at-a-time"), pytest.param(50, id="batched")]
)
def test_a_backlog_in_one_region_does_not_starve_the_others(account: LocalAccount, batch: int):
    # Given 300 new jobs in the home region and one failure in the other, after a baseline
    account.bedrock.create_job("model-customization", "old", status="Completed")
    away = account.simulator(OTHER).create_job("model-customization", "tune-eu")
    settings = account.settings(
        kinds=KINDS[:1], watch_regions=(REGION, OTHER), delivery_batch=batch
    )
    account.monitor(settings).run()
    account.clock.advance(minutes=1)
    for i in range(300):
        account.bedrock.create_job("model-customization", f"job-{i:03d}", status="Completed")
    account.simulator(OTHER).set_status(away, "Failed")
    account.clock.advance(minutes=5)
    # When the invocation has time for 100 messages (1 s each, stopping at the 20 s margin; a
    # PublishBatch's messages count one each)
    sent = [0]
    monitor = account.monitor(settings, remaining_seconds=lambda: 100.0 - sent[0])
    publish, publish_many = monitor.publisher.publish, monitor.publisher.publish_many

    def counted(message: SnsMessage) -> str:
        sent[0] += 1
        return publish(message)

    def counted_many(messages: Sequence[SnsMessage]) -> Published:
        result = publish_many(messages)
        sent[0] += sum(message_id is not None for message_id in result.ids)
        return result

    monitor.publisher.publish = counted  # type: ignore[method-assign]
    monitor.publisher.publish_many = counted_many  # type: ignore[method-assign]
    report = monitor.run()
    # Then the home region stops at its share, and the other region still reports its failure
    published = [t.job.name for t in report.published]
    assert report.truncated
    assert "tune-eu" in published
    assert 30 <= len(published) <= 80
