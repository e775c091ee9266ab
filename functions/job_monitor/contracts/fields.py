"""Reading a contract body back: decode the JSON object, then read typed fields with errors that
name the field. Pure; shared by every contract's parser.

Every reader takes the decoded object, the field name and ``label`` (how errors call a field:
``"field"`` for transitions, ``"digest field"`` for the digest) and raises ``ContractError``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from job_monitor.contracts.envelope import ContractError
from job_monitor.domain.jobs import as_utc


def decode_json(body: str) -> Any:
    """The JSON value of an SNS body. Raises ContractError when the body is not JSON."""
    try:
        return json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"SNS body is not JSON: {exc}") from None


def decode_object(body: str) -> dict[str, Any]:
    """The JSON object of an SNS body. Raises ContractError when the body is not JSON, or is JSON
    but not an object."""
    data = decode_json(body)
    if not isinstance(data, dict):
        raise ContractError("SNS body is JSON but not an object")
    return data


def required_str(data: Mapping[str, Any], key: str, label: str = "field") -> str:
    """A non-empty string."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ContractError(f"{label} {key!r} is missing or not a non-empty string")
    return value


def optional_str(data: Mapping[str, Any], key: str, label: str = "field") -> str | None:
    """A string, or None when the field is missing, null or empty."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ContractError(f"{label} {key!r} must be a string or null")
    return value


def optional_int(data: Mapping[str, Any], key: str, label: str = "field") -> int | None:
    """A finite number, as a whole number (the fraction dropped), or None when missing or null;
    ``true``/``false``, NaN and infinities are refused."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ContractError(f"{label} {key!r} must be a finite number or null, got {value!r}")
    return int(value)


def optional_float(data: Mapping[str, Any], key: str, label: str = "field") -> float | None:
    """A finite number, or None when missing or null; ``true``/``false``, NaN and infinities
    are refused."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ContractError(f"{label} {key!r} must be a finite number or null, got {value!r}")
    return float(value)


def required_time(data: Mapping[str, Any], key: str, label: str = "field") -> datetime:
    """An ISO 8601 time (``Z`` or an offset; naive is taken as UTC), returned in UTC."""
    value = data.get(key)
    if not isinstance(value, str):
        raise ContractError(f"{label} {key!r} must be an ISO 8601 time")
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ContractError(f"{label} {key!r} is not an ISO 8601 time: {value!r}") from None


def optional_time(data: Mapping[str, Any], key: str, label: str = "field") -> datetime | None:
    """``required_time``, or None when the field is missing, null or empty."""
    if optional_str(data, key, label) is None:
        return None
    return required_time(data, key, label)
