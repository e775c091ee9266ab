"""`make demo` (the README's first command) tells its story: each transition once, the event-driven
one included, and a quiet last run."""

from __future__ import annotations

import pytest

from sim import demo


def test_the_demo_reports_each_transition_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    runs = out.split("-- run ")[1:]
    assert len(runs) == 5
    assert "nothing published" in runs[0]
    # The failure in the other region is published by its event, and not again by the run
    lines = [ln for ln in runs[2].splitlines() if "-> " in ln and "claims-assistant-ft-eu" in ln]
    assert len(lines) == 1
    assert "InProgress -> Failed" in runs[2].split("then the scheduled run")[0]
    assert "Creating -> InService" in runs[2]
    # The video generation (an async invocation of bedrock-runtime) is followed like any job
    assert "(new) -> InProgress async-invoke" in runs[1]
    assert "InProgress -> Completed  async-invoke" in runs[2]
    assert "output:     s3://" in runs[2]
    assert "no transitions" in runs[4]
    assert "Traceback" not in out


def test_the_demo_shows_a_knowledge_base_ingestion_job(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    runs = capsys.readouterr().out.split("-- run ")[1:]
    # Found by the sweep on its first visit, then its completion with the job's statistics
    assert (
        "(new) -> STARTING   knowledge-base-ingestion us-east-1  support-docs / s3-manuals"
        in runs[1]
    )
    assert "STARTING -> COMPLETE   knowledge-base-ingestion" in runs[2]
    assert '"numberOfNewDocumentsIndexed": "1180"' in runs[2]
    assert "knowledge-base-ingestion" not in runs[4]
