"""The dashboard shows the kinds the watched regions do not offer (issue 12, item 8): a gauge the
monitor logs every run (its figures), apart from the errors, and no alarm watches it."""

from __future__ import annotations

import json

import pytest

from infra import names
from tests.infra.support import Synthesized

pytestmark = pytest.mark.slow  # the shared synth


def test_the_dashboard_has_a_not_offered_widget(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(
        "".join(str(p) for p in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1])
    )
    [widget] = [w for w in body["widgets"] if "not offered" in w["properties"].get("title", "")]
    # A Logs Insights query of the monitor's logged figures (no custom metric)
    query = widget["properties"]["query"]
    assert f'filter message = "{names.FIGURES_MESSAGE}"' in query
    assert f"max(figures.{names.METRIC_KINDS_NOT_OFFERED})" in query


def test_no_alarm_watches_kinds_not_offered(synthesized: Synthesized) -> None:
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"].get("MetricName") != names.METRIC_KINDS_NOT_OFFERED
