"""Amazon Q Developer in chat applications (AWS Chatbot) custom notifications: the body the
monitor publishes instead of a JSON contract when ``MESSAGE_FORMAT=chatbot``. Pure.

Chatbot renders ``content.description`` as client markdown in Slack, Teams or Chime. User-controlled
text (job names, failure messages) is kept inside code spans with backticks neutralised
(``code_text``), so it cannot turn into markup. Format reference: "Custom notifications" in the
Amazon Q Developer in chat applications administrator guide (``version`` "1.0", ``source``
"custom").

The contracts (``transition``, ``digest``) call these with what they computed (the bounded
transition, the console link, the subject), so this module depends on neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from job_monitor.contracts.envelope import (
    DIGEST,
    NO_STATUS,
    UNKNOWN_STATUS_ATTRIBUTE,
    UNKNOWN_STATUS_VALUE,
)
from job_monitor.contracts.text import (
    clean_lines,
    code_text,
    cut,
    human_duration,
    iso_utc,
    one_line,
    optional_facts,
    result_facts,
    unknown_status_note,
)
from job_monitor.digest.build import CATEGORIES, Digest, DigestJob, describe_losses
from job_monitor.domain.jobs import Transition

if TYPE_CHECKING:
    from job_monitor.contracts.overdue import OverdueNotice

DESCRIPTION_FAILURE_LIMIT = 1000
"""Characters of failure text in a transition's description."""
TITLE_LIMIT = 250
"""Characters of ``content.title`` and ``metadata.summary``."""
DIGEST_DESCRIPTION_LIMIT = 3800
"""Characters of a digest's description; longer is cut at a line end with a note."""
DIGEST_NAMES_PER_LIST = 5
DIGEST_NAME_LIMIT = 120
DIGEST_LOCATION_LIMIT = 200
"""Characters of a completed job's output location in a digest's description."""


def transition_payload(
    transition: Transition, *, failures: tuple[str, ...], console_link: str | None
) -> dict[str, Any]:
    """The custom notification for one transition (already bounded by the caller).

    ``failures``: the failure messages to show; ``console_link``: the console page (a next step)
    or None. ``metadata.threadId`` is the job ARN, so each job's updates thread together in the
    channel.
    """
    job = transition.job
    previous = transition.previous_status or "new"
    title = f"Bedrock {job.kind.noun} {one_line(job.status)}: {one_line(job.name)}"
    lines = [
        f"*Job:* `{code_text(one_line(job.name))}`",
        f"*Status:* {one_line(previous)} -> {one_line(job.status)}",
    ]
    if transition.status_unknown:
        note = unknown_status_note(f"`{code_text(one_line(job.status))}`", job.kind.noun)
        lines.append(f"*Unknown status:* {note}")
    facts = [
        *optional_facts(transition.duration_seconds, job.base_model, job.output_model),
        *result_facts(job.training_loss, job.validation_loss, job.output_location),
    ]
    if job.expires_at is not None and not transition.is_terminal:
        facts.append(("Expires", iso_utc(job.expires_at) or "", False))
    for label, text, identifier in facts:
        lines.append(
            f"*{label}:* `{code_text(one_line(text))}`" if identifier else f"*{label}:* {text}"
        )
    lines.append(f"*Account / region:* {transition.account} / {transition.region}")
    if job.tags:  # the job's allow-listed tags, user text: in a code span
        tags = ", ".join(f"{k}={v}" for k, v in job.tags)
        lines.append(f"*Tags:* `{code_text(one_line(tags))}`")
    failure_text = "\n".join(clean_lines(f) for f in failures)
    if failure_text:
        text = cut(code_text(failure_text), DESCRIPTION_FAILURE_LIMIT, strip=True)
        lines.append(f"*Failure:*\n```\n{text}\n```")
    next_steps = []
    if console_link:
        next_steps.append(f"Open the job in the Bedrock console: {console_link}")
    if job.status == "Failed":
        next_steps.append("Read the failure message, fix the input or the quota, and resubmit.")
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": cut(title, TITLE_LIMIT, strip=True),
            "description": "\n".join(lines),
            "nextSteps": next_steps,
            "keywords": [job.kind.name, job.status],
        },
        "metadata": {
            "threadId": job.arn,
            "summary": cut(
                f"{job.status}: {one_line(job.name)} ({job.kind.label})", TITLE_LIMIT, strip=True
            ),
            "eventType": "BedrockJobStatusChange",
            "relatedResources": [
                r for r in (job.arn, job.base_model, job.output_model) if r and r.startswith("arn:")
            ],
            "additionalContext": {
                "dedupeId": transition.dedupe_id,
                "kind": job.kind.name,
                "status": job.status,
                "previousStatus": transition.previous_status or NO_STATUS,
                **(
                    {UNKNOWN_STATUS_ATTRIBUTE: UNKNOWN_STATUS_VALUE}
                    if transition.status_unknown
                    else {}
                ),
            },
        },
    }


def digest_payload(digest: Digest, *, summary: str) -> dict[str, Any]:
    """The custom notification for the daily digest; ``summary`` is the one-line summary (the
    subject without its ``[Bedrock]`` prefix). At most ``DIGEST_NAMES_PER_LIST`` names per list,
    each in a code span; a completed job's with what it produced where the digest has it
    (``_digest_job``)."""
    lines = [
        f"*Last 24 hours* (to {digest.period_end.strftime('%Y-%m-%d %H:%M UTC')}), "
        f"account {digest.account}, {', '.join(digest.regions) or 'no region'}"
    ]
    if digest.quiet:
        lines.append("Quiet day: no job started or finished, and none is running.")
    if digest.not_offered:
        pairs = ", ".join(
            f"{one_line(n.kind_label)} in {one_line(n.region)}" for n in digest.not_offered
        )
        lines.append(f"Not offered in its region (re-checked daily): {pairs}")
    for section in digest.sections:
        lines.append(f"\n*{one_line(section.kind_label)} in {one_line(section.region)}*")
        for category in CATEGORIES:
            jobs = section.of(category)
            if not jobs.count:
                continue
            shown = jobs.jobs[:DIGEST_NAMES_PER_LIST]
            names = ", ".join(_digest_job(j, category) for j in shown)
            more = jobs.count - len(shown)
            tail = f" and {more} more" if more else ""
            lines.append(f"{category.capitalize()} ({jobs.count}): {names}{tail}")
    description = "\n".join(lines)
    if len(description) > DIGEST_DESCRIPTION_LIMIT:
        head = description[: DIGEST_DESCRIPTION_LIMIT - 20]
        head = head[: head.rfind("\n")] if "\n" in head else head
        description = head + "\n... (cut: see the JSON digest)"
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": "Bedrock daily digest",
            "description": description,
            "keywords": [DIGEST],
        },
        "metadata": {
            "summary": summary,
            "eventType": "BedrockJobDigest",
            "additionalContext": {"dedupeId": digest.dedupe_id},
        },
    }


def overdue_payload(notice: OverdueNotice, *, summary: str) -> dict[str, Any]:
    """The custom notification for an overdue or expiring job (``contracts.overdue``);
    ``summary`` is its subject without the ``[Bedrock]`` prefix. Threaded with the job's own
    transitions (``threadId`` is the job ARN)."""
    from job_monitor.contracts.overdue import headline  # noqa: PLC0415 - that module imports this

    what = headline(notice.reason, notice.status, notice.age_seconds, notice.time_left_seconds)
    word = "expiring" if notice.expiring else "overdue"
    lines = [
        f"*Job:* `{code_text(cut(one_line(notice.job_name), DIGEST_NAME_LIMIT * 2))}`",
        f"*Status:* {one_line(what)}",
    ]
    limit = human_duration(notice.threshold_seconds)
    if limit:
        label = "Warning" if notice.expiring else "Threshold"
        unit = " before expiry" if notice.expiring else f" in {one_line(notice.status)}"
        lines.append(f"*{label}:* {limit}{unit}")
    if notice.status_details:
        details = code_text(cut(one_line(notice.status_details), DESCRIPTION_FAILURE_LIMIT))
        lines.append(f"*Bedrock says:* `{details}`")
    lines.append(f"*Account / region:* {notice.account} / {notice.region}")
    next_steps = []
    if notice.console_url:
        next_steps.append(f"Open the job in the Bedrock console: {notice.console_url}")
    next_steps.append(
        "Check the job's quotas and inputs; stop it if it should not run any longer."
        if not notice.expiring
        else "Check why the job has not started (quota, capacity); resubmit it if it expires."
    )
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": cut(
                f"Bedrock {one_line(notice.noun)} {word}: {one_line(notice.job_name)}",
                TITLE_LIMIT,
                strip=True,
            ),
            "description": "\n".join(lines),
            "nextSteps": next_steps,
            "keywords": [notice.kind, word],
        },
        "metadata": {
            "threadId": notice.job_arn,
            "summary": cut(summary, TITLE_LIMIT, strip=True),
            "eventType": "BedrockJobOverdue",
            "relatedResources": [notice.job_arn],
            "additionalContext": {
                "dedupeId": notice.dedupe_id,
                "kind": notice.kind,
                "status": notice.status,
                "reason": notice.reason,
            },
        },
    }


def _digest_job(job: DigestJob, category: str) -> str:
    """```name``` or, for a completed job with results, ```name` (training loss 0.1234,
    validation loss 0.2345, output `s3://...`)`` (the location within ``DIGEST_LOCATION_LIMIT``)."""
    name = f"`{_code(job.name)}`"
    if category != "completed":
        return name
    extras = [describe_losses(job)] if describe_losses(job) else []
    if job.output_location:
        location = code_text(cut(one_line(job.output_location), DIGEST_LOCATION_LIMIT))
        extras.append(f"output `{location}`")
    return f"{name} ({', '.join(extras)})" if extras else name


def _code(text: str) -> str:
    return code_text(cut(one_line(text), DIGEST_NAME_LIMIT))
