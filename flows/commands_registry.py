"""Registry commands: put registered model versions in service by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from forewarn.flows import console
from forewarn.flows.cli import app, settings_of
from forewarn.flows.commands_pipeline import ExperimentOption
from forewarn.flows.experiment import ConfigError, load_experiment


@app.command(
    epilog=(
        "Example: [bold]forewarn promote --risk 3 --rul 3[/]\n\n"
        "Moves the champion alias; tonight's scoring uses those versions and the feature "
        "config logged with them. `forewarn models` lists the versions."
    )
)
def promote(
    ctx: typer.Context,
    risk: Annotated[int | None, typer.Option(min=1, help="Risk version to make champion.")] = None,
    rul: Annotated[int | None, typer.Option(min=1, help="RUL version to make champion.")] = None,
    config: ExperimentOption = None,
) -> None:
    """Make registered versions champion by hand (e.g. ones the quality gate held back)."""
    from forewarn.models.registry import promote as set_champion

    settings = settings_of(ctx)
    if risk is None and rul is None:
        console.fail("give --risk VERSION and/or --rul VERSION (`forewarn models` lists them)")
        raise typer.Exit(2)
    try:
        model = load_experiment(config).model
    except ConfigError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    for name, version in ((model.risk_model_name, risk), (model.rul_model_name, rul)):
        if version is None:
            continue
        try:
            set_champion(settings.tracking_uri, name, str(version))
        except LookupError as exc:
            console.fail(str(exc))
            raise typer.Exit(2) from exc
        except RuntimeError as exc:  # the registry is down
            console.fail(str(exc))
            raise typer.Exit(1) from exc
        console.console.print(f"{name}: version {version} → champion")
