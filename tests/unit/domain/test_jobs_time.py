"""``as_utc`` and ``epoch_millis`` (issue 16, busy-run CPU: integer arithmetic, no conversion of
a time already in UTC) answer what the conversions they replace answered, for any time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from job_monitor.domain.jobs import as_utc, epoch_millis, from_epoch_millis

_ZONES = (
    st.none()
    | st.just(UTC)
    | st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    )
)
_TIMES = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=_ZONES
)


def _as_utc_by_conversion(value: datetime) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def _epoch_millis_by_timestamp(value: datetime) -> int:
    value = _as_utc_by_conversion(value)
    return int(value.replace(microsecond=0).timestamp()) * 1000 + value.microsecond // 1000


@settings(max_examples=500, deadline=None)
@given(_TIMES)
def test_times_convert_as_before(value: datetime) -> None:
    converted = as_utc(value)
    assert converted == _as_utc_by_conversion(value)
    assert converted.tzinfo is UTC
    assert converted.microsecond % 1000 == 0
    assert epoch_millis(value) == _epoch_millis_by_timestamp(value)
    assert from_epoch_millis(epoch_millis(value)) == converted


def test_known_instants() -> None:
    assert epoch_millis(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert epoch_millis(datetime(1969, 12, 31, 23, 59, 59, 999_999)) == -1
    assert epoch_millis(
        datetime(2026, 11, 2, 10, 0, 0, 123_999, tzinfo=timezone(timedelta(hours=1)))
    ) == (1_793_610_000_123)
