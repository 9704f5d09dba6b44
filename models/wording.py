"""Sensor names as a planner reads them: ``vibration_mm_s`` → "Vibration", unit "mm/s".

Sensor columns are free-form, but plants usually end them with their unit
(``temperature_c``, ``pressure_bar``). When the last word(s) of a name are a known unit,
driver sentences quote values in that unit; otherwise they quote the bare number.
"""

from __future__ import annotations

import math

UNITS: dict[str, str] = {
    "c": "°C", "degc": "°C", "f": "°F", "degf": "°F", "k": "K",
    "mm_s": "mm/s", "m_s": "m/s", "in_s": "in/s", "um": "µm", "mm": "mm", "g": "g",
    "a": "A", "ma": "mA", "v": "V", "kv": "kV",
    "bar": "bar", "mbar": "mbar", "psi": "psi", "pa": "Pa", "kpa": "kPa", "mpa": "MPa",
    "db": "dB", "dba": "dB(A)", "w": "W", "kw": "kW", "mw": "MW", "kva": "kVA",
    "rpm": "rpm", "hz": "Hz", "khz": "kHz", "nm": "N·m", "pct": "%", "percent": "%",
    "l_min": "l/min", "m3_h": "m³/h", "kg_h": "kg/h",
}  # fmt: skip
"""Name endings read as units (the longest ending wins: ``_mm_s`` before ``_s``)."""


def split_unit(sensor: str) -> tuple[str, str | None]:
    """``"vibration_mm_s"`` → ``("Vibration", "mm/s")``; ``"volt"`` → ``("Volt", None)``.

    At least one word must remain for the name, so a sensor called ``c`` stays ``C``.
    """
    words = sensor.split("_")
    for n in (2, 1):
        if len(words) > n and "_".join(words[-n:]).lower() in UNITS:
            return readable(" ".join(words[:-n])), UNITS["_".join(words[-n:]).lower()]
    return readable(" ".join(words)), None


def readable(text: str) -> str:
    """First letter upper case, underscores as spaces: ``"oil temp"`` → ``"Oil temp"``."""
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


def number(value: float) -> str:
    """Three significant figures without trailing zeros (``81.2``, ``0.41``, ``4.1``);
    whole numbers with thousands separators from 1,000 on."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 0.001:
        return f"{value:.3g}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pair(value: float, usual: float) -> tuple[str, str]:
    """Both numbers with enough digits that they never read alike ("7.67 vs 7.67")."""
    a, b = number(value), number(usual)
    digits = 3
    while a == b and value != usual and digits < 10:
        digits += 1
        a, b = f"{value:.{digits}g}", f"{usual:.{digits}g}"
    return a, b


def with_unit(text: str, unit: str | None) -> str:
    """``"81.2"`` + ``"°C"`` → ``"81.2 °C"`` (no space before %)."""
    if unit is None:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def duration(hours_value: float) -> str:
    """Hours up to three days, whole days beyond: planners book work in days."""
    if hours_value < 72:
        return f"{hours_value:.0f} h"
    return f"{hours_value / 24:.0f} days"
