"""The message-type table: an SNS body is read by the contract its type names; a body without a
type is a transition (the wire format predates types); an unknown type is a clear error."""

from __future__ import annotations

import json

import pytest

from job_monitor.contracts import digest, overdue, transition
from job_monitor.contracts.envelope import DIGEST, TRANSITION, ContractError
from job_monitor.contracts.fields import (
    optional_int,
    optional_str,
    optional_time,
    required_str,
    required_time,
)
from job_monitor.contracts.messages import MESSAGE_TYPES, parse_message
from job_monitor.digest.build import Digest
from job_monitor.domain.kinds import BATCH_INFERENCE
from tests.digest.test_slack_digest import _sample
from tests.notifications.conftest import NOW, make_transition


def test_every_contract_has_a_row() -> None:
    assert set(MESSAGE_TYPES) == {
        transition.MESSAGE_TYPE,
        digest.MESSAGE_TYPE,
        overdue.MESSAGE_TYPE,
    }
    assert (transition.MESSAGE_TYPE, digest.MESSAGE_TYPE) == (TRANSITION, DIGEST)


def test_a_transition_body_has_no_type_field_and_is_read_as_a_transition() -> None:
    # Given a transition as the monitor publishes it
    body = transition.render(make_transition(BATCH_INFERENCE, "Failed")).body
    assert "type" not in json.loads(body)
    # When it is parsed by type / Then the transition contract read it
    message = parse_message(body)
    assert message.type.name == TRANSITION
    assert message.content == transition.parse(body)
    assert message.job_name == "batch-2026-11-05"
    assert message.dedupe_id == transition.parse(body).dedupe_id


def test_the_test_notification_is_a_transition() -> None:
    body = transition.render(transition.sample_transition(NOW, "us-east-1", "123456789012")).body
    assert parse_message(body).type.name == TRANSITION


def test_a_digest_body_is_read_as_a_digest_about_no_single_job() -> None:
    body = digest.render_digest(_sample()).body
    message = parse_message(body)
    assert message.type.name == DIGEST
    assert isinstance(message.content, Digest)
    assert message.content == digest.parse_digest(body)
    assert message.job_name is None
    assert message.dedupe_id == _sample().dedupe_id


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"type": "stuck", "version": "1"}', "message type 'stuck'"),
        ('{"type": "overdue", "version": "1"}', "overdue field 'reason' is missing"),
        ('{"type": "overdue", "version": "2"}', "overdue body has version '2'"),
        ('{"type": 3}', "message type 3"),
        ("[1]", "not an object"),
        ("nope", "not JSON"),
        ('{"version": "2"}', "contract version '2'"),
    ],
)
def test_a_body_no_contract_reads_is_a_clear_error(body: str, expected: str) -> None:
    with pytest.raises(ContractError, match=expected):
        parse_message(body)


# -- the field readers every contract uses -----------------------------------------------------


def test_field_readers_name_the_field_and_the_label() -> None:
    data = {"s": "x", "empty": "", "n": 2.9, "b": True, "t": "2026-11-05T12:00:00Z", "bad": "nope"}
    assert required_str(data, "s") == "x"
    assert optional_str(data, "empty") is None
    assert optional_int(data, "n") == 2
    assert optional_time(data, "missing") is None
    assert required_time(data, "t") == NOW
    with pytest.raises(ContractError, match="digest field 'missing' is missing"):
        required_str(data, "missing", "digest field")
    with pytest.raises(ContractError, match="field 'b' must be a finite number"):
        optional_int(data, "b")
    with pytest.raises(ContractError, match="field 'bad' is not an ISO 8601 time"):
        optional_time(data, "bad")
    with pytest.raises(ContractError, match="field 'n' must be an ISO 8601 time"):
        required_time(data, "n")
