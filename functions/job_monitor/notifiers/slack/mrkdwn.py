"""Slack text: its limits, escaping and cutting, shared by every Slack renderer. Pure.

Every string that comes from a user (job name, failure message, model identifiers, region and kind
text from a body) passes through ``escape`` (``&``, ``<``, ``>`` -> entities) before it reaches
mrkdwn, so a job named ``<!channel>`` or ``<https://evil|click>`` shows up as that text and neither
pings anyone nor becomes a link. Inside code spans and code blocks backticks are replaced as well,
so text cannot close the block. Cutting never splits an entity (``&am`` would render as garbage,
``&lt`` could even let a ``<`` through). Limits: Slack's Block Kit reference (section text 3,000
characters, fields 2,000, header 150, 50 blocks per message) and, for the whole message,
``MESSAGE_TEXT_LIMIT`` (measured by ``message_text_length``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from job_monitor.contracts.text import ELLIPSIS, code_text, cut, one_line

HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
URL_LIMIT = 3000
FALLBACK_TEXT_LIMIT = 3000
MAX_BLOCKS = 50
MESSAGE_TEXT_LIMIT = 10_000
"""Characters of text in one whole message: the ``text`` of every text object in its blocks plus
the ``text`` fallback, as ``message_text_length`` counts them. Every block can be within its own
limit while the message is not: Slack refuses such a message as a whole (``msg_blocks_too_long``,
HTTP 413), and the refusals reported publicly start around 12,000 to 13,000 characters of block
text; Slack documents no figure. 10,000 keeps a margin of 2,000 or more below the lowest report,
and counts the fallback too, in case Slack does."""

_TEXT_OBJECT_TYPES = frozenset({"mrkdwn", "plain_text"})


def message_text_length(blocks: Iterable[Any], fallback: str = "") -> int:
    """Characters of text in a message the way Slack counts them against the whole-message limit:
    the ``text`` of every text object (``mrkdwn`` and ``plain_text``: headers, sections, each field,
    context elements, button labels, at any depth) in ``blocks``, plus ``fallback`` (the message's
    top-level ``text``). Counted as sent, so an entity such as ``&amp;`` or a date token counts
    in full; URLs, action ids and block types are not text."""
    total = len(fallback)
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            text = node.get("text")
            if node.get("type") in _TEXT_OBJECT_TYPES and isinstance(text, str):
                total += len(text)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(node)
    return total


def escape(text: str) -> str:
    """Slack's three control characters as entities; everything else is left alone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def single_line(text: str) -> str:
    """One line without control or invisible format characters (a direction override such as
    U+202E would make a name display reversed); runs of whitespace collapse when there were any."""
    cleaned = one_line(text)
    return " ".join(cleaned.split()) if cleaned != text else text


def shorten_escaped(raw: str, limit: int) -> str:
    """``raw`` escaped, within ``limit`` characters, ending with ``ELLIPSIS`` when cut, without
    cutting an entity in half."""
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in raw:
        piece = escape(ch)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def shorten_plain(text: str, limit: int) -> str:
    """Plain text (a ``plain_text`` object, not mrkdwn: nothing to escape) within ``limit``."""
    return cut(text, limit)


def clip(text: str, limit: int) -> str:
    """Last-resort cap for text assembled from already-escaped parts: cut before any ``&``, ``<``
    or a code fence that the cut would break; ends with ``ELLIPSIS`` when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    lt = head.rfind("<")
    if lt != -1 and ">" not in head[lt:]:
        head = head[:lt]
    if head.count("`") % 2:
        head = head[: head.rfind("`")]
    return head + ELLIPSIS


def code_span(text: str, limit: int) -> str:
    """``text`` on one line, escaped, in a code span it cannot close, within ``limit`` + 2."""
    return "`" + shorten_escaped(code_text(single_line(text)), limit) + "`"


def mrkdwn(text: str) -> dict[str, Any]:
    """A Block Kit mrkdwn text object (``text`` must already be escaped)."""
    return {"type": "mrkdwn", "text": text}


def slack_date(value: datetime) -> str:
    """Slack date token: shown in the reader's own time zone, with the UTC text as fallback."""
    fallback = value.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
