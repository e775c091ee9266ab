"""Adaptive Card rendering of one transition (``contracts.transition.Notification``) for
Microsoft Teams. Pure and table-driven: no I/O.

The card shows the facts the Slack message shows (``notifiers.slack.blocks``), in the same order: a
coloured header (the status's colour, ``CARD_STYLES``, from the status table Slack uses), the job
name and its status change, the facts (kind, status, duration, models, account/region), the
failure messages in a monospace block, the observation and creation times (card date functions,
so each reader sees their own time zone), the ARN, and a button to the Bedrock console. The card's
``fallbackText`` is the one-line summary Slack uses as its ``text``. Teams has no ``@here``: the
Slack mention setting does not apply.

User text never becomes markdown (``text`` module). Size: the whole POST body stays within
``text.PAYLOAD_BYTE_LIMIT`` bytes; each part is bounded (name ``NAME_LIMIT``, words ``WORD_LIMIT``,
models ``MODEL_LIMIT``, failure messages ``FAILURE_TEXT_LIMIT``), and should a card still be over,
the failure messages give way first (as many as fit, the last one cut, then "and N more"), then
the optional facts, then the context lines, exactly as in Slack. Status, kind and name stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from job_monitor.contracts.text import optional_facts, result_facts, unknown_status_note
from job_monitor.contracts.transition import Notification
from job_monitor.domain.kinds import REGISTRY
from job_monitor.notifiers.slack.blocks import style_for
from job_monitor.notifiers.teams.text import (
    CARD_SCHEMA,
    CARD_VERSION,
    PAYLOAD_BYTE_LIMIT,
    card_date,
    envelope,
    markdown,
    payload_bytes,
    plain,
    plain_lines,
    shorten_to_bytes,
    text_block,
    text_run,
)

NAME_LIMIT = 200
WORD_LIMIT = 100
MODEL_LIMIT = 300
ARN_LIMIT = 400
URL_LIMIT = 3000
FAILURE_TEXT_LIMIT = 3000
"""Characters of one failure message shown (Slack's failure section holds 3,000)."""
FAILURE_MIN_SHOWN = 40
"""Characters of a failure message that must be visible for it to count as shown."""
FALLBACK_LIMIT = 1000


@dataclass(frozen=True)
class CardStyle:
    container: str
    """The header container's style: ``attention`` (red), ``good`` (green), ``warning`` (amber),
    ``accent`` (blue), ``emphasis`` (grey)."""
    emoji: str


CARD_STYLES: dict[str, CardStyle] = {
    "red": CardStyle("attention", "\U0001f534"),
    "green": CardStyle("good", "\U0001f7e2"),
    "amber": CardStyle("warning", "\U0001f7e0"),
    "blue": CardStyle("accent", "\U0001f535"),
    "grey": CardStyle("emphasis", "\u26aa"),
}
"""Slack's status colour (``slack.blocks.STATUS_STYLES``: one table of what each status looks
like) -> how a Teams card shows it."""


@dataclass(frozen=True)
class TeamsMessage:
    """What is posted to the webhook: one Adaptive Card (``card``) in the message envelope."""

    card: dict[str, Any]

    @property
    def fallback(self) -> str:
        return str(self.card.get("fallbackText", ""))

    def as_payload(self) -> dict[str, Any]:
        return envelope(self.card)


def new_card(
    body: list[dict[str, Any]], fallback: str, actions: list[dict[str, Any]]
) -> dict[str, Any]:
    """An Adaptive Card of ``CARD_VERSION`` with ``body``, ``fallbackText`` and ``actions``."""
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "fallbackText": fallback,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def header(text: str, style: str) -> dict[str, Any]:
    """A full-width coloured container holding the card's title (``text`` is markdown)."""
    return {
        "type": "Container",
        "style": style,
        "bleed": True,
        "items": [text_block(text, weight="Bolder", size="Medium")],
    }


def teams_card(notification: Notification, *, byte_limit: int = PAYLOAD_BYTE_LIMIT) -> TeamsMessage:
    """The Adaptive Card of one transition, its POST body within ``byte_limit`` bytes
    (``text.payload_bytes``), trimmed as the module says; a ``byte_limit`` below about 3,000
    bytes may not be met (status, kind and name always stay)."""
    n = notification
    style = style_for(n.status)
    look = CARD_STYLES[style.colour]
    title = f"{look.emoji} Bedrock {markdown(_noun(n), WORD_LIMIT)} {style.headline}"
    head = [
        header(title, look.container),
        {
            "type": "RichTextBlock",
            "inlines": [
                text_run(plain(n.job_name, NAME_LIMIT), weight="Bolder"),
                text_run(" " + _status_change(n)),
            ],
        },
    ]
    if n.unknown_status:
        head.append(text_block(unknown_status_note(markdown(n.status, WORD_LIMIT), _noun(n))))
    actions: list[dict[str, Any]] = []
    if n.console_url and len(n.console_url) <= URL_LIMIT and n.console_url.startswith("https://"):
        actions.append(
            {"type": "Action.OpenUrl", "title": "Open in Bedrock console", "url": n.console_url}
        )
    fallback = _fallback(n, look)
    facts = _facts(n)
    context = _context(n)

    def assemble(
        shown_facts: list[dict[str, str]],
        failure: list[dict[str, Any]],
        lines: list[dict[str, Any]],
    ) -> dict[str, Any]:
        body = [*head, {"type": "FactSet", "facts": shown_facts}, *failure, *lines]
        return new_card(body, fallback, actions)

    def size(card: dict[str, Any]) -> int:
        return payload_bytes(envelope(card))

    card: dict[str, Any] = {}
    for shown_facts, lines in ((facts, context), (facts[:2], context), (facts[:2], [])):
        if not n.failure_messages:
            card = assemble(shown_facts, [], lines)
            if size(card) <= byte_limit:
                break
            continue

        def size_with(
            failure: list[dict[str, Any]],
            shown_facts: list[dict[str, str]] = shown_facts,
            lines: list[dict[str, Any]] = lines,
        ) -> int:
            return size(assemble(shown_facts, failure, lines))

        failure = _failure(n.failure_messages, size_with, byte_limit)
        if failure is not None:
            card = assemble(shown_facts, failure, lines)
            break
        card = assemble(shown_facts, [], lines)
    return TeamsMessage(card)


def _word(text: str) -> str:
    return plain(text, WORD_LIMIT)


def _status_change(n: Notification) -> str:
    new = _word(n.status)
    if n.previous_status is None:
        return f"is new: {new}"
    if n.previous_status == n.status:
        return f"was updated and is {new} again"
    return f"{_word(n.previous_status)} \u2192 {new}"


def _facts(n: Notification) -> list[dict[str, str]]:
    def fact(title: str, value: str) -> dict[str, str]:
        return {"title": title, "value": value}

    facts = [
        fact("Kind", markdown(n.kind_label, WORD_LIMIT)),
        fact(
            "Status",
            f"{markdown(n.previous_status or 'new', WORD_LIMIT)} \u2192 "
            f"{markdown(n.status, WORD_LIMIT)}",
        ),
    ]
    shown = [
        *optional_facts(n.duration_seconds, n.base_model, n.output_model),
        *result_facts(n.training_loss, n.validation_loss, n.output_location),
    ]
    for label, text, identifier in shown:
        facts.append(fact(label, markdown(text, MODEL_LIMIT if identifier else WORD_LIMIT)))
    if n.expires_at is not None and not n.terminal:
        facts.append(fact("Expires", card_date(n.expires_at)))
    where = " / ".join(markdown(p, WORD_LIMIT) for p in (n.account, n.region) if p)
    if where:
        facts.append(fact("Account / region", where))
    # A parent-scoped job's ids and counters (the body's ``details``), one fact each.
    facts.extend(fact(markdown(k, WORD_LIMIT), markdown(v, WORD_LIMIT)) for k, v in n.details)
    if n.tags:  # the job's allow-listed tags (user text, escaped), one fact
        tags = ", ".join(f"{markdown(k, WORD_LIMIT)}={markdown(v, WORD_LIMIT)}" for k, v in n.tags)
        facts.append(fact("Tags", tags))
    return facts


def _failure(
    messages: tuple[str, ...],
    size_with: Callable[[list[dict[str, Any]]], int],
    byte_limit: int,
) -> list[dict[str, Any]] | None:
    """The failure elements: a title, the messages in one monospace run (all when they fit, else
    as many as fit with the last one cut, then "and N more failure messages"), or when not even
    one fits the title with their number; None when not even that fits. ``size_with(elements)``
    is the POST body's size with them."""
    title = "Failure message" if len(messages) == 1 else "Failure messages"
    texts = [plain_lines(m, FAILURE_TEXT_LIMIT) for m in messages]

    def elements(text: str, more: int) -> list[dict[str, Any]]:
        found = [
            text_block(title, weight="Bolder"),
            {"type": "RichTextBlock", "inlines": [text_run(text, fontType="Monospace")]},
        ]
        if more:
            plural = "" if more == 1 else "s"
            found.append(text_block(f"_and {more} more failure message{plural}_", isSubtle=True))
        return found

    for shown in range(len(texts), 0, -1):
        whole = "\n".join(texts[:shown])
        rest = len(texts) - shown
        room = byte_limit - size_with(elements("", rest))
        text = shorten_to_bytes(whole, room)
        before = len("\n".join(texts[: shown - 1])) + (1 if shown > 1 else 0)
        if text and len(text) - before >= min(len(texts[shown - 1]), FAILURE_MIN_SHOWN):
            return elements(text, rest)
    summary = [
        text_block(
            f"{title}: {len(texts)} not shown, too long for one Teams message", weight="Bolder"
        )
    ]
    return summary if size_with(summary) <= byte_limit else None


def _context(n: Notification) -> list[dict[str, Any]]:
    times = []
    if n.observed_at:
        times.append(f"Observed {card_date(n.observed_at)}")
    if n.created_at:
        times.append(f"created {card_date(n.created_at)}")
    lines: list[dict[str, Any]] = []
    if times:
        lines.append(text_block(" \u00b7 ".join(times), isSubtle=True, size="Small"))
    lines.append(
        {
            "type": "RichTextBlock",
            "inlines": [
                text_run("ARN ", isSubtle=True, size="Small"),
                text_run(
                    plain(n.job_arn, ARN_LIMIT), isSubtle=True, size="Small", fontType="Monospace"
                ),
            ],
        }
    )
    return lines


def _fallback(n: Notification, look: CardStyle) -> str:
    status = markdown(n.status, WORD_LIMIT)
    previous = markdown(n.previous_status or "new", WORD_LIMIT)
    text = (
        f"{look.emoji} [Bedrock] {status}: {markdown(n.job_name, NAME_LIMIT)} "
        f"({markdown(n.kind_label, WORD_LIMIT)}), {previous} \u2192 {status}"
    )
    return shorten_to_bytes(text, FALLBACK_LIMIT * 3)


def _noun(n: Notification) -> str:
    kind = REGISTRY.get(n.kind)
    return kind.noun if kind is not None else f"{n.kind_label} job"
