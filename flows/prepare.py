"""Prepare a run once, before Prefect starts and before any feature is built.

``prepare_run`` loads the experiment, reads the dataset's shape (schema and time span,
``features.shape``: seconds) and checks one against the other (``features.preflight``),
so every config mistake is reported at once, in seconds, with exit code 2, instead of
one at a time a minute into feature building. The result, a frozen ``PreparedRun``, is
what the flows are handed; it is the seed of the ``TrainingRun`` / ``Night`` the
nightly-path issue formalises (dataset, as_of, experiment, span; lookback and batch
plan to come). Nothing here imports prefect or mlflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from forewarn.features.preflight import (
    DataShape,
    Problem,
    event_problems,
    history_summary,
    minimum_history,
    schema_problems,
    span_problems,
)
from forewarn.features.shape import read_shape
from forewarn.flows.experiment import ExperimentConfig, load_experiment

Purpose = Literal["train", "frame", "night"]
"""What the run does: train models, write a labelled frame, or score/snapshot one night."""

CUT_OPTION: dict[str, str] = {"train": "--until", "frame": "--end", "night": "--as-of"}
"""The command-line option that sets each kind of run's cut."""

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times a run may be cut at: readings before 1970 are rejected as clock resets, and
dates past 2100 plus a window or horizon overflow pandas' datetimes (year 2262)."""


class PreflightError(ValueError):
    """The experiment does not fit the data; ``problems`` lists every reason."""

    def __init__(self, header: str, problems: list[Problem], footer: str = "") -> None:
        self.problems = problems
        lines = [header, *(f"  - {p}" for p in problems)]
        super().__init__("\n".join(lines + ([footer] if footer else [])))


@dataclass(frozen=True)
class PreparedRun:
    """A run's inputs, checked against each other once and handed down unchanged.

    Attributes:
        data: the dataset folder or fsspec URL.
        as_of: the run's cut: training's ``--until`` (None: all data) or the night.
        experiment: the experiment the run builds features with (for a night: the
            champion's features and labels).
        shape: the dataset's schema and the span of its readings up to ``as_of``.
        purpose: what the run does.
        notes: what the checks found worth saying but not worth stopping for.
    """

    data: str
    as_of: datetime | None
    experiment: ExperimentConfig
    shape: DataShape
    purpose: Purpose
    notes: tuple[str, ...] = ()

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        """First and last reading known at ``as_of``."""
        return self.shape.start, self.shape.end


def time_problem(when: datetime | None, option: str) -> Problem | None:
    """A cut outside 1970..2100 (a typo such as 20250-01-01 or 1925), or None."""
    if when is None or EARLIEST <= when < LATEST:
        return None
    return Problem(
        option,
        f"{when.isoformat()} is outside {EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d}",
        "Give a date within the data, e.g. 2025-06-30",
    )


def _cut_problems(shape: DataShape, as_of: datetime | None, purpose: Purpose) -> list[Problem]:
    option = CUT_OPTION[purpose]
    bad = time_problem(as_of, option)
    if bad is not None:
        return [bad]
    # A night before the data is the reject gate's case ("no accepted row", exit 1 in
    # `validate` and `score` alike); a training cut before it leaves nothing to train on.
    if as_of is not None and shape.start is None and purpose != "night":
        return [
            Problem(
                option,
                f"{as_of.isoformat()} is before the first reading of {shape.url}",
                "Give a time after the data starts",
            )
        ]
    return []


def check_run(
    exp: ExperimentConfig, shape: DataShape, purpose: Purpose, as_of: datetime | None = None
) -> tuple[list[Problem], list[str]]:
    """Every problem of running ``exp`` on data of this ``shape`` (none: go ahead), and
    notes worth printing."""
    problems = _cut_problems(shape, as_of, purpose)
    problems += schema_problems(exp.features, shape)
    if purpose != "train":  # a night, or a frame to explore: no model to fit the span
        return problems, []
    needs = exp.model.history_needs(exp.labels.horizon)
    problems += span_problems(exp.features, exp.labels, needs, shape)
    found, notes = event_problems(exp.features, exp.labels, shape)
    return problems + found, notes


def prepare_run(
    data: str,
    experiment: str | ExperimentConfig | None,
    purpose: Purpose = "train",
    as_of: datetime | None = None,
) -> PreparedRun:
    """Load the experiment, read the data's shape and refuse a run that cannot work.

    Args:
        data: dataset folder or fsspec URL.
        experiment: a name, a path, or a loaded experiment (a night passes the
            champion's).
        purpose: ``train`` checks everything; ``frame`` (``forewarn features --every``)
            and ``night`` (scoring, a snapshot) the schema and the cut.
        as_of: the run's cut (training ``--until``; the night for ``night``).

    Raises:
        ConfigError: the experiment file itself is invalid.
        DatasetError: the dataset cannot be read (missing folder, table or file).
        PreflightError: the experiment does not fit the data, listing every problem.
    """
    exp = experiment if isinstance(experiment, ExperimentConfig) else load_experiment(experiment)
    bad = time_problem(as_of, CUT_OPTION[purpose])
    if bad is not None:  # a cut past 2100 cannot even be compared with the data
        raise PreflightError(f"cannot run on {data}:", [bad])
    shape = read_shape(data, as_of)
    problems, notes = check_run(exp, shape, purpose, as_of)
    if problems:
        footer = ""
        if purpose == "train":
            needs = exp.model.history_needs(exp.labels.horizon)
            footer = history_summary(minimum_history(exp.features, exp.labels, needs), shape)
        raise PreflightError(
            f"experiment '{exp.name}' does not fit {data} "
            f"({len(problems)} problem{'s' if len(problems) > 1 else ''}):",
            problems,
            footer,
        )
    return PreparedRun(str(data), as_of, exp, shape, purpose, tuple(notes))
