"""The Jinja2 environment and number formats shared by the HTML report and the web page.

One place decides how a probability or a remaining life reads, so the report a planner
was mailed and the page they open agree to the character.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


def fmt_pct(p: float | None) -> str:
    """Probability as a percentage; tiny values say so instead of showing 0 %."""
    if p is None:
        return "—"
    if 0 < p < 0.001:
        return "<0.1 %"
    return f"{p * 100:.1f} %"


def fmt_change(delta: float | None) -> str:
    """Change of probability in percentage points, signed; no change reads "0.0 pts".

    A change that rounds to zero keeps no sign: "-0.0" next to "+0.0" suggests a fall.
    """
    if delta is None:
        return ""
    points = round(delta * 100, 1)
    return "0.0 pts" if points == 0 else f"{points:+.1f} pts"


def fmt_hours(h: float | None) -> str:
    """Hours up to three days, days beyond: planners book work in days."""
    if h is None:
        return "—"
    return f"{h:.0f} h" if h < 72 else f"{h / 24:.1f} d"


def fmt_life(h: float, cap: float | None = None) -> str:
    """One remaining-life value; at or beyond the model's cap it reads "more than 60 d".

    The RUL target is capped, so a value at the cap says "at least this long", never
    that the machine has exactly that long left.
    """
    if cap is not None and h >= cap * (1 - 1e-3):
        text = fmt_hours(cap)
        return "more than " + (text[:-4] + " d" if text.endswith(".0 d") else text)
    return fmt_hours(h)


def fmt_rul(
    mid: float | None, low: float | None, high: float | None, cap: float | None = None
) -> str:
    """Remaining life with its interval, e.g. ``5.0 d (3.1–7.8 d)``; ``cap``: the RUL cap
    in hours (values at it read "more than ...")."""
    if mid is None:
        return "—"
    if low is None or high is None or fmt_life(mid, cap).startswith("more"):
        return fmt_life(mid, cap)
    return f"{fmt_life(mid, cap)} ({fmt_life(low, cap)}–{fmt_life(high, cap)})"


def fmt_part(component: str | None, share: float | None, fallback: str | None = None) -> str:
    """The part to inspect and its share of the risk, e.g. ``bearing (62 % of the risk)``;
    without a component (a model that names none) the ``fallback`` (the sensor family of
    the top driver, ``serving.inspect``), else ``—``."""
    if not component:
        return fallback or "—"
    return component if share is None else f"{component} ({share * 100:.0f} % of the risk)"


def fmt_time(t: datetime | None) -> str:
    """Timestamps always in UTC, minutes precision."""
    return "—" if t is None else f"{t:%Y-%m-%d %H:%M} UTC"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment: autoescape on for every template, undefined names fail."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=fmt_pct, change=fmt_change, hours=fmt_hours, time=fmt_time)
    env.globals.update(rul=fmt_rul, part=fmt_part)
    return env
