"""Pipeline commands: train, score, report, models, demo, config."""

from __future__ import annotations

import errno
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from forewarn.flows import console
from forewarn.flows.cli import app, parse_time, release, settings_of
from forewarn.flows.experiment import ConfigError, ExperimentConfig, load_experiment, schema_json
from forewarn.flows.gates import QualityGateError
from forewarn.flows.scale_options import BatchAssetsOption, DaskAddressOption, RunnerOption
from forewarn.flows.settings import Settings

if TYPE_CHECKING:
    from forewarn.flows.prepare import PreparedRun

ExperimentOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        help="Experiment name in experiments/ or a path to a TOML/YAML file.",
        show_default="default",
    ),
]

TRAINING_STEP = "train, evaluate and register"
"""The training flow's step that fits the models (flows/training.py names it so)."""

_WORKSPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})

DataOption = Annotated[str, typer.Option(help="Dataset folder or fsspec URL.")]
MaxRejectOption = Annotated[
    float | None,
    typer.Option(
        min=0.0, max=1.0, help="Fail when a table's rejected share passes this (default 0.05)."
    ),
]

config_app = typer.Typer(help="Inspect experiment configs.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("schema", epilog="Example: [bold]forewarn config schema > schema.json[/]")
def config_schema() -> None:
    """Print the JSON schema of experiment files (every key, type and default)."""
    typer.echo(schema_json())


@config_app.command("show", epilog="Example: [bold]forewarn config show short_horizon[/]")
def config_show(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Experiment name in experiments/ or a path to a TOML/YAML file.",
            show_default="default",
        ),
    ] = None,
) -> None:
    """Load, check and print an experiment with every default filled in."""
    try:
        exp = load_experiment(name)
    except ConfigError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(exp.model_dump_json(indent=2))


def where_full(error: BaseException, home: Path | None) -> str:
    """The file that could not be written, else the workspace, with its free space."""
    place = Path(getattr(error, "filename", None) or home or ".")
    probe = next((p for p in (place, *place.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    return f"{place} ({free / 1e6:,.1f} MB free)"


def _check_stores(settings: Settings, config: str | None) -> None:
    """A damaged score store or champion fails in seconds, before Prefect starts (the
    flow checks both again, for callers that run it directly); errors carry a hint."""
    from forewarn.flows.steps import check_champion
    from forewarn.serving.store import ScoreStore

    ScoreStore(settings.scores_dir).check()
    try:
        exp = load_experiment(config)
        check_champion(exp, settings)
    except Exception as exc:
        if getattr(exc, "hint", None):
            raise  # damaged: one clear message (cli.main), exit 2
        return  # a bad config, a server down: the flow's own step reports it


def _fail_on(
    exc: Exception, training_data_hint: str | None = None, home: Path | None = None
) -> None:
    """Print a failed flow's error (it names the step) and exit non-zero.

    ``training_data_hint`` replaces the hint when training refused its data (a
    ``ValueError`` from the training step: no failures to learn from, a calibration
    window without any), for callers that know what the user can change.
    """
    from forewarn.flows.tasks import StepFailedError, disk_full

    if isinstance(exc, StepFailedError):
        hint = None
        if training_data_hint and exc.step == TRAINING_STEP and isinstance(exc.error, ValueError):
            hint = training_data_hint
        elif "run `forewarn train` first" in str(exc):
            hint = "train a model first: forewarn train --data DATA"
        elif disk_full(exc.error):
            hint = (
                f"the disk holding {where_full(exc.error, home)} is full: free space there, "
                "then re-run (nothing was half-written; re-runs are idempotent)"
            )
        elif isinstance(exc.error, OSError) and exc.error.errno in _WORKSPACE_ERRNOS:
            hint = (
                "the workspace is full or not writable: free space or fix its permissions, "
                "then re-run (nothing was half-written; re-runs are idempotent)"
            )
        console.fail(str(exc), hint)
        if isinstance(exc.error, QualityGateError):  # e.g. too many rejects: as `validate`
            code = 1
        else:
            code = 2 if isinstance(exc.error, ValueError | LookupError) else 1
        release(exc)
        raise typer.Exit(code) from None
    raise exc


def prepared_run(
    data: str, experiment: Any, purpose: str, as_of: datetime | None = None
) -> PreparedRun:
    """``flows.prepare.prepare_run`` before Prefect starts: exit 2 listing every problem.

    A config typo or a history too short for the experiment is reported in seconds,
    all at once, instead of a minute into feature building, one at a time.
    """
    from forewarn.features.readers import DatasetError
    from forewarn.flows.prepare import PreflightError, prepare_run

    try:
        run = prepare_run(data, experiment, purpose, as_of)  # type: ignore[arg-type]
    except (ConfigError, DatasetError, PreflightError) as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    for note in run.notes:
        console.note(note)
    return run


def champion_run(
    data: str, config: str | None, settings: Settings, as_of: datetime | None, force: bool
) -> PreparedRun:
    """``prepared_run`` of a night scored by the champion (its logged features and, without
    ``-c``, its list rules), with the night chosen (``flows.nights.pick_night``)."""
    from forewarn.features.readers import DatasetError
    from forewarn.flows.nights import NightOutOfRangeError, pick_night
    from forewarn.flows.steps import champion_experiment

    try:
        exp = champion_experiment(load_experiment(config), settings, config is None)
        every, stale = exp.features.snapshot_every, exp.risk_list.stale_after_hours
        night = pick_night(data, as_of, every, stale, force)
    except (ConfigError, NightOutOfRangeError, DatasetError) as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    except RuntimeError as exc:  # the registry is down: say so, as `forewarn models` does
        console.fail(str(exc))
        raise typer.Exit(1) from exc
    return prepared_run(data, exp, "night", night)


@app.command(
    epilog=(
        "Examples:\n\n"
        "[bold]forewarn features --data fleet --as-of 2025-06-30 --out tonight.parquet[/]"
        "  one row per asset, as the nightly run scores it\n\n"
        "[bold]forewarn features --data fleet --every 1d --start 2025-02-01 --end 2025-06-30"
        " --out frame.parquet[/]  a labelled training frame\n\n"
        "Feature names follow {sensor}__{stat}_{window}; `forewarn config show` lists the"
        " config. Only accepted rows are used (`forewarn validate` lists the others)."
    )
)
def features(
    ctx: typer.Context,
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Output file: .parquet or .csv.")],
    as_of: Annotated[
        str | None, typer.Option(help="One snapshot per asset at this time (UTC).")
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            help="Snapshots every this long, with labels (e.g. 1d, 12h).", show_default=False
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="With --every: first snapshot (default: data start).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="With --every: last snapshot (default: data end).")
    ] = None,
    config: ExperimentOption = None,
) -> None:
    """Write point-in-time feature snapshots: tonight's (--as-of) or a training frame (--every)."""
    from forewarn.features.readers import DatasetError
    from forewarn.flows.feature_files import frame_file, snapshot_file

    settings_of(ctx)
    when = parse_time(as_of, "--as-of")
    first, last = parse_time(start, "--start"), parse_time(end, "--end")
    if (when is None) == (every is None):
        console.fail(
            "give --as-of (one snapshot per asset) or --every (a labelled training frame), not "
            + ("both" if when is not None else "neither")
        )
        raise typer.Exit(2)
    if when is not None and (first or last):
        console.fail("--start and --end go with --every, not --as-of")
        raise typer.Exit(2)
    if when is not None:
        exp = prepared_run(data, config, "night", when).experiment
    else:
        exp = prepared_run(data, config, "frame", last).experiment
    try:
        with console.spinner("building feature snapshots"):
            result = (
                snapshot_file(data, when, exp, out)
                if when is not None
                else frame_file(data, exp, out, every, first, last)
            )
    except (ConfigError, DatasetError, ValueError) as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    console.print_features(result)


@app.command(
    epilog=(
        "Example: [bold]forewarn train --data .forewarn/data/fleet -c short_horizon[/]\n\n"
        "Runs the training flow: validate → training frame → train + evaluate → MLflow → "
        "promotion (champion only if it beats the current one).\n\n"
        "Without -c it uses the default experiment, written for the synthetic fleet's "
        "sensors; on other data it stops at once and says to run "
        "[bold]forewarn config suggest --data DATA > experiments/mine.toml[/]."
    )
)
def train(
    ctx: typer.Context,
    data: DataOption,
    config: ExperimentOption = None,
    until: Annotated[
        str | None, typer.Option(help="Train on data known at this time only.")
    ] = None,
    max_reject_share: MaxRejectOption = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    batch_assets: BatchAssetsOption = None,
) -> None:
    """Train failure-risk and RUL models and register them in MLflow."""
    settings = settings_of(ctx)
    if config is None:
        _default_fits(data)
    cut = parse_time(until, "--until")
    prepared = prepared_run(data, config, "train", cut)  # before Prefect starts
    from forewarn.flows.training import training_flow, training_steps

    try:
        with console.running("forewarn train", training_steps(prepared=True)):
            out = training_flow(
                data,
                config,
                str(settings.home),
                cut,
                max_reject_share,
                runner=runner and runner.value,
                dask_address=dask_address,
                batch_assets=batch_assets,
                prepared=prepared,
            )
    except Exception as exc:  # the flow names the failing step
        _fail_on(exc)
        return
    console.print_training(out, settings.tracking_uri)
    if out.get("gate"):  # registered, but not fit to serve the nightly list
        console.fail(*console.gate_failure(out, config))
        raise typer.Exit(1)


def _default_fits(data: str) -> None:
    """``train`` without ``-c``: stop at once, pointing to ``config suggest``, when the
    default experiment (the synthetic fleet's sensors) does not fit the data's columns."""
    from forewarn.features.readers import DatasetError
    from forewarn.flows.commands_suggest import SUGGEST_HINT, default_mismatch

    try:
        problem = default_mismatch(data)
    except DatasetError:
        return  # the flow's validation step names the file and the fault
    if problem:
        console.fail(problem, SUGGEST_HINT.format(data=data))
        raise typer.Exit(2)


@app.command(
    epilog=(
        "Example: [bold]forewarn score --data tonight/ --as-of 2025-08-28[/]\n\n"
        "Idempotent per --as-of: a re-run replaces that night's scores. A night past the "
        "data's newest reading plus the stale limit is refused unless --force; "
        "`forewarn scores delete --night N` removes a night stored by mistake. Without -c "
        "the risk-list rules are the ones saved with the champion."
    )
)
def score(
    ctx: typer.Context,
    data: DataOption,
    as_of: Annotated[
        str | None,
        typer.Option(help="Scoring time (UTC).", show_default="the last night the data covers"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Score an --as-of past the data's newest reading.")
    ] = False,
    config: ExperimentOption = None,
    report: Annotated[bool, typer.Option(help="Also write the risk list and report.")] = True,
    max_reject_share: MaxRejectOption = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    batch_assets: BatchAssetsOption = None,
) -> None:
    """Score every asset with the champion models and store tonight's risk list."""
    settings = settings_of(ctx)
    when = parse_time(as_of, "--as-of")
    _check_stores(settings, config)  # damaged stores: one clear error in seconds
    prepared = champion_run(data, config, settings, when, force)  # before Prefect starts
    from forewarn.flows.scoring import scoring_flow, scoring_steps

    try:
        with console.running("forewarn score", scoring_steps(report, prepared=True)):
            out = scoring_flow(
                data,
                when,
                config,
                str(settings.home),
                max_reject_share,
                report,
                runner=runner and runner.value,
                dask_address=dask_address,
                batch_assets=batch_assets,
                prepared=prepared,
                force=force,
            )
    except Exception as exc:
        _fail_on(exc, home=settings.home)
        return
    console.print_scoring(out)
    if out["assets"] and out.get("status", {}).get("unscorable", 0) == out["assets"]:
        # Stored like any night, but a list with nobody on it is no answer: an old or
        # empty extract, or an --as-of past the data, must not pass as a quiet night.
        console.fail(
            f"none of the {out['assets']:,} assets could be scored at {out['as_of']}",
            "check that the extract holds readings up to --as-of "
            "(each asset's status_reason says what is missing), then re-run",
        )
        raise typer.Exit(1)


@app.command(epilog="Example: [bold]forewarn report --as-of 2025-08-28 --data fleet/[/]")
def report(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Night to report (default: latest).")] = None,
    data: Annotated[
        str | None, typer.Option(help="Dataset, for sensor trends in the asset details.")
    ] = None,
    config: ExperimentOption = None,
) -> None:
    """Write the ranked risk list (CSV, XLSX) and the HTML report for one stored night."""
    from forewarn.flows.steps import write_night_report
    from forewarn.serving.store import ScoreStore

    settings = settings_of(ctx)
    when = parse_time(as_of, "--as-of") or ScoreStore(settings.scores_dir).latest()
    if when is None:
        console.fail("the score store is empty", "run `forewarn score --data DATA` first")
        raise typer.Exit(2)
    try:
        paths = write_night_report(data, when, list_experiment(config, settings), settings)
    except (LookupError, ConfigError) as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    for kind, path in paths.items():
        console.console.print(f"{kind}: {path}")


@app.command(epilog="Example: [bold]forewarn models[/]")
def models(ctx: typer.Context) -> None:
    """List registered model versions, their aliases and key metrics."""
    from forewarn.models.registry import list_models

    settings = settings_of(ctx)
    try:
        found = list_models(settings.tracking_uri)
    except RuntimeError as exc:  # the registry is down: say so, not "no models"
        console.fail(str(exc))
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1) from exc
    console.print_models(found, settings.tracking_uri)


@app.command(
    epilog=(
        "Example: [bold]forewarn demo --assets 300 --days 240[/]\n\n"
        "Generates a fleet in <home>/data/demo-fleet, trains, scores the last nights, "
        "writes the report and prints where everything is."
    )
)
def demo(
    ctx: typer.Context,
    assets: Annotated[int, typer.Option(min=20, help="Fleet size.")] = 300,
    days: Annotated[
        int, typer.Option(min=200, help="Days of history (RUL validation needs ~200).")
    ] = 240,
    nights: Annotated[int, typer.Option(min=1, max=30, help="Nights to score.")] = 7,
    seed: Annotated[int, typer.Option(help="Fleet seed.")] = 7,
    config: ExperimentOption = None,
) -> None:
    """Run the whole platform on a synthetic fleet: generate, train, score, report."""
    from forewarn.flows.demo import demo_flow, demo_steps

    settings = settings_of(ctx)
    console.console.print(
        f"forewarn demo: {assets} assets x {days} days hourly, workspace {settings.home}"
    )
    try:
        with console.running("forewarn demo", demo_steps(nights)):
            out = demo_flow(str(settings.home), assets, days, nights, seed, config)
    except Exception as exc:
        # A small synthetic fleet may simply hold too few failures; say what to change.
        _fail_on(
            exc,
            f"a fleet of {assets} assets may hold too few failures to train on: "
            "try --assets 100 or more (default 300), or another --seed",
        )
        return
    console.print_demo(out, settings)


@app.command(
    epilog=(
        "Example: [bold]forewarn serve --port 8765[/]  then open http://127.0.0.1:8765\n\n"
        "Read-only: tonight's list, history and asset detail from the score store. It binds "
        "to 127.0.0.1 and answers only loopback host names; there is no login, so expose it "
        "only behind your own proxy (--allow-host NAME)."
    )
)
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8765,
    config: ExperimentOption = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Host name to answer besides loopback (a proxy's); repeatable."),
    ] = None,
) -> None:
    """Serve the planners' risk list as a small read-only web page."""
    from forewarn.serving.web import listen
    from forewarn.serving.web import serve as serve_app

    settings = settings_of(ctx)
    try:
        exp = list_experiment(config, settings)
        sock = listen(host, port)
    except (ConfigError, OSError) as exc:
        hint = None if isinstance(exc, ConfigError) else "stop what uses it or pick --port"
        console.fail(str(exc), hint)
        raise typer.Exit(2) from exc
    console.console.print(f"serving {settings.scores_dir} on http://{host}:{port} (Ctrl+C stops)")
    serve_app(
        settings.scores_dir, settings.reports_dir, host=host, port=port, config=exp.risk_list,
        rul_cap_hours=exp.model.rul_cap_hours(), allow_hosts=allow_host or (), sock=sock,
    )  # fmt: skip


def list_experiment(config: str | None, settings: Settings) -> ExperimentConfig:
    """The experiment whose list rules a report or the page applies.

    ``-c`` given: that file's. Otherwise the champion's saved rules (the ones `score`
    used), falling back to the default experiment when no champion can be read.
    """
    exp = load_experiment(config)
    local_db = settings.home / "mlflow" / "mlflow.db"
    if config is not None or (not settings.mlflow_tracking_uri and not local_db.exists()):
        return exp  # nothing trained here yet: no champion rules to read
    from forewarn.flows.steps import champion_experiment

    try:
        return champion_experiment(exp, settings, list_rules=True)
    except Exception as exc:  # the registry is down or unreadable: say so, use the defaults
        console.console.print(
            f"[yellow]note:[/] the champion's list rules could not be read ({exc}); "
            "using the default experiment's (pass -c to choose)"
        )
        return exp
