"""Data commands: ``forewarn generate`` (synthetic fleet) and ``forewarn validate``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from forewarn.features.readers import DatasetError
from forewarn.flows import console
from forewarn.flows.cli import app, parse_time, settings_of

_FLEET_OPTIONS = {
    "n_assets": "--assets",
    "days": "--days",
    "freq": "--freq",
    "seed": "--seed",
    "scenario": "--scenario",
}
"""FleetConfig fields by the generate option that sets them (errors name the option)."""


@app.command(
    epilog=(
        "Example: [bold]forewarn generate --out fleet --assets 1000 --days 365 --seed 7[/]\n\n"
        "Drift scenarios for monitoring: --scenario recalibration | supplier | seasonal."
    )
)
def generate(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <home>/data/fleet).")
    ] = None,
    assets: Annotated[int, typer.Option(min=1, help="Number of assets in the fleet.")] = 200,
    days: Annotated[
        int,
        typer.Option(min=1, help="Days of history (the default experiment trains on 183+)."),
    ] = 240,
    freq: Annotated[str, typer.Option(help="Sampling interval, e.g. 1h, 10m, 1d.")] = "1h",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    scenario: Annotated[
        str, typer.Option(help="Drift scenario: none, recalibration, supplier, seasonal.")
    ] = "none",
    batch_assets: Annotated[
        int, typer.Option(min=1, help="Assets simulated and written per batch (bounds memory).")
    ] = 500,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output folder.")] = False,
) -> None:
    """Simulate a seeded smart-factory fleet and write it as a contract-valid dataset."""
    from pydantic import ValidationError

    from forewarn.synthetic import FleetConfig, write_fleet

    settings = settings_of(ctx)
    target = out or settings.data_dir / "fleet"
    try:
        cfg = FleetConfig(n_assets=assets, days=days, freq=freq, seed=seed, scenario=scenario)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        option = _FLEET_OPTIONS.get(field, field)
        message = str(err["msg"]).removeprefix("Value error, ")
        console.fail(f"invalid fleet settings: {option} {err['input']!r}: {message}")
        raise typer.Exit(2) from exc
    try:
        with console.progress_bar("simulating assets", assets) as update:
            summary = write_fleet(
                cfg, target, batch_assets=batch_assets, on_progress=update, overwrite=overwrite
            )
    except FileExistsError as exc:  # the library's message speaks of its keyword argument
        console.fail(
            f"{target} is not empty", "pass --overwrite to replace it, or choose another --out"
        )
        raise typer.Exit(2) from exc
    console.print_fleet(summary, str(target))


@app.command(
    epilog=(
        "Example: [bold]forewarn validate .forewarn/data/fleet --max-reject-share 0.01[/]\n\n"
        "Exit code 0 when clean, 1 when the share of faulty rows in any table passes the "
        "threshold or no telemetry/assets row is left (rows after --as-of are set aside but "
        "are not faults), 2 on a structural fault (missing table or column, unreadable file)."
    )
)
def validate(
    ctx: typer.Context,
    data: Annotated[str, typer.Argument(help="Dataset folder or fsspec URL.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Set aside rows timestamped after this time (UTC): a night's cut, not a fault.",
            show_default="now",
        ),
    ] = None,
    max_reject_share: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Fail when a table's rejected share passes this (default 0.05)."
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where to write rejected rows (default: <home>/rejects/<name>.parquet)."),
    ] = None,
) -> None:
    """Check a dataset against the data contract and summarise it."""
    from forewarn.flows.steps import validate_and_quarantine

    settings = settings_of(ctx)
    threshold = settings.reject_threshold if max_reject_share is None else max_reject_share
    try:
        report, rejects_path = validate_and_quarantine(
            data,
            parse_time(as_of, "--as-of") or datetime.now(UTC),
            rejects or settings.rejects_dir,
        )
    except DatasetError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    console.print_validation(report, str(rejects_path) if rejects_path else None)
    why = report.gate_failure(threshold)
    if why is not None:
        console.fail(
            why,
            "fix the rows listed in the rejects file, or raise --max-reject-share (rows "
            "after --as-of are set aside, not counted as faults: is --as-of right?)",
        )
        raise typer.Exit(1)
