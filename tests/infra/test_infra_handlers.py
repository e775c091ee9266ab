"""The handler paths the stack deploys exist in functions/ (no synth)."""

from __future__ import annotations

import importlib

import pytest

from infra import names


@pytest.mark.parametrize(
    "path",
    [
        names.MONITOR_HANDLER,
        names.SLACK_NOTIFIER_HANDLER,
        *(names.notifier_handler(t) for t in ("slack", "teams")),
    ],
)
def test_handler_path_resolves_to_a_function(path: str) -> None:
    module_name, _, attribute = path.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute, None)), f"{path} is not a callable in functions/"
