"""Job tags in the message contract and in routing (issue 15, item 3): which tag keys may be
published, the attributes a transition carries (within SNS's 10), the body's ``tags`` field and
its parse, and tag filters in subscription filter policies. Pure."""

from __future__ import annotations

import dataclasses
import json

import pytest

from job_monitor.contracts import routing
from job_monitor.contracts import transition as message
from job_monitor.contracts.tags import (
    MAX_TAG_KEYS,
    SNS_MAX_ATTRIBUTES,
    TRANSITION_ATTRIBUTES,
    parse_tag_filter,
    parse_tag_keys,
    select_tags,
)
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION
from tests.notifications.conftest import make_transition


def test_a_transition_with_every_optional_attribute_and_the_most_tags_fits_sns() -> None:
    # Given a transition into a status the registry does not know, with a region, carrying the
    # most tags tag_keys allows
    keys = parse_tag_keys([f"k{i}" for i in range(MAX_TAG_KEYS)])
    base = make_transition(MODEL_CUSTOMIZATION, "Cancelling", previous="InProgress")
    tagged = dataclasses.replace(
        base, job=dataclasses.replace(base.job, tags=tuple((k, "v") for k in keys))
    )
    # Then its own attributes are exactly TRANSITION_ATTRIBUTES and the total is SNS's limit
    assert len(message.attributes(base)) == TRANSITION_ATTRIBUTES
    assert len(message.attributes(tagged)) == SNS_MAX_ATTRIBUTES


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["team", "cost:center"], "cannot be published"),
        (["team", "aws:cloudformation:stack-name"], "cannot be published"),
        (["my team"], "cannot be published"),
        (["team."], "cannot be published"),
        (["a..b"], "cannot be published"),
        (["x" * 129], "cannot be published"),
        (["team", "team"], "duplicate tag key"),
        (["a", "b", "c", "d", "e"], f"at most {MAX_TAG_KEYS}"),
    ],
)
def test_tag_keys_sns_cannot_carry_are_refused_with_the_reason(
    keys: list[str], expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_tag_keys(keys)


def test_publishable_tag_keys_are_kept_in_order() -> None:
    assert parse_tag_keys(["team", "env", "cost-center", "app.tier"]) == (
        "team",
        "env",
        "cost-center",
        "app.tier",
    )


def test_only_allow_listed_non_empty_tags_are_selected_sorted_by_key() -> None:
    tags = {"team": "search", "env": "prod", "owner": "alice", "empty": "", "Team": "other"}
    assert select_tags(tags, ["team", "env", "empty", "missing"]) == (
        ("env", "prod"),
        ("team", "search"),
    )
    assert select_tags(tags, []) == ()
    assert select_tags({"team": "x" * 300}, ["team"]) == (("team", "x" * 256),)


def test_the_body_carries_the_tags_and_a_subscriber_reads_them_back() -> None:
    base = make_transition(MODEL_CUSTOMIZATION, "Failed")
    tags = (("env", "prod"), ("team", "search"))
    tagged = dataclasses.replace(base, job=dataclasses.replace(base.job, tags=tags))
    rendered = message.render(tagged)
    assert json.loads(rendered.body)["tags"] == {"env": "prod", "team": "search"}
    assert rendered.attributes["tag.team"] == "search"
    assert message.parse(rendered.body).tags == tags
    # A job without tags (routing off, or unread) has no field and no attribute: bodies unchanged
    plain = message.render(base)
    assert "tags" not in json.loads(plain.body)
    assert not any(k.startswith("tag.") for k in plain.attributes)
    assert message.parse(plain.body).tags == ()


def test_a_tags_field_that_is_not_an_object_is_a_contract_error() -> None:
    body = json.loads(message.render(make_transition(MODEL_CUSTOMIZATION, "Failed")).body)
    body["tags"] = ["team=search"]
    with pytest.raises(message.ContractError, match="'tags' must be an object"):
        message.parse(json.dumps(body))


@pytest.mark.parametrize(
    ("raw", "keys", "expected"),
    [
        ({"owner": ["alice"]}, ("team",), "not published"),
        ({"team": ["search"]}, (), "tag_keys is empty"),
        ({"team": []}, ("team",), "non-empty list"),
        ({"team": [""]}, ("team",), "bad tag value"),
        ({"team": ["a;b"]}, ("team",), "bad tag value"),
        ({"team": ["x" * 257]}, ("team",), "bad tag value"),
        (["team"], ("team",), "expected an object"),
        ("{not json", ("team",), "not a valid JSON object"),
    ],
)
def test_bad_tag_filters_are_refused(raw: object, keys: tuple[str, ...], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_tag_filter(raw, keys)


def test_a_tag_filter_reads_lists_single_values_and_json_text() -> None:
    keys = ("team", "env")
    expected = (("team", ("search", "ranking")), ("env", ("prod",)))
    assert parse_tag_filter({"team": ["search", "ranking"], "env": "prod"}, keys) == expected
    assert parse_tag_filter('{"team": ["search", "ranking"], "env": ["prod"]}', keys) == expected
    assert parse_tag_filter(expected, keys) == expected  # a parsed value given back
    assert parse_tag_filter({}, keys) == ()


def test_a_tag_filter_multiplies_the_policy_combinations() -> None:
    tag_filter = parse_tag_filter({"team": ["search", "ranking"], "env": ["prod"]}, ("team", "env"))
    plain = routing.filter_policy(["Failed", "Completed"])
    tagged = routing.filter_policy(["Failed", "Completed"], None, tag_filter)
    assert tagged == {**plain, "tag.team": ["search", "ranking"], "tag.env": ["prod"]}
    assert routing.combinations(tagged) == 2 * 2 * 1
    policy = routing.destination_policy(
        "search", ["Failed"], tags=tag_filter, alert_types=routing.ALERT_TYPES
    )
    # The tags narrow the transitions and the overdue branches (overdue alerts carry the tags kept
    # with the job); the test and the digest branches are as before
    transitions, overdue, *rest = policy["$or"]
    assert transitions["tag.team"] == overdue["tag.team"] == ["search", "ranking"]
    assert overdue["message_type"] == ["overdue"]
    assert rest == [{routing.TARGET_ATTRIBUTE: ["search"]}, routing.DIGEST_POLICY]
    assert routing.combinations(policy) == 2 + 2 + 1 + 1
