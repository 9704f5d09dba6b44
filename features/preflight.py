"""Check an experiment against a dataset's shape before any work: every problem at once.

A config mistake (a misspelt sensor, a window longer than the data, a validation window
that leaves no training rows) used to surface one at a time, a minute into feature
building, or not at all (a misspelt sensor became all-null features and trained). These
checks need only the dataset's *shape* (telemetry columns and their types, the time span
of the readings, the alarm codes and components its events name), which
``features.shape`` reads in a second or two, so they run before anything is built.

Pure: the shape comes in, a list of ``Problem`` comes out, each naming the key as the
experiment file spells it (``[model] validation_window``) and saying how to fix it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from forewarn.features.contract import TELEMETRY_KEYS
from forewarn.features.durations import parse_duration
from forewarn.features.spec import FeatureSpec, LabelSpec

SUGGEST = "run `forewarn config suggest --data DATA` for an experiment fitted to the data"
"""Where to point a user whose data does not match the experiment at all."""

SENSOR_KINDS = frozenset({"number", "text"})
"""Column kinds a sensor may have: numbers, or text (CSV) that validation casts per row."""
REGIME_KINDS = frozenset({"number", "text"})


@dataclass(frozen=True)
class Problem:
    """One reason the experiment cannot run on the data.

    Attributes:
        key: what to change, spelled as in the experiment file (``[labels] horizon``) or
            on the command line (``--until``).
        message: what is wrong, with the numbers.
        fix: how to put it right.
    """

    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}. {self.fix}"


@dataclass(frozen=True)
class DataShape:
    """What a run needs to know of a dataset before reading its readings.

    Attributes:
        url: the dataset.
        columns: telemetry column -> kind (``number``, ``text``, ``time``, ``other``),
            keys and bookkeeping columns included.
        start: first reading (None: no readable reading).
        end: last reading, at or before the run's cut (``--until`` / ``--as-of``).
        alarm_codes: codes of ``alarm`` events.
        components: components named by failure and maintenance events.
        failures: number of failure events up to the cut.
    """

    url: str
    columns: dict[str, str]
    start: datetime | None
    end: datetime | None
    alarm_codes: frozenset[str] = frozenset()
    components: frozenset[str] = frozenset()
    failures: int = 0

    @property
    def sensors(self) -> list[str]:
        """Telemetry columns other than the keys and bookkeeping (``_``) columns."""
        return [c for c in self.columns if c not in TELEMETRY_KEYS and not c.startswith("_")]


@dataclass(frozen=True)
class Need:
    """History an experiment needs between its first and its last training snapshot.

    Attributes:
        key: the key a problem is filed under (the one most worth changing).
        keys: the keys that add up to it, with their values, as the file spells them.
        length: the total.
        fix: which keys to lower.
    """

    key: str
    keys: str
    length: timedelta
    fix: str


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 2 else f"{span.total_seconds() / 3600:.0f} hours"


def _near(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _listing(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") or "none"


def schema_problems(spec: FeatureSpec, shape: DataShape) -> list[Problem]:
    """Sensors and regime column the spec names against the telemetry's columns."""
    problems: list[Problem] = []
    have = shape.sensors
    if spec.sensors is not None:
        missing = [s for s in spec.sensors if s not in shape.columns]
        if missing:
            hints = "; ".join(f"{s!r}{_near(s, have)}" for s in missing)
            fix = f"List the telemetry's own sensor columns (it has: {_listing(have)})"
            if len(missing) > len(spec.sensors) / 2:
                fix += f", or {SUGGEST}"
            problems.append(
                Problem(
                    "[features] sensors",
                    f"{len(missing)} of {len(spec.sensors)} sensors are not telemetry columns "
                    f"of {shape.url}: {hints}",
                    fix,
                )
            )
        wrong = [
            f"{s!r} ({shape.columns[s]})"
            for s in spec.sensors
            if shape.columns.get(s, "number") not in SENSOR_KINDS
        ]
        if wrong:
            problems.append(
                Problem(
                    "[features] sensors",
                    f"not numeric: {', '.join(wrong)}",
                    "Sensors must be numbers; drop these from the list or export them as numbers",
                )
            )
    elif not [c for c in have if shape.columns[c] in SENSOR_KINDS and c != spec.regime_column]:
        problems.append(
            Problem(
                "[features] sensors",
                f"{shape.url} has no numeric sensor column besides asset_id and ts",
                "Add one numeric telemetry column per sensor",
            )
        )
    problems += _regime_problems(spec, shape)
    return problems


def _regime_problems(spec: FeatureSpec, shape: DataShape) -> list[Problem]:
    regime = spec.regime_column
    if regime is None or regime in TELEMETRY_KEYS or regime in (spec.sensors or ()):
        return []  # the spec refuses a key or a sensor as regime at load time
    if regime not in shape.columns:
        return [
            Problem(
                "[features] regime_column",
                f"{regime!r} is not a telemetry column of {shape.url}"
                + _near(regime, shape.sensors),
                "Name the column holding the operating regime, or leave regime_column out",
            )
        ]
    if shape.columns[regime] not in REGIME_KINDS:
        return [
            Problem(
                "[features] regime_column",
                f"{regime!r} is a {shape.columns[regime]} column",
                "Use a column of regime labels or codes (text or integers)",
            )
        ]
    return []


def _listed_events(
    key: str, listed: Sequence[str], present: frozenset[str], what: str
) -> tuple[list[Problem], list[str]]:
    """None of the listed values in the events: a problem (the list is for other data).
    Some missing: a note only, since a rare code or part may simply not have occurred
    yet (its feature is then zero or empty throughout)."""
    absent = [c for c in listed if c not in present]
    if not absent:
        return [], []
    known = sorted(present)
    hints = "; ".join(f"{c!r}{_near(c, known)}" for c in absent)
    text = f"no {what} {hints} (the events hold: {_listing(known)})"
    if len(absent) < len(listed):
        return [], [f"{key}: {text}; its features will be empty"]
    fix = "List values that occur in the events table, or leave the list empty"
    return [Problem(key, text, fix)], []


def event_problems(
    spec: FeatureSpec, labels: LabelSpec, shape: DataShape
) -> tuple[list[Problem], list[str]]:
    """Alarm codes and components the experiment names that no event carries, and
    whether there is any failure to learn from; plus notes on partly missing lists.

    Training only: a scoring extract may well hold no alarm tonight.
    """
    problems, notes = [], []
    for key, listed, present, what in (
        ("[features] alarm_codes", spec.alarm_codes, shape.alarm_codes, "alarm event has code"),
        (
            "[features] components",
            spec.components,
            shape.components,
            "failure or maintenance event names component",
        ),
        (
            "[labels] components",
            labels.components,
            shape.components,
            "failure or maintenance event names component",
        ),
    ):
        found, noted = _listed_events(key, listed, present, what)
        problems += found
        notes += noted
    if shape.failures == 0:
        problems.append(
            Problem(
                "--data",
                f"{shape.url} records no failure event up to the training cut, so there is "
                "nothing to learn from",
                "Add the failure history (events of kind 'failure'), or train on a later cut",
            )
        )
    return problems, notes


def snapshot_bounds(start: datetime, end: datetime, every: str) -> tuple[datetime, datetime]:
    """First and last training snapshot: whole ``every`` steps since the epoch, strictly
    after the first reading and at or before the last (as ``flows.steps.training_span``)."""
    step = int(parse_duration(every).total_seconds())
    first = (int(start.timestamp()) // step + 1) * step
    last = (int(end.timestamp()) // step) * step
    return datetime.fromtimestamp(first, start.tzinfo), datetime.fromtimestamp(last, end.tzinfo)


def minimum_history(spec: FeatureSpec, labels: LabelSpec, needs: Sequence[Need]) -> timedelta:
    """The shortest span of readings the experiment trains on: its longest need plus the
    two snapshot steps lost at the ends (snapshots sit on whole steps inside the data)."""
    step = parse_duration(spec.snapshot_every)
    windows = [parse_duration(w) for w in spec.all_windows] + [parse_duration(labels.horizon)]
    longest = max([*windows, *(n.length for n in needs)])
    return longest + 2 * step


def span_problems(
    spec: FeatureSpec, labels: LabelSpec, needs: Sequence[Need], shape: DataShape
) -> list[Problem]:
    """Windows, horizon and the split's needs against the data's time span."""
    if shape.start is None or shape.end is None or shape.end <= shape.start:
        return []  # no span to judge: validation reports an empty or unreadable table
    span = shape.end - shape.start
    dates = f"{shape.start:%Y-%m-%d} to {shape.end:%Y-%m-%d}"
    problems: list[Problem] = []
    longer = spec.windows_longer_than(span.total_seconds())
    if longer:
        problems.append(
            Problem(
                "[features] windows / alarm_windows",
                f"{', '.join(longer)} {'is' if len(longer) == 1 else 'are'} longer than the "
                f"training data ({_days(span)}, {dates}); no training snapshot would see a "
                "whole window",
                "Shorten the window(s), or train on more history",
            )
        )
    if parse_duration(labels.horizon) >= span:
        problems.append(
            Problem(
                "[labels] horizon",
                f"{labels.horizon} is not shorter than the training data ({_days(span)}, "
                f"{dates}); no snapshot would have a known label",
                "Shorten the horizon, or train on more history",
            )
        )
    first, last = snapshot_bounds(shape.start, shape.end, spec.snapshot_every)
    for need in needs:
        if last - need.length <= first:
            problems.append(
                Problem(
                    need.key,
                    f"{need.keys} = {_days(need.length)} must fit between the first and last "
                    f"training snapshot ({first:%Y-%m-%d} to {last:%Y-%m-%d}, "
                    f"{_days(max(last - first, timedelta(0)))}) with training rows left over",
                    need.fix,
                )
            )
    return problems


def history_summary(minimum: timedelta, shape: DataShape) -> str:
    """One line saying how much history the experiment needs and how much there is."""
    days = math.ceil(minimum.total_seconds() / 86400)
    have = ""
    if shape.start is not None and shape.end is not None:
        have = f"; {shape.url} has {_days(shape.end - shape.start)}"
    return f"this experiment needs more than {days} days of readings to train{have}"
