"""The ``destinations`` context list (issue 15): parsing, refusals naming the entry and key, and the
SNS filter policies each destination and the older subscribers get. No synth."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.settings import DestinationSettings, Settings, SettingsError
from job_monitor.contracts import routing
from job_monitor.domain.kinds import DEFAULT_KINDS
from tests.infra.support import cdk_json_context

SEARCH = {
    "name": "search",
    "type": "slack",
    "secret_name": "bjm/search-slack",
    "kinds": ["model-customization"],
    "statuses": ["Failed", "started"],
    "job_name_pattern": "^search-",
    "mention": "<!here>",
}
PLATFORM = {
    "name": "platform-oncall",
    "type": "teams",
    "secret_name": "bjm/platform-teams",
    "statuses": ["Failed"],
    "regions": ["us-east-1"],
    "digest": False,
}


def settings(**context: Any) -> Settings:
    return Settings.from_mapping({**cdk_json_context(), **context})


def error_for(**context: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        settings(**context)
    return str(caught.value)


def test_no_destinations_by_default() -> None:
    assert settings().destinations == ()


def test_a_list_of_destinations_is_parsed_from_json_text_as_with_minus_c() -> None:
    # Given the list as `-c destinations='[...]'` passes it (a string)
    parsed = settings(destinations=json.dumps([SEARCH, PLATFORM])).destinations

    # Then each entry is typed, with defaults for what it leaves out
    assert parsed == (
        DestinationSettings(
            name="search",
            type="slack",
            secret_name="bjm/search-slack",
            statuses=("Failed", "started"),
            kinds=("model-customization",),
            job_name_pattern="^search-",
            mention="<!here>",
        ),
        DestinationSettings(
            name="platform-oncall",
            type="teams",
            secret_name="bjm/platform-teams",
            statuses=("Failed",),
            regions=("us-east-1",),
            digest=False,
        ),
    )
    assert [d.label for d in parsed] == ["SearchSlack", "PlatformOncallTeams"]
    assert settings(destinations=[{**PLATFORM, "statuses": None}]).destinations[0].statuses == (
        routing.DEFAULT_SLACK_STATUSES
    )


def test_each_destination_policy_filters_in_sns_and_takes_its_own_test_only() -> None:
    # Given two destinations and the daily digest
    s = settings(destinations=[SEARCH, PLATFORM], daily_digest=True)
    search, platform = s.destinations

    # Then each policy routes its statuses, kinds and regions; the overdue alerts of its kinds
    # and regions; a test aimed at it; the digest only where wanted
    assert search.filter_policy(s.daily_digest) == {
        "$or": [
            {"status": ["Failed", "InProgress"], "kind": ["model-customization"]},
            {"message_type": ["overdue"], "kind": ["model-customization"]},
            {"destination": ["search"]},
            {"message_type": ["digest"]},
        ]
    }
    assert platform.filter_policy(s.daily_digest) == {
        "$or": [
            {"status": ["Failed"], "region": ["us-east-1"]},
            {"message_type": ["overdue"], "region": ["us-east-1"]},
            {"destination": ["platform-oncall"]},
        ]
    }
    # And the email policy is as without destinations (a test aimed at a destination has no
    # status attribute, which it requires)
    assert s.email_filter_policy() == settings(daily_digest=True).email_filter_policy()


@pytest.mark.parametrize(
    ("alert_types", "expected"),
    [
        # every alert type is the default
        (None, ["transition", "overdue", "test", "digest"]),
        (["overdue"], ["overdue"]),
        ("transition,test", ["transition", "test"]),
        (["digest", "overdue"], ["overdue", "digest"]),
    ],
)
def test_alert_types_choose_the_branches_of_the_policy(
    alert_types: Any, expected: list[str]
) -> None:
    # Given a destination asking for some alert types (the daily digest on)
    entry = {**SEARCH, "alert_types": alert_types}
    [search] = settings(destinations=[entry], daily_digest=True).destinations
    policy = search.filter_policy(daily_digest=True)

    # Then its policy has one branch per alert type it asked for, and no other
    branches = policy.get("$or", [policy])
    assert [_alert_type(branch) for branch in branches] == expected
    # And without the daily digest there is no digest branch to ask for
    without = search.filter_policy(daily_digest=False)
    assert "digest" not in json.dumps(without)


def _alert_type(branch: dict[str, Any]) -> str:
    if "status" in branch:
        return "transition"
    if "destination" in branch:
        return "test"
    [message_type] = branch["message_type"]
    return str(message_type)


def test_the_environment_of_a_destination_carries_its_pattern_and_mention() -> None:
    s = settings(destinations=[SEARCH, PLATFORM], slack_mention="<!channel>")
    search, platform = s.destinations
    env = s.destination_environment(search, "arn:secret", "table")
    assert env["SLACK_JOB_NAME_PATTERN"] == "^search-"
    assert env["SLACK_MENTION"] == "<!here>"
    env = s.destination_environment(platform, "arn:secret", "table")
    assert env["SLACK_JOB_NAME_PATTERN"] == "" and env["SLACK_MENTION"] == ""
    assert env["SLACK_SECRET_ARN"] == "arn:secret"


@pytest.mark.parametrize(
    ("destinations", "expected"),
    [
        ("[{", "destinations: not JSON"),
        ({"name": "a"}, "destinations: expected a list of objects"),
        (["a"], r"destinations: \[0\]: must be an object"),
        (
            [{**SEARCH, "type": "discord"}],
            r"\[0\] \(search\): type: unknown destination type "
            "'discord'; allowed: slack, teams",
        ),
        ([SEARCH, {**PLATFORM, "name": "search"}], "duplicate destination name.*: search"),
        ([{**SEARCH, "name": "Search Team"}], "name: 'Search Team' is not a destination name"),
        ([{**SEARCH, "name": "a--b"}], "not a destination name"),
        ([{**SEARCH, "secret_name": ""}], r"\(search\): secret_name required"),
        (
            [{**SEARCH, "secret_name": "arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf"}],
            "secret_name: .* is an ARN",
        ),
        # (a well-formed status no kind has is routed by name; a malformed one stops the synth)
        ([{**SEARCH, "statuses": ["Fin ished"]}], r"\(search\): statuses: .*Fin ished"),
        ([{**SEARCH, "kinds": ["fine-tune"]}], r"\(search\): kinds: "),
        ([{**SEARCH, "regions": ["us-est-1"]}], r"\(search\): regions: unknown region us-est-1"),
        ([{**SEARCH, "job_name_pattern": "(("}], r"\(search\): job_name_pattern: "),
        ([{**PLATFORM, "mention": "<!here>"}], "mention: only Slack destinations mention"),
        ([{**SEARCH, "colour": "red"}], r"unknown key\(s\) colour"),
        ([{**SEARCH, "digest": "maybe"}], r"\(search\): digest: "),
        (
            [{**SEARCH, "alert_types": ["transition", "overdue", "email"]}],
            r"\(search\): alert_types: unknown alert type\(s\) email; allowed: transition, "
            "overdue, digest, test",
        ),
        ([{**SEARCH, "alert_types": []}], r"\(search\): alert_types: at least one is required"),
        ([{**SEARCH, "alert_types": ["test", "test"]}], r"\(search\): alert_types: "),
        (
            [{**SEARCH, "alert_types": ["digest"], "digest": False}],
            r"\(search\): digest: false contradicts alert_types",
        ),
    ],
)
def test_a_bad_destination_stops_the_synth_naming_the_entry_and_key(
    destinations: Any, expected: str
) -> None:
    assert error_for(destinations=destinations).startswith("destinations: ")
    assert re.search(expected, error_for(destinations=destinations))


def test_a_kind_that_is_not_monitored_or_a_region_that_is_not_watched_is_refused() -> None:
    message = error_for(destinations=[SEARCH], job_kinds=["batch-inference"])
    assert "destinations: [0] (search): kinds: model-customization not monitored" in message
    message = error_for(
        destinations=[{**PLATFORM, "regions": ["eu-west-1"]}], watch_regions=["us-east-1"]
    )
    assert "regions: eu-west-1 not watched" in message


def test_a_filter_over_snss_150_combinations_is_refused() -> None:
    # Given every status, every monitored kind but one (listing all of them is no kind filter)
    # and two regions: 15 x 6 x 2 = 180, plus the test branch
    kinds = list(DEFAULT_KINDS)[:-1]
    wide = {
        **PLATFORM,
        "statuses": sorted(routing.ALL_STATUSES),
        "kinds": kinds,
        "regions": ["us-east-1", "us-west-2"],
    }
    assert len(routing.ALL_STATUSES) * len(kinds) * 2 > routing.SNS_MAX_COMBINATIONS
    message = error_for(destinations=[wide], watch_regions=["us-east-1", "us-west-2"])
    assert "combinations" in message and "over SNS's 150" in message
    # And without the kinds (all kinds, at no cost) it fits
    narrower = {**wide, "kinds": []}
    assert settings(destinations=[narrower], watch_regions=["us-east-1", "us-west-2"])


def test_destinations_cannot_read_the_chatbot_format() -> None:
    assert "message_format 'chatbot' cannot be combined with destinations" in error_for(
        destinations=[PLATFORM], message_format="chatbot"
    )
