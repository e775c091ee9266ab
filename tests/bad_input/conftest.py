"""Helpers for the bad-input table: log capture that survives Powertools' logger configuration,
and a hook that rewrites what the (strict) Bedrock simulator answered, as a newer or quirkier AWS
would answer, without touching the simulator."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

LOGGERS = (
    "job_monitor.poll.run",
    "job_monitor.poll.kind",
    "job_monitor.poll.baseline",
    "job_monitor.poll.scan",
    "job_monitor.publish.pipeline",
    "job_monitor.publish.transitions",
    "job_monitor.adapters.job_source",
    "job_monitor.adapters.state_store",
    "job_monitor.adapters.dynamo_codec",
    "job_monitor.notifiers.pipeline",
)
"""The module loggers whose records the table's tests read (none is another's ancestor, so a
record is captured once)."""


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Logs:
    handler: _ListHandler

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.handler.records if r.levelno == level]

    def find(self, level: int, fragment: str) -> list[logging.LogRecord]:
        return [
            r for r in self.handler.records if r.levelno == level and fragment in r.getMessage()
        ]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """Records of the monitor's own loggers. Attached to each logger directly: importing the
    Lambda handler makes Powertools set ``propagate = False`` on them, which defeats ``caplog``."""
    handler = _ListHandler()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield Logs(handler)
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextmanager
def rewritten(
    client: Any, operation: str, edit: Callable[[dict[str, Any]], None]
) -> Iterator[None]:
    """Let ``edit`` change the parsed response of ``operation`` (e.g. "ListEvaluationJobs") before
    the monitor sees it: botocore's ``after-call`` event hands handlers the parsed dict that the
    client call returns. The simulator still validated its own answer; the edit is the "AWS
    answered something the service model does not promise" part."""
    event = f"after-call.bedrock.{operation}"
    unique_id = f"bad-input-rewrite-{operation}-{id(edit)}"

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        edit(parsed)

    client.meta.events.register(event, hook, unique_id=unique_id)
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id=unique_id)
