"""Session fixtures of the infrastructure tests: see tests/infra/support.py."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.infra.support import Synthesized, synthesize_shared


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app synthesized once per session (once per run under pytest-xdist)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "infra-synth"  # shared by the run
    else:
        shared = tmp_path_factory.getbasetemp() / "infra-synth"
    return synthesize_shared(shared)


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> Any:
    """``aws_cdk.assertions.Template`` of the synthesized stack."""
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized.template)


# The local HTTPS Slack webhook of the notification tests (self-signed certificate trusted
# through SSL_CERT_FILE), shared rather than written twice.
from tests.notifications.conftest import _tls_files, webhook  # noqa: E402, F401
