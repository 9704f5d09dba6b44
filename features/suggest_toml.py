"""Render a ``Suggestion`` as a commented TOML experiment (no TOML writer dependency).

Values are plain strings, numbers, booleans and lists of strings; strings are written
as JSON strings, which are valid TOML basic strings (same escapes).
"""

from __future__ import annotations

import json

from forewarn.features.suggest import Choice, Suggestion

_WIDTH = 100


def value(v: object) -> str:
    """One TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _line(c: Choice) -> list[str]:
    text = f"{c.key} = {value(c.value)}"
    if isinstance(c.value, list) and len(text) > _WIDTH:
        items = [f"    {value(x)}," for x in c.value]
        text = "\n".join([f"{c.key} = [", *items, "]"])
    if not c.why:
        return [text]
    if "\n" in text or len(text) + len(c.why) + 3 > _WIDTH:
        return [f"# {c.why}", text]
    return [f"{text}  # {c.why}"]


def render(s: Suggestion, source: str = "") -> str:
    """The experiment file: header notes, warnings, then each section's keys."""
    fitted = f"fitted by forewarn config suggest to {source or 'a dataset'}"
    lines = [f"# Experiment {fitted}."]
    lines += [f"# {n}" for n in s.notes]
    lines += [f"# WARNING: {w}" for w in s.warnings]
    lines += [
        "# Edit freely: `forewarn config show <this file>` checks it; every key is in",
        "# `forewarn config schema`.",
        "",
        f"name = {value(s.name)}",
        f"description = {value(fitted)}",
    ]
    for section, choices in s.sections.items():
        lines += ["", f"[{section}]"]
        for c in choices:
            lines += _line(c)
    return "\n".join(lines) + "\n"
