"""Coverage that stays true: every List operation of the Bedrock services in the installed botocore
whose items carry a job status is a registered kind, or is left out in ONE place
(``kinds.NOT_MONITORED``) with its reason. A botocore upgrade that adds a job API fails here until
someone decides."""

from __future__ import annotations

import re

import botocore.session
import pytest

from job_monitor.domain.kinds import NOT_MONITORED, REGISTRY, JobKind

SERVICES = (
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-data-automation",
    "bedrock-agentcore",
)
SESSION = botocore.session.get_session()
_RUNNING = re.compile(r"in_?progress|running|creating|scheduled|submitted|starting|pending", re.I)
_FAILED = re.compile(r"fail", re.I)


def _job_status_lists() -> set[tuple[str, str]]:
    """(service, operation) of each List operation whose output holds a list of structures with
    an enumerated ``...status`` member that has a failure value and a running value (or whose
    operation names jobs: memory extraction lists only failures)."""
    found = set()
    for service in SERVICES:
        model = SESSION.get_service_model(service)
        for name in model.operation_names:
            output = model.operation_model(name).output_shape
            if not name.startswith("List") or output is None:
                continue
            for member in output.members.values():
                if member.type_name != "list" or member.member.type_name != "structure":
                    continue
                for field, shape in member.member.members.items():
                    enum = shape.enum if shape.type_name == "string" else []
                    if not (field.lower().endswith("status") and enum):
                        continue
                    fails = any(_FAILED.search(v) for v in enum)
                    runs = any(_RUNNING.search(v) for v in enum) or "Job" in name
                    if fails and runs:
                        found.add((service, name))
    return found


def _registered(kind: JobKind) -> tuple[str, str]:
    return (kind.service, kind.list_action.split(":", 1)[1])


def test_every_job_status_list_is_a_kind_or_left_out_with_a_reason() -> None:
    found = _job_status_lists()
    registered = {_registered(k) for k in REGISTRY.values() if k.polled}
    undecided = found - registered - set(NOT_MONITORED)
    assert not undecided, (
        f"List operations with job statuses, neither a kind nor left out: {undecided}"
    )


def test_the_left_out_table_names_only_real_undecided_operations() -> None:
    found = _job_status_lists()
    registered = {_registered(k) for k in REGISTRY.values() if k.polled}
    # Stale rows (an operation gone from botocore, or registered since) fail too
    assert set(NOT_MONITORED) <= found - registered
    assert all(reason.strip() for reason in NOT_MONITORED.values())


def test_the_walk_finds_the_kinds_it_should() -> None:
    # The criterion is not vacuous: it finds every polled kind of the registry
    found = _job_status_lists()
    for kind in REGISTRY.values():
        if kind.polled:
            assert _registered(kind) in found, kind.name
    assert ("bedrock-agentcore", "ListMemoryExtractionJobs") in found


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_in_the_installed_botocore(service: str) -> None:
    assert service in SESSION.get_available_services()
