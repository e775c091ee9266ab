"""The shared text helpers of every contract and renderer: one way to cut, one line, UTC times."""

from __future__ import annotations

import datetime as dt

import pytest

from job_monitor.contracts.text import (
    ELLIPSIS,
    TRUNCATED,
    clean_lines,
    code_text,
    compact_json,
    cut,
    cut_optional,
    human_duration,
    iso_utc,
    one_line,
    optional_facts,
)


@pytest.mark.parametrize(
    ("text", "limit", "marker", "strip", "expected"),
    [
        ("short", 10, ELLIPSIS, False, "short"),
        ("exactly10!", 10, ELLIPSIS, False, "exactly10!"),
        ("a long name here", 10, ELLIPSIS, False, "a long ..."),
        ("a long name here", 10, ELLIPSIS, True, "a long..."),
        ("x" * 30, 20, TRUNCATED, False, "x" * (20 - len(TRUNCATED)) + TRUNCATED),
        ("x" * 30, 3, TRUNCATED, False, TRUNCATED),
    ],
)
def test_cut_keeps_the_limit_and_says_it_cut(
    text: str, limit: int, marker: str, strip: bool, expected: str
) -> None:
    # Given text and a limit / When it is cut / Then it fits (or is the marker alone) and ends
    # with the marker only when something was removed
    assert cut(text, limit, marker, strip=strip) == expected
    assert len(expected) <= max(limit, len(marker))


def test_cut_optional_keeps_none() -> None:
    assert cut_optional(None, 5) is None
    assert cut_optional("abcdefgh", 5) == "ab..."


def test_one_line_drops_invisible_characters_and_breaks_lines_into_spaces() -> None:
    assert one_line("a\nb\tc\u202ed\u200be") == "a b cde"
    assert one_line("plain") == "plain"


def test_clean_lines_keeps_line_structure() -> None:
    assert clean_lines("a\r\nb\rc\u2028d\u2029e\x07") == "a\nb\nc\nd\ne "


def test_code_text_cannot_close_a_code_span() -> None:
    assert "`" not in code_text("x`y``z")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, None),
        (-5, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (8054, "2 h 14 min"),
        (90061, "1 d 1 h"),
    ],
)
def test_human_duration_shows_the_two_largest_units(seconds: int | None, expected: str) -> None:
    assert human_duration(seconds) == expected


def test_iso_utc_is_utc_with_a_z_whatever_the_zone() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert iso_utc(dt.datetime(2026, 11, 5, 14, 0, tzinfo=plus_two)) == "2026-11-05T12:00:00Z"
    assert iso_utc(dt.datetime(2026, 11, 5, 12, 0)) == "2026-11-05T12:00:00Z"
    assert iso_utc(None) is None


def test_compact_json_has_no_spaces_and_keeps_non_ascii() -> None:
    assert compact_json({"a": [1, 2], "n": "caf\u00e9"}) == '{"a":[1,2],"n":"caf\u00e9"}'


def test_optional_facts_come_in_one_order_and_only_when_present() -> None:
    assert optional_facts(None, None, None) == []
    assert optional_facts(8054, "base", "out") == [
        ("Duration", "2 h 14 min", False),
        ("Base model", "base", True),
        ("Output model", "out", True),
    ]
