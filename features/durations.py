"""Durations as text ("6h", "7d", "30m"): the only way spans and windows are written.

Windows are durations, never row counts, so the same feature code serves hourly
telemetry and per-cycle data mapped onto time (see DESIGN.md).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
MAX_SECONDS = 100 * 365 * 86400
"""The longest duration accepted (100 years): beyond it no window or horizon means
anything, and date arithmetic on it overflows Python's and pandas' datetimes."""


def parse_duration(text: str) -> timedelta:
    """Parse a positive duration such as ``"6h"`` or ``"7d"``.

    Args:
        text: an integer followed by one unit of s, m, h, d or w.

    Returns:
        The duration as a ``timedelta``.

    Raises:
        ValueError: naming the bad text and the accepted form; zero and negative
            durations are refused because no window or horizon can be empty, and
            durations over 100 years because they overflow date arithmetic.
    """
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: write a positive whole number and a unit, "
            "e.g. '30m', '6h', '7d', '2w' (units: s, m, h, d, w)"
        )
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be greater than zero")
    if amount * _UNITS[unit] > MAX_SECONDS:
        raise ValueError(f"invalid duration {text!r}: longer than 100 years (36500d)")
    return timedelta(seconds=amount * _UNITS[unit])


def to_polars(text: str) -> str:
    """Return the Polars duration string for ``text`` (Polars spells minutes ``m``)."""
    seconds = int(parse_duration(text).total_seconds())
    return f"{seconds}s"


def hours(text: str) -> float:
    """Return the duration in hours, the time unit of RUL and freshness columns."""
    return parse_duration(text).total_seconds() / 3600.0


def _check(text: str) -> str:
    parse_duration(text)
    return text


Duration = Annotated[str, AfterValidator(_check)]
"""Pydantic field type: a duration string validated at config load time."""
