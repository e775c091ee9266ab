"""Teams text: escaping for the markdown subset Teams renders in Adaptive Cards, cutting, and the
size of a whole message. Pure; shared by every Teams renderer.

Where user text goes (job names, failure messages, model identifiers, ARNs, and region/kind text
from a body):

- in a ``TextRun`` (``text_run``) wherever it can: a TextRun is never read as markdown (Adaptive
  Card schema 1.2+, "Markdown is not supported"), so ``[click](https://evil)`` stays text;
- elsewhere (a ``TextBlock``, a ``Fact`` title or value, the card's ``fallbackText``: the places
  Teams renders markdown) through ``escape``, which puts a backslash before every character the
  markdown subset gives a meaning (CommonMark backslash escapes: emphasis, links and images,
  code, a list marker at the start, HTML-like ``<at>`` tags), so that ``{{`` cannot start an
  Adaptive Card ``{{DATE(...)}}`` / ``{{TIME(...)}}`` function either (a ``TextRun`` gets
  ``{ {`` instead).

Every text is one line without control or invisible format characters (``contracts.text``), except
failure messages, which keep their line breaks.

Size: Teams refuses a message over about 28 KB, and failures are reported from about 21 KB
(/work/shared/notes/aws-facts.md). ``PAYLOAD_BYTE_LIMIT`` (20,000 bytes of the whole POST body,
UTF-8, counted by ``payload_bytes`` exactly as ``webhook.TeamsWebhook`` sends it) keeps below the
lowest report.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from job_monitor.contracts.text import ELLIPSIS, clean_lines, cut, one_line

PAYLOAD_BYTE_LIMIT = 20_000
"""Bytes of one whole POST body (the message envelope with its card), as sent."""
CARD_VERSION = "1.5"
"""The Adaptive Card schema version of every card: the highest Teams renders (Workflows webhooks
and bots; Teams mobile and desktop), checked against the official 1.5 JSON schema in the tests."""
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

_MARKDOWN_SPECIAL = frozenset("\\`*_~[]<>{}")
"""Characters given a meaning anywhere in a line by the markdown Teams renders (emphasis ``*``
``_`` ``~``, links and images ``[ ]``, code `````, ``<at>`` tags ``< >``, card functions ``{{ }}``)
and the escape itself. CommonMark lets any ASCII punctuation be escaped."""
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)")
"""A list item's marker at the start of the text (``- x``, ``+ x``, ``1. x``, ``1) x``)."""


def escape(text: str) -> str:
    """``text`` with a backslash before every markdown-special character (``_MARKDOWN_SPECIAL``)
    and before the last character of a list marker that starts it: shown as typed where Teams
    renders markdown."""
    escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    return _LIST_MARKER.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def single_line(text: str) -> str:
    """One line without control or invisible format characters; whitespace runs collapse."""
    cleaned = one_line(text)
    return " ".join(cleaned.split()) if cleaned != text else text


def plain(text: str, limit: int) -> str:
    """User text for a ``TextRun`` (never markdown): one line, at most ``limit`` characters, and
    ``{{`` broken so it cannot call a card function."""
    return cut(_no_functions(single_line(text)), limit)


def plain_lines(text: str, limit: int) -> str:
    """Like ``plain`` but keeping line breaks (failure messages)."""
    return cut(_no_functions(clean_lines(text)), limit)


def markdown(text: str, limit: int) -> str:
    """User text for a markdown field: one line, cut to ``limit`` characters *before* escaping
    (so no escape is cut in half), then escaped; at most ``2 * limit`` characters."""
    return escape(cut(single_line(text), limit))


def _no_functions(text: str) -> str:
    return text.replace("{{", "{ {").replace("}}", "} }")


def text_run(text: str, **style: Any) -> dict[str, Any]:
    """A ``TextRun`` (``text`` already made ``plain``), with optional style properties
    (``weight``, ``fontType``, ``isSubtle``...)."""
    return {"type": "TextRun", "text": text, **style}


def text_block(text: str, **style: Any) -> dict[str, Any]:
    """A wrapping ``TextBlock`` (``text`` is markdown: user parts already escaped)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def card_date(value: datetime) -> str:
    """Adaptive Card date and time functions: shown in the reader's own time zone and locale."""
    stamp = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def envelope(card: dict[str, Any]) -> dict[str, Any]:
    """The message a Workflows webhook takes: one Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The POST body: compact JSON, non-ASCII kept as UTF-8 (what ``payload_bytes`` counts)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload_bytes(payload: dict[str, Any]) -> int:
    """Bytes of ``payload`` as posted."""
    return len(encode(payload))


def shorten_to_bytes(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes *as a JSON string value* (quotes excluded, escapes
    included), ending with ``ELLIPSIS`` when cut; "" when not even that fits."""

    def size(s: str) -> int:
        return len(json.dumps(s, ensure_ascii=False).encode("utf-8")) - 2

    if size(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    if room < 0:
        return ""
    low, high = 0, len(text)
    while low < high:  # the longest prefix within room
        mid = (low + high + 1) // 2
        if size(text[:mid]) <= room:
            low = mid
        else:
            high = mid - 1
    head = text[:low]
    # A markdown escape cut in half would escape the ellipsis instead.
    if head.endswith("\\") and (len(head) - len(head.rstrip("\\"))) % 2:
        head = head[:-1]
    return head + ELLIPSIS
