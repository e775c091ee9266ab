"""Rendering a transition does its work once (issue 16, busy-run CPU) and publishes what it did
before: the body is the measured contract's JSON, ``bounded`` copies nothing when nothing needs
cutting, and a console fragment without placeholders is used as it is."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from job_monitor.contracts import transition as message
from job_monitor.contracts.text import TRUNCATED, compact_json, cut, cut_optional
from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION

from .conftest import make_transition

_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.builds(
    lambda c, n: c * n, st.sampled_from(["a", "é", "\x00", '"', "😀"]), st.integers(0, 80_000)
)


def _bounded_by_copy(transition: Transition, budget: int) -> Transition:
    """``bounded`` as written before its fast path: always builds the cut copy, and returns the
    original when the copy equals it."""
    job = transition.job
    messages = message.failures(transition)
    cut_failures = message._bound_failures(messages, budget)
    cut_job = replace(
        job,
        name=cut(job.name, message.JOB_NAME_LIMIT, TRUNCATED),
        base_model=cut_optional(job.base_model, message.MODEL_TEXT_LIMIT, TRUNCATED),
        output_model=cut_optional(job.output_model, message.MODEL_TEXT_LIMIT, TRUNCATED),
        output_location=cut_optional(job.output_location, message.MODEL_TEXT_LIMIT, TRUNCATED),
        failure_messages=message._bound_failures(job.failure_messages, budget),
    )
    if cut_job == job and cut_failures == messages:
        return transition
    return replace(transition, job=cut_job, failure_messages=cut_failures)


@settings(max_examples=60, deadline=None)
@given(
    name=_TEXT,
    model=st.none() | _TEXT,
    location=st.none() | _TEXT,
    job_failures=st.lists(_TEXT, max_size=3).map(tuple),
    seen_failures=st.lists(_TEXT, max_size=3).map(tuple),
    budget=st.sampled_from([0, 10, 4_096, message.FAILURE_TEXT_LIMIT]),
)
def test_bounded_and_the_body_are_what_they_were(
    *,
    name: str,
    model: str | None,
    location: str | None,
    job_failures: tuple[str, ...],
    seen_failures: tuple[str, ...],
    budget: int,
) -> None:
    # Given a transition with text of any size (over every limit or not)
    base = make_transition(MODEL_CUSTOMIZATION, "Failed")
    job = replace(
        base.job,
        name=name,
        base_model=model,
        output_model=model,
        output_location=location,
        failure_messages=job_failures,
    )
    transition = replace(base, job=job, failure_messages=seen_failures)

    # When it is bounded and rendered
    bounded = message.bounded(transition, budget)
    rendered = message.render(transition)

    # Then bounding gives what the copying version gave (the same object when nothing is cut)
    expected = _bounded_by_copy(transition, budget)
    assert bounded == expected
    assert (bounded is transition) == (expected is transition)
    # And the body is the contract's compact JSON, encoded once
    assert rendered.body == compact_json(message.contract(transition))


def test_a_job_within_every_limit_is_bounded_without_a_copy() -> None:
    transition = make_transition(BATCH_INFERENCE, "Failed")
    assert message.bounded(transition) is transition


def test_a_console_fragment_with_placeholders_is_still_filled_in() -> None:
    # Given a kind whose console page names the job (the registry has none today)
    transition = make_transition(MODEL_CUSTOMIZATION, "Failed", name="a b/c")
    kind = replace(transition.job.kind, console_fragment="jobs/{id}?arn={arn}&name={name}")
    job = replace(transition.job, kind=kind)

    # Then its link carries the URL-encoded id, ARN and name
    link = message.console_url(job) or ""
    job_id = job.arn.rsplit("/", 1)[-1]
    assert link.endswith(
        f"#/jobs/{job_id}?arn={job.arn.replace(':', '%3A').replace('/', '%2F')}&name=a%20b%2Fc"
    )
