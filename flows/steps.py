"""The steps flows are made of: each reads inputs from paths, calls pure library code,
and writes its outputs to paths. Flows wrap these as Prefect tasks; the CLI may call the
quick ones directly. Nothing here imports prefect.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from forewarn.features.atomic import write_parquet_atomic
from forewarn.features.dataset import Dataset, ValidationReport, load_dataset, summarize
from forewarn.features.durations import parse_duration
from forewarn.features.empty import dead_sensor_message, empty_columns, judge_empty
from forewarn.features.fingerprint import fingerprint
from forewarn.features.inputs import absent_columns, resolve_sensors
from forewarn.features.labels import with_findings
from forewarn.features.readers import DatasetError
from forewarn.features.snapshots import (
    ID_COLUMNS,
    LabelReport,
    label_columns,
    needed_since,
    scoring_snapshot,
    training_frame,
)
from forewarn.features.spec import FeatureSpec, LabelSpec
from forewarn.flows.cluster import training_backend
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.monitoring.nightly import save_night_inputs
from forewarn.flows.settings import Settings
from forewarn.serving.locking import StoreLockTimeoutError, locked
from forewarn.serving.outcome_store import read_outcomes
from forewarn.serving.report import ReportMeta, write_report
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.schema import night_key
from forewarn.serving.score import ScoringRules, reading_stats, score_snapshot
from forewarn.serving.store import ScoreStore

if TYPE_CHECKING:  # lightgbm is slow to import; only annotations need it here
    from forewarn.models.champion import ChampionModels


def _dataset_name(url: str) -> str:
    name = str(url).rstrip("/").rsplit("/", 1)[-1]
    return name or "dataset"


def validate_and_quarantine(
    url: str, as_of: datetime | None, rejects: Path, telemetry_since: datetime | None = None
) -> tuple[ValidationReport, Path | None]:
    """Validate the dataset at ``url`` and write its rejected rows, if any.

    Args:
        url: dataset folder or fsspec URL.
        as_of: rows after this time are rejected (scoring must not see the future).
        rejects: a ``.parquet`` file path, or a folder for ``<dataset name>.parquet``.
        telemetry_since: check only readings from this time on (a nightly run).

    Returns:
        The validation report and the rejects file written (None when nothing was rejected).
    """
    dataset = load_dataset(url, as_of=as_of, telemetry_since=telemetry_since)
    report = summarize(dataset)
    if report.total_rejected == 0:
        return report, None
    path = rejects_file(url, rejects)
    write_parquet_atomic(dataset.rejects.collect(), path)
    return report, path


def rejects_file(url: str, rejects: Path) -> Path:
    """``rejects`` if it names a ``.parquet`` file, else ``<rejects>/<dataset name>.parquet``."""
    return rejects if rejects.suffix == ".parquet" else rejects / f"{_dataset_name(url)}.parquet"


def cut_at(dataset: Dataset, until: datetime | None) -> Dataset:
    """The dataset as it was known at ``until`` (rows after it left out)."""
    if until is None:
        return dataset
    known = pl.col("ts") <= until
    checked = {
        name: frame.filter(known) if name != "assets" else frame
        for name, frame in dataset.checked.items()
    }
    return replace(
        dataset,
        telemetry=dataset.telemetry.filter(known),
        events=dataset.events.filter(known),
        checked=checked,
    )


def training_span(start: datetime, end: datetime, every: str) -> tuple[datetime, datetime]:
    """First and last snapshot times: whole ``every`` steps inside the data's span.

    Snapshots sit on multiples of ``every`` since the epoch (midnight for ``1d``), so
    training and nightly scoring see the same kind of instants.
    """
    step = int(parse_duration(every).total_seconds())
    first = datetime.fromtimestamp((int(start.timestamp()) // step + 1) * step, tz=UTC)
    last = datetime.fromtimestamp((int(end.timestamp()) // step) * step, tz=UTC)
    return first, last


def labelled_frame(
    dataset: Dataset,
    report: ValidationReport,
    features: FeatureSpec,
    labels: LabelSpec,
    first: datetime,
    last: datetime,
    stale: timedelta,
) -> tuple[pl.DataFrame, LabelReport]:
    """Labelled snapshots ``first .. last`` of a validated dataset (labels end with its data),
    of assets observed then (until ``stale`` past their last reading)."""
    return training_frame(
        dataset.telemetry,
        dataset.events,
        dataset.assets,
        first,
        last,
        features,
        labels,
        data_end=report.end,
        stale_after=stale,
    )


def stale_after(exp: ExperimentConfig) -> timedelta:
    """How long past its last reading an asset is still observed: the stale-data limit
    of the risk list (``[risk_list] stale_after_hours``), within which scoring scores it."""
    return timedelta(hours=exp.risk_list.stale_after_hours)


def build_training_frame(
    url: str,
    exp: ExperimentConfig,
    out: Path,
    until: datetime | None = None,
    report: ValidationReport | None = None,
    findings: str | None = None,
) -> dict[str, Any]:
    """Build the labelled snapshot frame of a dataset and write it to ``out`` (Parquet).

    ``until`` trains on the data known at that time only (a backtest or the demo trains
    on the past and scores the nights after it); later rows are left out, not rejected.

    Returns:
        A small record for the flow: frame path, row count, label report and the dataset
        fingerprint (logged with the model). ``report``, the flow's validation of the
        whole dataset, is reused when nothing is cut, saving a second full pass.
        ``findings``: technicians' confirmed faults (``flows.feedback.collect_findings``),
        merged into the events for the labels when the experiment opts in.
    """
    dataset = cut_at(load_dataset(url), until)
    if report is None or until is not None:
        report = summarize(dataset)
    if report.start is None or report.end is None:
        raise ValueError(f"{url}: no accepted telemetry to build training snapshots from")
    first, last = training_span(report.start, report.end, exp.features.snapshot_every)
    dataset = replace(dataset, events=with_findings(dataset.events, _findings(findings)))
    frame, labels = labelled_frame(
        dataset, report, exp.features, exp.labels, first, last, stale_after(exp)
    )
    write_parquet_atomic(frame, out)
    return {
        "frame": str(out),
        "rows": frame.height,
        "labels": asdict(labels),
        "dataset": fingerprint(dataset, report),
    }


def _findings(path: str | None) -> pl.DataFrame | None:
    return None if path is None else pl.read_parquet(path)


def check_tracking(tracking_uri: str) -> None:
    """Fail in seconds when the MLflow store is unreachable, before the expensive steps."""
    from forewarn.models.registry import check_tracking_store  # heavy (mlflow): import on use

    check_tracking_store(tracking_uri)


def model_features(columns: list[str], exp: ExperimentConfig) -> list[str]:
    """Every column of a training frame except ids and labels (context columns included)."""
    skip = {*ID_COLUMNS, *label_columns(exp.labels)}
    return [c for c in columns if c not in skip]


def snapshot_metrics(labels: dict[str, int]) -> dict[str, float]:
    """The label report's row counts as ``data.snapshots*`` metrics, logged with the run:
    how many snapshot rows the grid gave, how many were kept, and why the others were not."""
    out = {}
    for key, value in labels.items():
        if key == "snapshots":
            out["data.snapshots"] = float(value)
        elif key == "kept" or key.startswith("excluded_"):
            out[f"data.snapshots_{key}"] = float(value)
    return out


def train_and_register(
    frame_path: str,
    exp: ExperimentConfig,
    settings: Settings,
    dataset_info: dict[str, Any],
    plot_dir: Path,
) -> dict[str, Any]:
    """Train, evaluate, log to MLflow and decide champion/challenger.

    Returns:
        Run id, registered versions, the promotion decisions, the quality gate's findings
        per task (``gate``; empty when both passed), what the models were graded on
        (``graded``) and headline metrics.
    """
    from forewarn.models.gate import graded_on
    from forewarn.models.registry import log_and_register  # heavy (mlflow): import on use
    from forewarn.models.slices import FrameSource
    from forewarn.models.training import train_models

    # A lazy scan of the parts, not a read: train_models reads one slice at a time with
    # its filters pushed into the scan, so a frame bigger than memory trains; on Dask the
    # workers read the boosters' rows from the parts (models.slices).
    frame = FrameSource.parquet(frame_path)
    features = model_features(list(frame.columns), exp)
    rows = frame.rows.select(pl.len()).collect().item()
    empty = judge_empty(exp.features, features, empty_columns(frame.rows, features))
    if empty.dead_sensors:
        raise ValueError(dead_sensor_message(empty.dead_sensors, rows))
    dataset_info = {**dataset_info, "empty_features": empty.empty_stats}
    with training_backend(settings, rows):  # LightGBM on Dask for big frames
        result = train_models(
            frame, features, exp.model, horizon=exp.labels.horizon, plot_dir=plot_dir
        )
    result.metrics.update(snapshot_metrics(dataset_info.get("labels") or {}))
    outcome = log_and_register(
        result,
        settings.tracking_uri,
        exp.name,
        exp.model_dump(mode="json"),
        dataset_info,
        artifact_location=settings.artifact_root,
    )
    return {
        "run_id": outcome.run_id,
        "versions": dict(outcome.versions),
        "decisions": {k: d.reason for k, d in outcome.decisions.items()},
        "promoted": {k: d.promoted for k, d in outcome.decisions.items()},
        "gate": {k: list(d.gate) for k, d in outcome.decisions.items() if d.gate},
        "graded": graded_on(result),
        "metrics": {k: v for k, v in result.metrics.items() if "." in k or k.startswith("risk")},
        "beats_baselines": dict(result.beats_baselines),
        "notes": [*_empty_note(empty.empty_stats), *result.notes],
    }


def _empty_note(names: list[str]) -> list[str]:
    if not names:
        return []
    return [
        f"{len(names)} feature(s) are empty in every training snapshot (statistics the data "
        f"cannot give, never split on; logged as dataset.empty_features): {', '.join(names)}"
    ]


def longest_window(exp: ExperimentConfig) -> str:
    """The longest feature window: what tonight's scoring must read at least."""
    return max(exp.features.all_windows, key=lambda w: parse_duration(w))


def check_windows_fit(exp: ExperimentConfig, start: datetime | None, end: datetime | None) -> None:
    """Refuse feature windows longer than the training data, before the frame is built.

    No training snapshot would ever see such a window whole, while tonight's snapshots
    (on a longer history) would: the model learns one meaning and is scored on another.

    Raises:
        ValueError: naming the ``[features]`` windows, the data's span and the fix.
    """
    if start is None or end is None or end <= start:
        return  # no data: the frame step says so itself
    span = end - start
    longer = exp.features.windows_longer_than(span.total_seconds())
    if longer:
        raise ValueError(
            f"[features] windows / alarm_windows: {', '.join(longer)} "
            f"{'is' if len(longer) == 1 else 'are'} longer than the "
            f"training data ({span.total_seconds() / 86400:.0f} days, "
            f"{start:%Y-%m-%d} to {end:%Y-%m-%d}); no training snapshot would see a whole "
            "window. Shorten the window(s) in the experiment, or train on more history."
        )


def champion_experiment(
    exp: ExperimentConfig, settings: Settings, list_rules: bool = False
) -> ExperimentConfig:
    """``exp`` with the features and labels the champion was trained with.

    Tonight's snapshot must be built exactly as the champion's training snapshots were.
    The risk-list rules stay the caller's (tonight's policy) unless ``list_rules``: then
    they are the ones saved with the champion at training, so `score` without ``-c``
    keeps the budget the model was trained for instead of silently using the default.
    Falls back to ``exp`` when the run logged no config (a model registered by hand).
    """
    from forewarn.models.registry import champion_config  # heavy (mlflow): import on use

    logged = champion_config(settings.tracking_uri, exp.model.risk_model_name)
    if not logged or "features" not in logged or "labels" not in logged:
        return exp
    update: dict[str, Any] = {
        "features": FeatureSpec.model_validate(logged["features"]),
        "labels": LabelSpec.model_validate(logged_labels(logged["labels"])),
    }
    if list_rules and "risk_list" in logged:
        update["risk_list"] = RiskListConfig.model_validate(logged["risk_list"])
    return exp.model_copy(update=update)


def logged_labels(labels: dict[str, Any]) -> dict[str, Any]:
    """A run's logged ``[labels]`` without the ``rul_cap`` of older runs: their model's
    ``[model] rul_cap`` (kept within it) was the cap that shaped the RUL target."""
    return {k: v for k, v in labels.items() if k != "rul_cap"}


def check_champion(exp: ExperimentConfig, settings: Settings) -> None:
    """The champion's files are whole (seconds), before tonight's features are built."""
    from forewarn.models.registry import check_champion_files  # heavy (mlflow)

    names = (exp.model.risk_model_name, exp.model.rul_model_name)
    check_champion_files(settings.tracking_uri, names)


def scoring_since(
    url: str, as_of: datetime, exp: ExperimentConfig, *, champion_reads: bool = False
) -> datetime | None:
    """The oldest reading tonight's snapshot uses (None: the whole history).

    The longest window, or the start of the oldest current life when life or baseline
    features are on; the nightly run validates and reads only readings from then on.
    ``champion_reads``: first refuse telemetry without a column the champion reads
    (``night_since``); the CLI's run preparation (``flows.prepare``) refuses it earlier.
    """
    dataset = load_dataset(url, as_of=as_of)
    if champion_reads:
        _require_columns(dataset, exp)
    return needed_since(dataset.events, dataset.assets, as_of, exp.features)


def night_since(url: str, as_of: datetime, exp: ExperimentConfig) -> datetime | None:
    """``scoring_since`` of the nightly run, which refuses data missing a champion's column.

    A sensor (or the regime column) missing from the whole extract would become all-null
    features and every asset would be scored without it, silently, as ``scored``: a
    renamed or dropped column in tonight's export must stop the night instead.

    Raises:
        DatasetError: naming the missing columns and the telemetry files.
    """
    return scoring_since(url, as_of, exp, champion_reads=True)


def _require_columns(dataset: Dataset, exp: ExperimentConfig) -> None:
    names = dataset.telemetry.collect_schema().names()
    missing = absent_columns(names, exp.features, dataset.text_columns)
    if missing:
        files = ", ".join(dataset.files.get("telemetry", ())) or dataset.url
        words = [c for c in missing if c in dataset.text_columns]
        text = f" (column {', '.join(words)} holds text, not numbers)" if words else ""
        raise DatasetError(
            f"table 'telemetry' ({files}) has no column {', '.join(missing)}{text}, which the "
            f"champion model reads (its [features] sensors / regime_column). Add the "
            f"column(s) to the extract, or train a model without them."
        )


class NightBusyError(RuntimeError):
    """Another scoring run holds the same night."""


def claim_night(scores_dir: Path, as_of: datetime) -> ExitStack:
    """Hold the night ``as_of`` for this run; leave the returned stack to release it.

    Two runs of one night would each replace its scores whole (the store write is one
    locked transaction) but one could write a report from the other's scores, so the
    second run fails at once instead, having changed nothing. The kernel drops the lock
    when its holder dies: a crashed run never blocks the re-run.

    Raises:
        NightBusyError: another process is scoring the same night.
    """
    path = scores_dir / "claims" / f"{night_key(as_of)}.lock"
    stack = ExitStack()
    try:
        stack.enter_context(locked(path, exclusive=True, timeout_s=0))
    except StoreLockTimeoutError as exc:
        raise NightBusyError(
            f"another scoring run for {as_of.isoformat()} is in progress ({path} is held); "
            "this run changed nothing. Re-running after it ends is safe: runs are idempotent."
        ) from exc
    return stack


def score_night(
    url: str,
    as_of: datetime,
    exp: ExperimentConfig,
    settings: Settings,
    scored_at: datetime,
    models: ChampionModels | None = None,
    inputs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Score every asset at ``as_of`` with the champion models and store the night.

    The store write replaces that night's rows atomically, so a re-run for the same
    ``as_of`` leaves one set of scores. ``models`` (default: the registry's champion)
    lets a backtest load a model once and replay many nights with it. ``inputs``: the
    ``snapshot`` and reading ``stats`` files of a batched build (``flows.batched``).

    Raises:
        NoChampionError: no champion registered (run ``forewarn train`` first).
        FeatureMismatchError: tonight's features do not match the champion's.
    """
    from forewarn.models.registry import load_champion  # heavy (mlflow): import on use

    models = models or load_champion(
        settings.tracking_uri,
        risk_name=exp.model.risk_model_name,
        rul_name=exp.model.rul_model_name,
    )
    if inputs is not None:
        snapshot, stats = pl.read_parquet(inputs["snapshot"]), pl.read_parquet(inputs["stats"])
    else:
        dataset = load_dataset(url, as_of=as_of, telemetry_since=scoring_since(url, as_of, exp))
        snapshot = scoring_snapshot(
            dataset.telemetry, dataset.events, dataset.assets, as_of, exp.features
        )
        sensors = resolve_sensors(dataset.telemetry, exp.features)
        stats = reading_stats(dataset.telemetry, as_of, longest_window(exp), sensors)
    rules = ScoringRules.from_config(exp.risk_list, longest_window(exp))
    scores = score_snapshot(snapshot, stats, models, scored_at, rules)
    path = ScoreStore(settings.scores_dir).write_night(scores)
    save_night_inputs(snapshot, scores, settings.home)  # what monitoring compares
    counts = dict(scores.group_by("status").len().iter_rows())
    return {
        "as_of": as_of.isoformat(),
        "assets": scores.height,
        "status": counts,
        "parquet": str(path),
        "versions": dict(models.versions),
    }


def sensor_history(url: str, assets: list[str], as_of: datetime, days: int) -> pl.DataFrame:
    """Recent readings of a few assets, for the report's per-asset sensor trends."""
    since = as_of - timedelta(days=days)
    telemetry = load_dataset(url, as_of=as_of, telemetry_since=since).telemetry
    return (
        telemetry.filter(
            pl.col("asset_id").is_in(assets) & (pl.col("ts") > since) & (pl.col("ts") <= as_of)
        )
        .sort("asset_id", "ts")
        .collect()
    )


def write_night_report(
    url: str | None, as_of: datetime, exp: ExperimentConfig, settings: Settings
) -> dict[str, Any]:
    """Rank one stored night and write the planners' CSV/XLSX and HTML report."""
    store = ScoreStore(settings.scores_dir)
    scores = store.night(as_of)
    if scores.height == 0:
        raise LookupError(
            f"no scores stored for {as_of.isoformat()}: run `forewarn score --as-of ...` first"
        )
    history = store.history_for(as_of, exp.risk_list.trend_nights)
    ranked = build_risk_list(scores, history, exp.risk_list, read_outcomes(store))
    top = ranked.filter(pl.col("risk_rank") <= 10)["asset_id"].to_list()
    sensors = sensor_history(url, top, as_of, days=14) if url else None
    meta = ReportMeta(
        config=exp.risk_list,
        dataset=url,
        data_start=sensors["ts"].min() if sensors is not None and sensors.height else None,
        data_end=sensors["ts"].max() if sensors is not None and sensors.height else None,
        rul_cap_hours=exp.model.rul_cap_hours(),
    )
    paths = write_report(ranked, history, settings.reports_dir, sensors, meta)
    return {k: str(v) for k, v in asdict(paths).items() if v is not None}
