"""``forewarn config suggest``: an experiment fitted to a dataset, and the hint that leads
there when ``train`` is run without ``-c`` on data the default experiment does not fit.

I/O only: the profile (features/profile.py) and the rules (features/suggest.py) are pure.
"""

from __future__ import annotations

import tomllib
from typing import Annotated

import typer
from rich.markup import escape

from forewarn.flows import console
from forewarn.flows.commands_pipeline import config_app

SUGGEST_HINT = (
    "fit an experiment to this data: forewarn config suggest --data {data} > "
    "experiments/mine.toml, then forewarn train --data {data} -c experiments/mine.toml"
)


def suggestion_text(data: str, horizon: str | None = None, name: str | None = None) -> str:
    """The commented TOML experiment fitted to ``data``, checked by the experiment loader.

    Raises:
        DatasetError: the dataset cannot be read (names the file).
        ValueError: the data cannot train any experiment, or ``horizon`` is no duration.
    """
    from forewarn.features.dataset import load_dataset
    from forewarn.features.profile import profile_dataset
    from forewarn.features.suggest import suggest
    from forewarn.features.suggest_toml import render
    from forewarn.flows.experiment import ExperimentConfig

    profile = profile_dataset(load_dataset(data))
    fitted = suggest(profile, horizon, name or "suggested")
    text = render(fitted, data)
    # What is printed must load as it stands: a suggestion that fails the loader is a bug.
    ExperimentConfig.model_validate(tomllib.loads(text)).check()
    for warning in fitted.warnings:
        console.err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    return text


def default_mismatch(data: str) -> str | None:
    """Why the default experiment cannot read ``data`` (schema only: no reading is read).

    ``train`` without ``-c`` uses the default experiment, written for the synthetic
    fleet's sensors; on other data most of its features would be empty. ``None`` when
    every sensor and the regime column it names are telemetry columns of ``data``.
    """
    from forewarn.features.inputs import absent_columns
    from forewarn.features.readers import locate_tables, scan_table
    from forewarn.features.validate import sensor_columns
    from forewarn.flows.experiment import load_experiment

    columns = scan_table(locate_tables(data)["telemetry"]).collect_schema()
    missing = absent_columns(columns.names(), load_experiment(None).features)
    if not missing:
        return None
    have = sensor_columns(columns)
    shown = ", ".join(have[:12]) + (" ..." if len(have) > 12 else "")
    return (
        f"the default experiment reads columns that {data}'s telemetry does not have: "
        f"{', '.join(missing)} (its sensors: {shown})"
    )


@config_app.command(
    "suggest",
    epilog=(
        "Example: [bold]forewarn config suggest --data fleet/ > experiments/mine.toml[/]"
        "  then [bold]forewarn train --data fleet/ -c experiments/mine.toml[/]\n\n"
        "Reads a bounded profile of the data (span, sampling, per-sensor spread, events) "
        "and prints a commented experiment whose every choice says why."
    ),
)
def config_suggest(
    data: Annotated[str, typer.Option(help="Dataset folder or fsspec URL.")],
    horizon: Annotated[
        str | None,
        typer.Option(help="Failure horizon, e.g. 7d or 24h.", show_default="a week, or less"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Experiment name (MLflow experiment).")] = None,
) -> None:
    """Print an experiment fitted to a dataset: its sensors, alarms, windows and model sizes."""
    from forewarn.features.readers import DatasetError

    try:
        text = suggestion_text(data, horizon, name)
    except (DatasetError, ValueError) as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(text, nl=False)
