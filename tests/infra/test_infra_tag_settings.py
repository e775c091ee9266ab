"""Routing by job tags in the CDK app (issue 15, item 3): ``tag_keys`` and the tag filters of
email and each destination, refused with the setting named; the filter policies they make; and
``bedrock:ListTagsForResource`` granted on exactly the tagged resource types only when
``tag_keys`` is set (one synth, marked slow)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra import names
from infra.constructs.bedrock_access import tag_resource_types
from infra.settings import Settings, SettingsError
from job_monitor.config import MonitorSettings
from job_monitor.contracts import routing
from job_monitor.domain.kinds import REGISTRY, resolve_kinds
from tests.infra.support import cdk_json_context

SEARCH = {
    "name": "search",
    "type": "slack",
    "secret_name": "bjm/search-slack",
    "statuses": ["Failed", "Completed"],
    "tags": {"team": ["search"]},
}


def settings(**context: Any) -> Settings:
    return Settings.from_mapping({**cdk_json_context(), **context})


def error_for(**context: Any) -> str:
    with pytest.raises(SettingsError) as raised:
        settings(**context)
    return str(raised.value)


def test_tag_keys_default_to_none_and_reach_the_functions_environment() -> None:
    assert settings().tag_keys == ()
    configured = settings(tag_keys="team,env")
    assert configured.tag_keys == ("team", "env")
    env = configured.monitor_environment("table", "arn:aws:sns:us-east-1:111111111111:topic")
    assert env["TAG_KEYS"] == "team,env"
    lambda_settings = MonitorSettings.from_env({**env, "AWS_REGION": "us-east-1"})
    assert lambda_settings.tag_keys == ("team", "env")


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"tag_keys": "team,cost:center"}, r"^tag_keys: tag key\(s\) 'cost:center' cannot be"),
        ({"tag_keys": ["a", "b", "c", "d", "e"]}, r"^tag_keys: 5 tag keys; at most 4"),
        ({"tag_keys": "team,team"}, r"^tag_keys: duplicate"),
        (
            {"destinations": [SEARCH]},
            r"^destinations: \[0\] \(search\): tags: tag key 'team' is not published "
            r"\(tag_keys lists none: tag_keys is empty\)",
        ),
        (
            {"tag_keys": ["env"], "destinations": [SEARCH]},
            r"^destinations: \[0\] \(search\): tags: tag key 'team' is not published",
        ),
        (
            {"tag_keys": ["team"], "destinations": [{**SEARCH, "tags": {"team": []}}]},
            r"^destinations: \[0\] \(search\): tags: team: expected a non-empty list",
        ),
        ({"tag_keys": ["team"], "email_tags": {"owner": ["x"]}}, r"^email_tags: tag key 'owner'"),
        ({"tag_keys": ["team"], "email_tags": {"team": "a;b"}}, r"^email_tags: team: bad tag"),
    ],
)
def test_bad_tag_settings_are_refused_naming_the_setting(
    context: dict[str, Any], expected: str
) -> None:
    assert re.search(expected, error_for(**context))


def test_a_destination_and_email_filter_on_tags_in_their_sns_policies() -> None:
    configured = settings(
        tag_keys=["team", "env"],
        email_tags={"env": ["prod"]},
        destinations=[SEARCH],
    )
    (search,) = configured.destinations
    transitions = search.filter_policy(configured.daily_digest)["$or"][0]
    assert transitions == {"status": ["Completed", "Failed"], "tag.team": ["search"]}
    assert configured.email_filter_policy()["tag.env"] == ["prod"]


def test_too_many_tag_values_are_refused_by_the_combinations_count() -> None:
    many = [f"team-{i}" for i in range(40)]
    statuses = ["Failed", "Stopped", "Expired", "Completed"]
    message = error_for(
        tag_keys=["team"], destinations=[{**SEARCH, "statuses": statuses, "tags": {"team": many}}]
    )
    # 4 statuses x 40 values + the overdue branch x 40 (overdue alerts carry the tags) + the test
    assert "201 combinations" in message and "tag values" in message


def test_more_keys_than_sns_takes_in_one_filter_are_refused() -> None:
    crowded = {
        **SEARCH,
        "kinds": ["model-customization"],
        "regions": ["us-east-1"],
        "tags": {"team": ["search"], "env": ["prod"], "app": ["x"]},
    }
    message = error_for(
        tag_keys=["team", "env", "app"], watch_regions=["us-east-1"], destinations=[crowded]
    )
    assert f"at most {routing.SNS_MAX_POLICY_KEYS} keys" in message
    # Two tag keys beside status, kind and region fit
    two = {**crowded, "tags": {"team": ["search"], "env": ["prod"]}}
    settings(tag_keys=["team", "env"], watch_regions=["us-east-1"], destinations=[two])


def test_the_tagged_resource_types_follow_the_registry() -> None:
    assert tag_resource_types(resolve_kinds(list(REGISTRY))) == [
        "async-invoke",
        "automated-reasoning-policy",
        "custom-model-deployment",
        "evaluation-job",
        "knowledge-base",
        "model-customization-job",
        "model-import-job",
        "model-invocation-job",
        "provisioned-model",
    ]
    assert tag_resource_types(resolve_kinds(["model-copy", "data-automation"])) == []


@pytest.mark.slow
def test_list_tags_is_granted_only_with_tag_keys_on_the_tagged_types(tmp_path: Path) -> None:
    from tests.infra.test_infra_app import run_app
    from tests.infra.test_infra_realtime import _actions, _role_of, _stack_template, _statements

    # Given tag keys and kinds of which one (model copy) cannot be tagged
    kinds = "model-customization,model-copy,knowledge-base-ingestion"
    result = run_app(tmp_path / "tags", job_kinds=kinds, tag_keys="team,env")
    assert result.returncode == 0, result.stderr
    resources = _stack_template(tmp_path / "tags")["Resources"]
    monitor = _statements(resources, _role_of(resources, names.MONITOR_HANDLER))
    (tags,) = [s for s in monitor if "bedrock:ListTagsForResource" in str(s["Action"])]
    # Then the monitor may read tags with the one exact action, on the tagged types only
    assert tags["Action"] == "bedrock:ListTagsForResource"
    types = sorted(
        part.split("/")[0].removeprefix(":")
        for arn in tags["Resource"]
        for part in arn["Fn::Join"][1]
        if isinstance(part, str) and part.endswith("/*")
    )
    assert types == ["knowledge-base", "model-customization-job"]
    # And the real-time path (model customization events) may read its jobs' tags
    events = _statements(resources, _role_of(resources, names.EVENTS_HANDLER))
    assert "bedrock:ListTagsForResource" in _actions(events)
    # And without tag_keys (the default) neither function may
    result = run_app(tmp_path / "plain", job_kinds=kinds)
    assert result.returncode == 0, result.stderr
    plain = _stack_template(tmp_path / "plain")["Resources"]
    for handler in (names.MONITOR_HANDLER, names.EVENTS_HANDLER):
        statements = _statements(plain, _role_of(plain, handler))
        assert "bedrock:ListTagsForResource" not in _actions(statements)
