"""Text helpers shared by every message contract and every destination's renderer. Pure.

What the helpers guarantee, so renderers can rely on it:

- ``one_line``: no control, line-breaking or invisible format character survives (a job name
  cannot span lines, display reversed or hide text);
- ``cut``: the one way text is shortened to a limit: the result has at most ``limit`` characters
  and ends with a marker (``ELLIPSIS`` or ``TRUNCATED``) that tells the reader it is not whole;
- times are UTC with a ``Z``; JSON is compact and keeps non-ASCII text as is.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any

from job_monitor.domain.jobs import as_utc

ELLIPSIS = "..."
"""Ends text cut for display (subjects, titles, chat lines)."""
TRUNCATED = "\u2026 [truncated]"
"""Ends user-controlled text that a contract cut, so a reader knows it is not whole."""
BACKTICK_STANDIN = "\u02cb"
"""MODIFIER LETTER GRAVE ACCENT: looks like a backtick, is not one (it cannot close a code span)."""

_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
"""Unicode categories shown as a space on a one-line text: controls and line/paragraph breaks."""
_INVISIBLE = frozenset({"Cf"})
"""Format characters (direction overrides such as U+202E, zero-width characters): dropped, so a
name cannot display reversed or hide text."""


def cut(text: str, limit: int, marker: str = ELLIPSIS, *, strip: bool = False) -> str:
    """``text`` if it has at most ``limit`` characters, else its start followed by ``marker``.

    The result is at most ``limit`` characters long, except when ``limit`` is shorter than
    ``marker`` (then it is ``marker`` alone). ``strip``: drop trailing whitespace before the
    marker (``"a long  name"`` -> ``"a long..."``, not ``"a long  ..."``).
    """
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - len(marker))]
    return (head.rstrip() if strip else head) + marker


def cut_optional(text: str | None, limit: int, marker: str = ELLIPSIS) -> str | None:
    """``cut`` for a value that may be absent (None stays None)."""
    return None if text is None else cut(text, limit, marker)


def one_line(text: str) -> str:
    """One line of text: control characters (line breaks included) become spaces; invisible
    format characters (direction overrides, zero-width characters) are dropped."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _LINE_BREAKING:
            out.append(" ")
        elif category not in _INVISIBLE:
            out.append(ch)
    return "".join(out)


def clean_lines(text: str) -> str:
    """Like ``one_line``, but keeps line structure: any line break becomes ``\\n``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return "\n".join(one_line(line) for line in lines.replace("\u2029", "\n").split("\n"))


def code_text(text: str) -> str:
    """Text to sit inside a code span or block: a backtick would close it, so it is replaced by
    ``BACKTICK_STANDIN``."""
    return text.replace("`", BACKTICK_STANDIN)


def human_duration(seconds: int | None) -> str | None:
    """``8054`` -> ``"2 h 14 min"``: the two largest non-zero units, for people, not parsers.

    ``seconds`` is a number of seconds (negative counts as 0); None gives None."""
    if seconds is None:
        return None
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for index, (label, size) in enumerate(units):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {label}")
            following = units[index + 1]
            rest = seconds // following[1]
            if rest:
                parts.append(f"{rest} {following[0]}")
            break
    return " ".join(parts)


def optional_facts(
    duration_seconds: int | None,
    base_model: str | None,
    output_model: str | None,
) -> list[tuple[str, str, bool]]:
    """The facts a transition shows only when it has them, in the order every rendering shows
    them: ``(label, text, is_identifier)``, e.g. ``("Duration", "2 h 14 min", False)``,
    ``("Base model", "<model id or ARN>", True)``. An identifier belongs in a code span."""
    facts = []
    duration = human_duration(duration_seconds)
    if duration:
        facts.append(("Duration", duration, False))
    if base_model:
        facts.append(("Base model", base_model, True))
    if output_model:
        facts.append(("Output model", output_model, True))
    return facts


def result_facts(
    training_loss: float | None, validation_loss: float | None, output_location: str | None
) -> list[tuple[str, str, bool]]:
    """What a finished job produced, where Bedrock reports it, in ``optional_facts``' form: the
    final training and validation loss (4 significant digits) and the output S3 location (an
    identifier)."""
    facts = []
    if training_loss is not None:
        facts.append(("Training loss", f"{training_loss:.4g}", False))
    if validation_loss is not None:
        facts.append(("Validation loss", f"{validation_loss:.4g}", False))
    if output_location:
        facts.append(("Output location", output_location, True))
    return facts


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` whatever the input's zone (a naive time is taken to be UTC);
    None gives None."""
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else None


def compact_json(document: dict[str, Any]) -> str:
    """The JSON text of a message body: no spaces between tokens, non-ASCII text kept as is (so
    the UTF-8 size that SNS limits is the size measured)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def unknown_status_note(status: str, noun: str) -> str:
    """What a reader is told about a status the monitor's job-kind registry does not know
    (``status`` and ``noun`` already formatted for the medium): the same sentence in Slack and
    Chatbot messages."""
    return (
        f"This monitor version does not know the status {status} for {noun}s: it is reported "
        "but not treated as final. Update Bedrock Job Monitor (its job-kind registry)."
    )
