"""A botocore session whose response parser reads ISO 8601 timestamps with the standard library.

botocore parses every timestamp of a response with ``dateutil`` (``botocore.utils.parse_timestamp``,
about 110 us each on this project's benchmark machine). A Bedrock list page holds up to 1,000
summaries with two to four timestamps each, so on a quiet run most of the monitor's own CPU time
went there (cProfile of ``make bench``'s quiet run, issue 16). ``datetime.fromisoformat`` reads the
same strings in well under 1 us (Python 3.11 and later accept the ``Z`` suffix and 1 to 9
fractional digits, keeping microseconds).

``parse_timestamp`` answers exactly as botocore's default for anything but an ISO 8601 string
with a UTC offset (or ``Z``): epoch numbers, strings without an offset, RFC 822 dates and anything
``fromisoformat`` refuses go to botocore's own parser, unchanged. The datetime returned for an ISO
string with an offset is the same instant; its ``tzinfo`` is ``datetime.timezone`` rather than
``dateutil.tz.tzutc`` (the domain converts every time to UTC anyway: ``domain.jobs``).

The hook is botocore's public ``ResponseParserFactory.set_parser_defaults(timestamp_parser=...)``
(the AWS CLI uses it to keep timestamps as text), set on the functions' session
(``adapters.sdk_session``); it applies to every client made from the session afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def parse_timestamp(value: Any) -> datetime:
    """``value`` (a response's timestamp: str, int or float) as an aware datetime. Raises what
    botocore's default parser raises for a value neither parser can read (``ValueError``)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    from botocore.utils import parse_timestamp as botocore_parse  # noqa: PLC0415

    result: datetime = botocore_parse(value)
    return result
