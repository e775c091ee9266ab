"""Which running jobs are overdue or about to expire: a pure function of the jobs listed, the rules
and the time (``domain.overdue.find_alerts``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION, PROVISIONED_THROUGHPUT
from job_monitor.domain.overdue import EXPIRING, OVERDUE, OverdueRules, find_alerts

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
RULES = OverdueRules(
    thresholds={
        ("model-customization", "InProgress"): timedelta(hours=48),
        ("batch-inference", "Scheduled"): timedelta(hours=24),
        ("provisioned-throughput", "Updating"): timedelta(hours=2),
    },
    expiry_warning=timedelta(hours=12),
)


def tune(status: str, *, hours_ago: float) -> Job:
    return Job(
        MODEL_CUSTOMIZATION,
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/base.model-v1/a1b2c3d4e5f6",
        "long-tune",
        status,
        NOW - timedelta(hours=hours_ago),
    )


def batch(status: str, *, hours_ago: float, expires_in: float | None) -> Job:
    return Job(
        BATCH_INFERENCE,
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/q8r9s0t1u2v3",
        "nightly",
        status,
        NOW - timedelta(hours=hours_ago),
        expires_at=NOW + timedelta(hours=expires_in) if expires_in is not None else None,
    )


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        (tune("InProgress", hours_ago=47.9), []),
        (tune("InProgress", hours_ago=48), [OVERDUE]),
        (tune("InProgress", hours_ago=500), [OVERDUE]),  # long past it: still one alert
        (tune("Stopping", hours_ago=500), []),  # no threshold for this status: off
        (tune("Completed", hours_ago=500), []),  # finished: never overdue
        (batch("Scheduled", hours_ago=1, expires_in=30), []),
        (batch("Scheduled", hours_ago=1, expires_in=12), [EXPIRING]),
        (batch("Scheduled", hours_ago=25, expires_in=5), [OVERDUE, EXPIRING]),
        (batch("Submitted", hours_ago=1, expires_in=5), [EXPIRING]),
        (batch("InProgress", hours_ago=1, expires_in=5), []),  # running: it will not expire
        (batch("Scheduled", hours_ago=1, expires_in=-1), []),  # already expired
        (batch("Scheduled", hours_ago=1, expires_in=None), []),  # no expiration time listed
    ],
)
def test_alerts_due(job: Job, expected: list[str]) -> None:
    assert [a.reason for a in find_alerts([job], RULES, NOW)] == expected


def test_an_overdue_alert_says_how_long_against_which_threshold() -> None:
    [alert] = find_alerts([tune("InProgress", hours_ago=50)], RULES, NOW)
    assert alert.age == timedelta(hours=50)
    assert alert.threshold == timedelta(hours=48)
    assert alert.dedupe_id.endswith("/a1b2c3d4e5f6#overdue#InProgress#172800s")


def test_an_expiring_alert_says_the_time_left_and_has_one_id_per_job() -> None:
    [alert] = find_alerts([batch("Scheduled", hours_ago=1, expires_in=3)], RULES, NOW)
    assert alert.time_left == timedelta(hours=3)
    later = find_alerts(
        [batch("Scheduled", hours_ago=2, expires_in=2)], RULES, NOW + timedelta(hours=1)
    )
    assert [a.dedupe_id for a in later] == [alert.dedupe_id]
    assert alert.dedupe_id.endswith("/q8r9s0t1u2v3#expiring")


def test_a_changed_threshold_is_a_new_alert_the_same_threshold_is_not() -> None:
    job = tune("InProgress", hours_ago=80)
    [first] = find_alerts([job], RULES, NOW)
    [again] = find_alerts([job], RULES, NOW + timedelta(hours=5))
    raised = OverdueRules(thresholds={("model-customization", "InProgress"): timedelta(hours=72)})
    [other] = find_alerts([job], raised, NOW)
    assert first.dedupe_id == again.dedupe_id
    assert other.dedupe_id != first.dedupe_id


def test_a_resource_is_overdue_from_its_last_modification_once_per_update() -> None:
    def updating(modified_hours_ago: float) -> Job:
        return Job(
            PROVISIONED_THROUGHPUT,
            f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/abcdefghijkl",
            "pt",
            "Updating",
            NOW - timedelta(days=90),  # created long ago: that is not the age that counts
            last_modified=NOW - timedelta(hours=modified_hours_ago),
        )

    assert find_alerts([updating(1)], RULES, NOW) == []
    [first] = find_alerts([updating(3)], RULES, NOW)
    [next_update] = find_alerts([updating(2.5)], RULES, NOW + timedelta(days=7))
    assert first.age == timedelta(hours=3)
    assert first.dedupe_id != next_update.dedupe_id


def test_no_rules_no_alerts() -> None:
    assert not OverdueRules().enabled
    job = batch("Scheduled", hours_ago=500, expires_in=1)
    assert find_alerts([job], OverdueRules(), NOW) == []
