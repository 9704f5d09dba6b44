"""Training labels: does the asset fail within the horizon, and how long until it does.

Labels look forward from ``as_of`` (that is their job) but never past ``data_end``: a
horizon that runs past the end of the data with no failure seen is *unknown*, not "no
failure", and a remaining life with no failure seen is *censored* at the end of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from forewarn.features.events import asof, assert_sorted, side_by_side
from forewarn.features.exact import div
from forewarn.features.naming import label_columns
from forewarn.features.observed import Observation, observed_rows
from forewarn.features.spec import LabelSpec, seconds

US_PER_HOUR = 3_600_000_000
FINDING = "finding"
"""Kind of a technician's confirmed fault merged into a training run's events (no dataset
holds it: the contract's kinds are failure, maintenance and alarm)."""


def label_kinds(labels: LabelSpec) -> list[str]:
    """Event kinds that end a horizon as a failure: findings too when the spec opts in."""
    return ["failure", FINDING] if labels.use_findings else ["failure"]


@dataclass(frozen=True)
class LabelReport:
    """What became of the snapshot rows (counts of rows).

    ``snapshots`` = ``kept`` + every ``excluded_*``: rows before an asset's first reading
    or after it stopped being observed (``features.observed``), then rows in downtime.
    """

    snapshots: int
    kept: int
    excluded_before_first_reading: int
    excluded_after_last_reading: int
    excluded_downtime: int
    unknown_label: int
    positives: int
    censored: int


def with_findings(events: pl.LazyFrame, findings: pl.DataFrame | None) -> pl.LazyFrame:
    """Events plus technicians' confirmed faults (kind ``finding``; ``serving.outcomes``).

    Only labels read them (``label_kinds``): feature code selects failures, maintenance
    and alarms by kind, so tonight's snapshot (built without findings) matches training's.
    """
    if findings is None or findings.height == 0:
        return events
    extra = findings.lazy().select(
        pl.col("asset_id").cast(pl.String),
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.lit(FINDING).alias("kind"),
        pl.col("component").cast(pl.String),
        pl.lit(None, pl.String).alias("code"),
    )
    return pl.concat([events, extra], how="diagonal_relaxed")


def _next_failure(snaps: pl.DataFrame, failures: pl.DataFrame, name: str) -> pl.DataFrame:
    """Time of the first failure strictly after ``as_of`` (``null`` if none is recorded)."""
    right = (
        failures.select("asset_id", pl.col("ts").alias("as_of")).unique().sort("asset_id", "as_of")
    )
    right = right.with_columns(pl.col("as_of").alias(name))
    left = snaps.select("asset_id", "as_of").sort("asset_id", "as_of")
    assert_sorted(left, ["asset_id"], "as_of")
    assert_sorted(right, ["asset_id"], "as_of")
    return left.join_asof(
        right,
        on="as_of",
        by="asset_id",
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )


def _within(next_ts: pl.Expr, horizon_us: int, data_end: datetime) -> pl.Expr:
    """True if the failure falls in (as_of, as_of + H]; False if the whole horizon was observed."""
    reach = pl.col("as_of") + pl.duration(microseconds=horizon_us)
    hit = next_ts.is_not_null() & (next_ts <= reach)
    return pl.when(hit).then(True).when(reach <= pl.lit(data_end)).then(False).otherwise(None)


def label_frame(
    snaps: pl.DataFrame, events: pl.DataFrame, labels: LabelSpec, data_end: datetime
) -> pl.DataFrame:
    """Label columns plus ``in_downtime`` for each ``(asset_id, as_of)``.

    Args:
        snaps: ``asset_id``, ``as_of``.
        events: all events; failures after ``data_end`` are treated as not observed;
            ``finding`` events count as failures when ``labels.use_findings``.
        labels: the label spec.
        data_end: end of the observed data.
    """
    failures = events.filter(pl.col("kind").is_in(label_kinds(labels)) & (pl.col("ts") <= data_end))
    horizon_us = seconds(labels.horizon) * 1_000_000
    target = label_columns(labels)[0]
    out = _next_failure(snaps, failures, "_next")
    exprs = [_within(pl.col("_next"), horizon_us, data_end).alias(target)]
    for comp in labels.components:
        nxt = _next_failure(snaps, failures.filter(pl.col("component") == comp), f"_next_{comp}")
        out = out.join(nxt, on=["asset_id", "as_of"], how="left", maintain_order="left")
        exprs.append(
            _within(pl.col(f"_next_{comp}"), horizon_us, data_end).alias(f"{target}__{comp}")
        )
    censored = pl.col("_next").is_null()
    until = pl.when(censored).then(pl.lit(data_end)).otherwise(pl.col("_next"))
    # The true time to the next failure (or to censoring): the RUL model caps its own
    # target at ``[model] rul_cap``.
    rul = div((until - pl.col("as_of")).dt.total_microseconds().cast(pl.Float64), US_PER_HOUR).clip(
        lower_bound=0.0
    )
    exprs += [rul.alias("rul_hours"), censored.alias("rul_censored")]
    down = _in_downtime(snaps, failures, seconds(labels.downtime) * 1_000_000)
    out = out.with_columns(exprs).join(
        down, on=["asset_id", "as_of"], how="left", maintain_order="left"
    )
    return out.select("asset_id", "as_of", *label_columns(labels), "in_downtime")


def _in_downtime(snaps: pl.DataFrame, failures: pl.DataFrame, downtime_us: int) -> pl.DataFrame:
    """True in ``[failure, failure + downtime)``: the asset is being repaired, not operating."""
    right = failures.select("asset_id", pl.col("ts").alias("as_of")).unique()
    right = right.with_columns(pl.col("as_of").alias("_last"))
    joined = asof(snaps.select("asset_id", "as_of"), right, on="as_of", by=["asset_id"], exact=True)
    down = pl.col("_last").is_not_null() & (
        pl.col("as_of") < pl.col("_last") + pl.duration(microseconds=downtime_us)
    )
    return joined.select("asset_id", "as_of", down.alias("in_downtime"))


def attach_labels(
    snaps: pl.DataFrame,
    events: pl.DataFrame,
    labels: LabelSpec,
    data_end: datetime,
    observation: Observation | None = None,
) -> tuple[pl.DataFrame, LabelReport]:
    """Join labels to feature snapshots, keep the observed rows out of downtime, count.

    Args:
        snaps: feature snapshots (``build_snapshots``).
        events: all events.
        labels: the label spec.
        data_end: end of the observed data.
        observation: the assets' observed spans and the grid's census; rows outside a
            span are dropped (and counted by the census). ``None``: every row is kept.
    """
    before = after = 0
    total = snaps.height
    if observation is not None:
        snaps = observed_rows(snaps, observation.spans)
        before, after = observation.before_first, observation.after_last
        total = observation.snapshots
        if total != snaps.height + before + after:
            raise AssertionError(
                f"snapshot census {total} != {snaps.height} observed + {before} + {after}"
            )
    joined = side_by_side(snaps, label_frame(snaps, events, labels, data_end))
    kept = joined.filter(~pl.col("in_downtime")).drop("in_downtime")
    target = label_columns(labels)[0]
    report = LabelReport(
        snapshots=total,
        kept=kept.height,
        excluded_before_first_reading=before,
        excluded_after_last_reading=after,
        excluded_downtime=joined.height - kept.height,
        unknown_label=kept.get_column(target).null_count(),
        positives=int(kept.get_column(target).sum() or 0),
        censored=int(kept.get_column("rul_censored").sum() or 0),
    )
    return kept, report
