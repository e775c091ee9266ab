"""Job tags as the monitor publishes them: which tag keys may be published, the SNS message
attribute each becomes, and the selection of a job's tags. Pure.

Teams tag their Bedrock jobs (``team=search``, ``env=prod``). The monitor reads a job's tags once
(``publish.tags.read_job_tags``) and publishes the values of an allow-list of keys (the
``tag_keys`` setting) as String message attributes ``tag.<key>``, so every subscription's filter
policy (email, Amazon Q Developer, each destination) can route on them (``routing``).

The limits, from the SNS developer guide ("Amazon SNS message attributes", checked November 2026)
and botocore's Bedrock models (``Tag``/``TagKey``/``TagValue`` shapes):

- an attribute name has only ``A-Za-z0-9``, ``_``, ``-`` and ``.``, does not start or end with a
  period nor hold two in a row, is at most 256 characters, and does not start with ``AWS.`` or
  ``Amazon.`` (any case): so a tag key with ``:``, ``/``, ``=``, ``+``, ``@`` or a space (allowed
  in Bedrock tag keys) cannot be published and is refused in ``tag_keys``;
- an attribute value is not empty: a tag whose value is empty is not published;
- a message carries at most ``SNS_MAX_ATTRIBUTES`` attributes: the transition's own take up to
  ``TRANSITION_ATTRIBUTES``, which leaves ``MAX_TAG_KEYS`` for tags;
- a Bedrock tag key is 1..128 characters, a value 0..256.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence

Tags = tuple[tuple[str, str], ...]
"""A job's published tags: (key, value) pairs sorted by key (as the state store gives them back,
so a job's first and later messages show them alike)."""

TAG_ATTRIBUTE_PREFIX = "tag."
"""A tag ``team`` is published as the message attribute ``tag.team``."""
SNS_MAX_ATTRIBUTES = 10
"""Message attributes SNS takes on one message (the brief of issue 15, and SNS's documented
limit for subscriptions that deliver to SQS)."""
TRANSITION_ATTRIBUTES = 6
"""The most attributes a transition carries besides tags (``kind``, ``status``,
``previousStatus``, ``terminal``, ``unknownStatus``, ``region``: ``contracts.transition.
attributes``; a test keeps the two equal)."""
MAX_TAG_KEYS = SNS_MAX_ATTRIBUTES - TRANSITION_ATTRIBUTES
"""How many tag keys ``tag_keys`` may list."""
TAG_KEY_LIMIT = 128
TAG_VALUE_LIMIT = 256
"""Bedrock's limits (botocore: ``TagKey`` max 128, ``TagValue`` max 256)."""

PUBLISHABLE_KEY = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
"""A tag key that makes a valid SNS attribute name after ``TAG_ATTRIBUTE_PREFIX``."""
_TAG_VALUE = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")
"""Bedrock's ``TagValue`` pattern (botocore): what a filter's tag value may be."""


def attribute_name(key: str) -> str:
    """The message attribute of tag ``key``: ``team`` -> ``tag.team``."""
    return TAG_ATTRIBUTE_PREFIX + key


def parse_tag_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Check a ``tag_keys`` list: at most ``MAX_TAG_KEYS`` keys, each publishable
    (``PUBLISHABLE_KEY``, at most ``TAG_KEY_LIMIT`` characters), no repeats. Case matters (Bedrock
    tag keys are case-sensitive, and so are SNS attribute names). Raises ValueError saying what is
    wrong and what is allowed."""
    names = tuple(keys)
    bad = [k for k in names if not PUBLISHABLE_KEY.fullmatch(k) or len(k) > TAG_KEY_LIMIT]
    if bad:
        raise ValueError(
            f"tag key(s) {', '.join(map(repr, bad))} cannot be published as SNS message "
            f"attributes ({TAG_ATTRIBUTE_PREFIX}<key>): use letters, digits, '_', '-' and single "
            f"'.' between them, up to {TAG_KEY_LIMIT} characters (tag keys with ':', '/', '=', "
            "'+', '@' or spaces cannot be attribute names)"
        )
    repeated = sorted({k for k in names if names.count(k) > 1})
    if repeated:
        raise ValueError(f"duplicate tag key(s) {', '.join(repeated)}")
    if len(names) > MAX_TAG_KEYS:
        raise ValueError(
            f"{len(names)} tag keys; at most {MAX_TAG_KEYS}: SNS takes {SNS_MAX_ATTRIBUTES} "
            f"message attributes per message and a transition uses up to {TRANSITION_ATTRIBUTES}"
        )
    return names


def select_tags(tags: Mapping[str, str], keys: Sequence[str]) -> Tags:
    """The allow-listed tags of a job, sorted by key: tags whose key is not listed are
    dropped (they are never stored nor published), and so are empty values (an SNS attribute
    cannot be empty). A value longer than ``TAG_VALUE_LIMIT`` (not one Bedrock returns) is cut.

    ``select_tags({"team": "search", "owner": "x"}, ["team", "env"])`` -> ``(("team",
    "search"),)``."""
    found: list[tuple[str, str]] = []
    for key in keys:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            found.append((key, value[:TAG_VALUE_LIMIT]))
    return tuple(sorted(found))


def tag_attributes(tags: Tags) -> dict[str, str]:
    """The message attributes of a job's tags: ``{"tag.team": "search"}``."""
    return {attribute_name(key): value for key, value in tags}


TagFilter = tuple[tuple[str, tuple[str, ...]], ...]
"""A routing setting's tag filter: (key, accepted values) pairs."""


def parse_tag_filter(raw: object, tag_keys: Sequence[str] | None) -> TagFilter:
    """A routing setting's tag filter: ``{"team": ["search"], "env": ["prod", "staging"]}`` (a
    single string is taken as a one-value list; a JSON text of the object too). Each key must be
    one of ``tag_keys`` (only those are published, so any other could never match; None = not
    checked here), each value 1..256 characters of Bedrock's tag value alphabet. Every key must
    match (AND); one of its values (OR). Raises ValueError."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON object: {exc}") from None
    if isinstance(raw, tuple):  # a default (or a parsed value) given back
        raw = {key: list(values) for key, values in raw}
    if raw is None or raw == {}:
        return ()
    if not isinstance(raw, dict):
        raise ValueError(f'expected an object {{"<tag key>": ["<value>", ...]}}, got {raw!r}')
    result: list[tuple[str, tuple[str, ...]]] = []
    for key, values in raw.items():
        if not isinstance(key, str) or not PUBLISHABLE_KEY.fullmatch(key):
            raise ValueError(f"tag key {key!r} cannot be published (see tag_keys)")
        if tag_keys is not None and key not in tag_keys:
            listed = ", ".join(tag_keys) if tag_keys else "none: tag_keys is empty"
            raise ValueError(
                f"tag key {key!r} is not published (tag_keys lists {listed}); add it to tag_keys"
            )
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"{key}: expected a non-empty list of tag values, got {values!r}")
        bad = [
            v
            for v in items
            if not isinstance(v, str)
            or not v.strip()
            or len(v) > TAG_VALUE_LIMIT
            or not _TAG_VALUE.fullmatch(v)
        ]
        if bad:
            raise ValueError(
                f"{key}: bad tag value(s) {', '.join(map(repr, bad))} (1..{TAG_VALUE_LIMIT} "
                "letters, digits, spaces and . _ : / = + @ -)"
            )
        result.append((key, tuple(dict.fromkeys(items))))
    return tuple(result)


def tag_filter_policy(tag_filter: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """The filter policy entries of a tag filter: ``{"tag.team": ["search"]}``."""
    return {attribute_name(key): list(values) for key, values in tag_filter}
