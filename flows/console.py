"""Terminal presentation: summaries as tables, progress bars, and errors that say how to fix.

Kept out of the command definitions so commands stay a list of options and one call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from forewarn.features.dataset import ValidationReport

PIPED_WIDTH = 10_000
"""Columns of output that is not a terminal (a pipe, a file, cron's mail): so wide that no
command line or table row is ever wrapped (Rich would wrap at 80)."""


def make_console(*, stderr: bool) -> Console:
    """A console at the terminal's width, or ``PIPED_WIDTH`` when output is not a terminal."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else PIPED_WIDTH
    return Console(stderr=stderr, highlight=False, width=width, soft_wrap=width is not None)


console = make_console(stderr=False)
err_console = make_console(stderr=True)

# C0/C1 control characters (ESC starts a terminal escape sequence, CR overwrites a line)
# and the bidirectional overrides that reorder what a reader sees; tab and newline stay.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object) -> str:
    """Data (names, ids, values, paths) made harmless for the terminal.

    Rich markup is escaped (a ``[/x]`` in a dataset crashed Rich) and control characters
    are shown as ``\\x1b``-style text: a column named ``\\x1b[2J`` must not clear the
    screen, nor a carriage return in an asset id overwrite the line before it.
    """
    return escape(_UNSAFE.sub(_visible, str(value)))


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[callable]:
    """Yield ``update(done, total)`` driving a progress bar (quiet when not a terminal)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, total_: int) -> None:
            progress.update(task, completed=done, total=total_)

        yield update


@contextmanager
def spinner(description: str) -> Iterator[None]:
    """A spinner with elapsed time for work of unknown length (quiet when not a terminal)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def running(command: str, steps: int | None = None) -> AbstractContextManager[None]:
    """Steps and progress of a long command on stderr (``flows.console_progress``);
    ``steps``: how many its flow runs, when the command knows."""
    from forewarn.flows.console_progress import long_command

    return long_command(err_console, command, steps)


def print_features(result: Any) -> None:
    """What ``forewarn features`` wrote (a ``flows.feature_files.FeatureFile``)."""
    span = (
        f"at {result.start.isoformat()}"
        if result.start == result.end
        else f"{result.start.isoformat()} .. {result.end.isoformat()}"
    )
    console.print(f"wrote {safe(result.path)}: {result.rows:,} rows x {result.columns} columns")
    console.print(f"snapshots {span}")
    if result.labels is not None:
        print_labels(result.labels)
    if result.rejected_rows:
        console.print(
            f"{result.rejected_rows:,} rejected input rows were left out"
            " (`forewarn validate` lists them with their reasons)"
        )
    if result.later_rows:
        console.print(f"{result.later_rows:,} rows after --as-of left out (not known yet then)")


def print_labels(labels: dict[str, int]) -> None:
    """Snapshot rows kept and left out (and why), then the label counts."""
    excluded = {
        "excluded_after_last_reading": "after the asset's last reading",
        "excluded_before_first_reading": "before its first reading",
        "excluded_downtime": "in downtime after a failure",
    }
    if "kept" in labels:
        why = ", ".join(f"{labels.get(k, 0):,} {text}" for k, text in excluded.items())
        console.print(f"snapshots: {labels['kept']:,} kept of {labels['snapshots']:,} ({why})")
    rest = {k: v for k, v in labels.items() if k not in {"snapshots", "kept", *excluded}}
    console.print("labels: " + ", ".join(f"{k} {v:,}" for k, v in rest.items()))


def fail(message: str, hint: str | None = None) -> None:
    """Print an error (and how to fix it) to stderr.

    Messages quote data (file names, column names, values): they are escaped so a
    ``[/x]`` in a dataset is printed, not parsed as Rich markup (which crashes).
    """
    err_console.print(f"[bold red]error:[/] {safe(message)}")
    if hint:
        err_console.print(f"[yellow]hint:[/] {safe(hint)}")


def note(message: str) -> None:
    """Print something worth knowing that does not stop the run, to stderr."""
    err_console.print(f"[yellow]note:[/] {escape(message)}")


def validation_table(report: ValidationReport) -> Table:
    """Per-table input/accepted/rejected counts."""
    # Every text below comes from the dataset (names, types, reasons): safe() keeps
    # Rich from parsing a hostile "[/x]" as markup.
    table = Table(title=f"Dataset {safe(report.url)}", title_justify="left")
    for col in ("table", "input rows", "accepted", "rejected", "rejected %"):
        table.add_column(col, justify="right" if col != "table" else "left")
    for name, c in report.counts.items():
        table.add_row(
            name,
            f"{c.input:,}",
            f"{c.accepted:,}",
            f"{c.rejected:,}",
            f"{100 * c.reject_share:.2f}",
        )
    return table


def print_validation(report: ValidationReport, rejects_path: str | None) -> None:
    """Print the summary ``forewarn validate`` promises."""
    console.print(validation_table(report))
    span = (
        f"{report.start:%Y-%m-%d %H:%M} → {report.end:%Y-%m-%d %H:%M} UTC" if report.start else "-"
    )
    types = safe(", ".join(f"{k} {v}" for k, v in report.asset_types.items()))
    console.print(f"assets: {report.n_assets:,}  ({types})")
    console.print(f"time span: {span}")
    console.print(f"sensors ({len(report.sensors)}): {safe(', '.join(report.sensors))}")
    if report.text_columns:
        console.print(
            f"[yellow]note:[/] text columns kept as descriptive, not sensors: "
            f"{safe(', '.join(report.text_columns))} (no number among their first values)"
        )
    kinds = ", ".join(f"{k} {v:,}" for k, v in report.events_by_kind.items()) or "none"
    console.print(f"events: {kinds}")
    if report.rejects_by_reason:
        reasons = Table(title="Rejected rows by reason", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("rows", justify="right")
        for reason, n in report.rejects_by_reason.items():
            reasons.add_row(safe(reason), f"{n:,}")
        console.print(reasons)
        if rejects_path:
            console.print(f"rejected rows with reasons and raw values: {safe(rejects_path)}")
    else:
        console.print("no rejected rows")


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


HEADLINE: dict[str, tuple[str, ...]] = {
    "risk": ("pr_auc", "roc_auc", "brier", "event_recall", "precision_at_k", "lead_hours_median"),
    "rul": ("rmse_capped", "mae_capped", "phm_score_mean", "interval_coverage"),
}
"""Validation metrics shown after training (all of them are in MLflow)."""


def headline_table(task: str, metrics: dict, columns: tuple[str, ...]) -> Table:
    """One row per model (LightGBM first, then baselines and the oracle) for ``task``."""
    models = sorted(
        {k.split(".")[1] for k in metrics if k.startswith(f"{task}.") and k.count(".") >= 2},
        key=lambda m: (m != "lightgbm", m == "oracle", m),
    )
    table = Table(title=f"{task} model, validation period", title_justify="left")
    table.add_column("model")
    for col in columns:
        table.add_column(col.replace("_", " "), justify="right")
    for model in models:
        table.add_row(model, *(_fmt(metrics.get(f"{task}.{model}.{c}", "-")) for c in columns))
    return table


def print_training(out: dict, tracking_uri: str) -> None:
    """Headline metrics, the promotion decision and where the run is."""
    console.print(f"[bold]training run[/] {out['run_id']} (experiment {out['experiment']})")
    labels = out.get("labels", {})
    if labels:
        print_labels(labels)
    if out.get("findings"):
        console.print(f"technicians' findings counted as failures: {out['findings']:,}")
    metrics = out.get("metrics", {})
    for task, columns in HEADLINE.items():
        table = headline_table(task, metrics, columns)
        if table.row_count:
            console.print(table)
    for line in graded_lines(out.get("graded", {})):
        console.print(line)
    parts = component_line(metrics)
    if parts:
        console.print(parts)
    budget = budget_line(metrics)
    if budget:
        console.print(budget)
    for task, version in out.get("versions", {}).items():
        verdict = "champion" if out["promoted"].get(task) else "challenger"
        reason = escape(str(out["decisions"].get(task)))
        console.print(f"{task}: version {version} → {verdict} ({reason})")
    for note in out.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"MLflow: {tracking_uri}")


def graded_lines(graded: dict) -> list[str]:
    """What each model was graded on (``models.gate.graded_on``), one line per task."""
    lines = []
    if "risk" in graded:
        g = graded["risk"]
        lines.append(
            f"risk model graded on {g['rows']:,} validation snapshots ({g['positives']:,} "
            f"positive, {g['failures']:,} failures) from {g['start'][:16]} to {g['end'][:16]}"
        )
    if "rul" in graded:
        g = graded["rul"]
        lines.append(
            f"RUL model graded on {g['rows']:,} snapshots from {g['start'][:16]} to {g['end'][:16]}"
        )
    return lines


def gate_failure(out: dict, config: str | None) -> tuple[str, str]:
    """The quality gate's error and how to promote by hand, for ``forewarn train``."""
    versions = out.get("versions", {})
    held = {task: versions[task] for task in out["gate"] if task in versions}
    lines = [f"{task} v{held.get(task, '?')}: {'; '.join(w)}" for task, w in out["gate"].items()]
    message = "quality gate failed; not made champion:\n  " + "\n  ".join(lines)
    options = " ".join(f"--{task} {version}" for task, version in held.items())
    flag = f" -c {config}" if config else ""
    hint = (
        "the models are registered and stay challenger; fix the data or config and re-train, "
        f"or put them in service anyway: forewarn promote {options}{flag}"
    )
    return message, hint


def component_line(metrics: dict[str, float]) -> str | None:
    """Per-component validation in one line: PR-AUC per part and how often a caught
    failure's part was named; ``None`` when the model names no components."""
    prefix = "risk.lightgbm.component."
    pr = {k[len(prefix) : -len(".pr_auc")]: v for k, v in metrics.items()
          if k.startswith(prefix) and k.endswith(".pr_auc")}  # fmt: skip
    if not pr:
        return None
    named = metrics.get("risk.lightgbm.component_named_share", math.nan)
    caught = metrics.get("risk.lightgbm.component_caught_events", 0.0)
    graded = sorted(((c, v) for c, v in pr.items() if not math.isnan(v)), key=lambda t: -t[1])
    share = "—" if math.isnan(named) else f"{named:.0%}"
    best = ", ".join(f"{c} {v:.2f}" for c, v in graded) or "no part failed in validation"
    return (
        f"components: named the failing part for {share} of {caught:.0f} caught "
        f"validation failures; PR-AUC per part: {best}"
    )


def budget_line(metrics: dict, model: str = "lightgbm") -> str | None:
    """The validation budget curve in one line (None when training logged none)."""
    key = f"risk.{model}."
    if f"{key}most_catchable_at_budget" not in metrics:
        return None
    got = [metrics.get(f"{key}caught_at_{n}_per_night", 0) for n in (1, 2, 5, 10)]
    return (
        f"budget curve (validation): of {metrics.get(f'{key}events', 0):.0f} failures, "
        f"1 / 2 / 5 / 10 inspections a night catch {' / '.join(f'{v:.0f}' for v in got)}; "
        f"the budget ({metrics.get(f'{key}inspections_per_day', 0):.1f} a night, "
        f"{metrics.get(f'{key}failing_assets_per_day', 0):.1f} machines failing a night) "
        f"could catch at most {metrics[f'{key}most_catchable_at_budget']:.0f}"
    )


def print_scoring(out: dict) -> None:
    """How many assets were scored, flagged and where the list is."""
    status = ", ".join(f"{k} {v}" for k, v in sorted(out.get("status", {}).items()))
    console.print(f"[bold]scored[/] {out['assets']:,} assets at {out['as_of']} ({status})")
    console.print(f"models: {', '.join(f'{k} v{v}' for k, v in out['versions'].items())}")
    console.print(f"scores: {out['parquet']}")
    for kind, path in out.get("report", {}).items():
        console.print(f"{kind}: {path}")


def print_models(versions: list, tracking_uri: str) -> None:
    """Registered versions with aliases and key metrics."""
    if not versions:
        console.print(f"no registered models at {tracking_uri}: run `forewarn train` first")
        return
    table = Table(title=f"Registered models ({tracking_uri})", title_justify="left")
    for col in ("model", "version", "aliases", "experiment", "created", "horizon", "key metrics"):
        table.add_column(col)
    for v in versions:
        metrics = ", ".join(f"{k}={val:.3f}" for k, val in sorted(v.metrics.items()))
        table.add_row(
            v.name,
            v.version,
            ", ".join(v.aliases),
            v.experiment or "—",
            f"{v.created_at:%Y-%m-%d %H:%M}",
            str(v.horizon),
            metrics,
        )
    console.print(table)


def print_demo(out: dict, settings) -> None:
    """Where the demo's risk list, report, MLflow and Prefect state are."""
    last = out["nights"][-1]
    console.print()
    console.print("[bold green]forewarn demo finished[/]")
    console.print(f"fleet:       {out['fleet']}")
    print_training(out["training"], settings.tracking_uri)
    print_scoring(last)
    console.print(f"score store: {settings.scores_dir}  (DuckDB + Parquet, plain SQL)")
    console.print(
        f"MLflow UI:   mlflow ui --backend-store-uri {settings.tracking_uri} "
        "--host 127.0.0.1 --port 5000  → http://127.0.0.1:5000"
    )
    console.print(
        f"Prefect UI:  PREFECT_HOME={settings.prefect_home} prefect server start "
        "--host 127.0.0.1  → http://127.0.0.1:4200 (flow runs of this demo)"
    )
    console.print(f"web page:    forewarn --home {settings.home} serve  → http://127.0.0.1:8765")


def print_fleet(summary: dict, target: str) -> None:
    """What ``forewarn generate`` wrote: size, failures, drift and the next command."""
    counts, rates, cfg = summary["counts"], summary["rates"], summary["config"]
    console.print(f"[bold]wrote[/] {target}")
    console.print(
        f"{counts['assets']:,} assets x {cfg['days']} days at {cfg['freq']}: "
        f"{counts['telemetry_rows']:,} readings, {counts['events_failure']:,} failures "
        f"({100 * rates['failing_asset_share']:.0f}% of assets fail, "
        f"{counts['multi_failure_assets']} more than once), "
        f"{counts['events_maintenance']:,} maintenance, {counts['events_alarm']:,} alarms"
    )
    drift = summary.get("drift", {})
    if drift.get("scenario", "none") != "none":
        console.print(
            f"drift scenario {drift['scenario']} from {drift['start']}: "
            f"{len(drift['asset_ids'])} assets, sensors {', '.join(drift['sensors']) or '-'}"
        )
    console.print("ground truth (never read by the pipeline): truth/")
    console.print(f"next: forewarn validate {target}")
