"""The step detector: tonight's per-asset levels against the same assets' recent nights.

Why a second detector. The distribution detector (``drift_stats``) compares tonight with
the training reference, and its thresholds must accept everything the training window
held: seasons, weather, weekends. A transmitter re-calibrated 5 °C high on a subset of
machines, or a hall running 6 °C warmer, sits inside that accepted range (measured on the
synthetic fleets: neither was found in 30 nights). Seen against the recent past, both are
plain steps. So, per monitored feature (per-asset, regime-normalised levels by default:
``*__z_regime_1d``, ``*__z_regime_7d``, so weekends and shift patterns cancel):

1. each asset's change ``d = x(tonight) - median(x over its previous recent_nights)``;
   slow seasonal movement barely moves a one-week difference;
2. the change centred on its plant's median change tonight (``center_by``): weather and
   shift patterns are shared by a plant, a recalibration or a warm hall on part of it is not;
3. an asset stepped when ``|centred change| >= asset_z x sigma`` (sigma: robust std of the
   centred change over training asset-nights, per feature);
4. per scope (fleet, asset type, plant) a feature steps when the share of stepped assets
   passes ``max(min_share, noise_margin x its largest training-night share)``, or when the
   scope's median change (a move of the whole scope, which centring hides) is further from
   its training centre than ``max(min_move, noise_margin x the largest training value)``
   robust standard deviations of the training nights;
5. a scope alarms when ``min_features`` of its features stepped.

The detector sees a step while the recent median is still pre-step (about half of
``recent_nights`` for 1-day features, longer for 7-day ones): it says *when* something
changed and *where*; the distribution detector keeps judging distance from training.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from fnmatch import fnmatch

import polars as pl

from forewarn.flows.monitoring.config import StepConfig
from forewarn.flows.monitoring.drift import Scope, scopes, sensor_of

NIGHT = "as_of"
ASSET = "asset_id"
MAD_TO_STD = 1.4826
MIN_SCALE = 1e-6
"""Floor on every robust scale, so a constant feature never divides by zero."""
MIN_NIGHTS = 5
"""Training nights with changes a scope needs before it gets step limits."""
LIFE = "life_hours"
"""Hours since the asset's life began (install, failure or maintenance)."""
TOP = 25


def step_columns(columns: list[str], patterns: tuple[str, ...]) -> list[str]:
    """Columns matching any of the step-feature patterns, in frame order."""
    return [c for c in columns if any(fnmatch(c, p) for p in patterns)]


def _d(c: str) -> str:
    return f"d::{c}"


def _r(c: str) -> str:
    return f"r::{c}"


def changes(frame: pl.DataFrame, columns: list[str], cfg: StepConfig) -> pl.DataFrame:
    """Per row: change from the asset's recent median (``d::col``) and centred (``r::col``).

    Args:
        frame: snapshots of several nights (``asset_id``, ``as_of``, the columns and, when
            present, ``cfg.center_by``).
        columns: step features.
        cfg: recent window and centring.

    Returns:
        ``asset_id``, ``as_of``, the context columns present, ``d::c`` and ``r::c``.
    """
    # Leakage guard: shift(1) so an asset's recent median never includes tonight.
    ordered = frame.sort(ASSET, NIGHT)
    # A life that began inside the recent window has a new baseline, so its baseline-
    # normalised features jump by construction: such assets sit the window out.
    settled = pl.col(LIFE) >= cfg.recent_nights * 24.0 if LIFE in ordered.columns else pl.lit(True)
    recent = [
        pl.col(c)
        .cast(pl.Float64)
        .shift(1)
        .rolling_median(cfg.recent_nights, min_samples=cfg.min_recent)
        .over(ASSET)
        for c in columns
    ]
    keep = [c for c in ordered.columns if c in ("asset_type", "plant", "line", cfg.center_by)]
    out = ordered.select(
        ASSET,
        NIGHT,
        *keep,
        *[
            pl.when(settled).then(pl.col(c) - r).alias(_d(c))
            for c, r in zip(columns, recent, strict=True)
        ],
    )
    group = [NIGHT, cfg.center_by] if cfg.center_by in out.columns else [NIGHT]
    return out.with_columns(
        (pl.col(_d(c)) - pl.col(_d(c)).median().over(group)).alias(_r(c)) for c in columns
    )


def asset_sigma(ch: pl.DataFrame, columns: list[str]) -> dict[str, float]:
    """Robust std (1.4826 x median absolute value) of each centred change; columns with no
    change at all in training (too few nights) are left out, never given a zero noise."""
    if not columns or ch.height == 0:
        return {}
    row = ch.select((pl.col(_r(c)).abs().median() * MAD_TO_STD).alias(c) for c in columns)
    return {c: max(float(v), MIN_SCALE) for c, v in row.row(0, named=True).items() if v is not None}


def scope_stats(
    ch: pl.DataFrame, columns: list[str], sigma: dict[str, float], asset_z: float
) -> pl.DataFrame:
    """Per night: share of stepped assets (``s::c``), median change (``m::c``), assets ``n``."""
    exprs = [pl.len().alias("n")]
    for c in columns:
        r = pl.col(_r(c))
        stepped = (r.abs() >= asset_z * sigma[c]).cast(pl.Float64)
        exprs += [stepped.mean().alias(f"s::{c}"), pl.col(_d(c)).median().alias(f"m::{c}")]
    return ch.group_by(NIGHT).agg(exprs).sort(NIGHT)


def step_inputs(
    frame_columns: list[str], columns: list[str], groups: tuple[str, ...], cfg: StepConfig
) -> list[str]:
    """The columns of a (wide) training frame that ``calibrate_steps`` reads."""
    wanted = {ASSET, NIGHT, LIFE, *groups, cfg.center_by, *columns}
    return [c for c in frame_columns if c in wanted]


def calibrate_steps(
    frame: pl.DataFrame, columns: list[str], groups: tuple[str, ...], cfg: StepConfig
) -> pl.DataFrame:
    """Noise of the step statistics on training nights, per scope and feature.

    Args:
        frame: training snapshots (every night, every asset).
        columns: step features.
        groups: context columns judged value by value.
        cfg: step settings.

    Returns:
        ``scope, column, sigma, center, scale, share_limit, move_limit``.
    """
    if not columns:  # no step features (e.g. an experiment without a regime column)
        return pl.DataFrame(schema=STEP_TABLE_SCHEMA)
    nights = frame[NIGHT].unique().sort()
    kept = nights.tail(cfg.calibration_nights + cfg.recent_nights)
    narrow = frame.select(step_inputs(frame.columns, columns, groups, cfg))  # frames are wide
    ch = changes(narrow.filter(pl.col(NIGHT).is_in(kept.implode())), columns, cfg)
    ch = ch.filter(pl.col(NIGHT).is_in(nights.tail(cfg.calibration_nights).implode()))
    sigma = asset_sigma(ch, columns)
    known = [c for c in columns if c in sigma]
    rows = []
    for scope in scopes(ch, groups):
        stats = scope_stats(scope.select(ch), known, sigma, cfg.asset_z)
        # A scope needs a few nights of changes before its noise means anything.
        rows += [
            _limits(scope.name, c, sigma[c], stats, cfg)
            for c in known
            if stats[f"m::{c}"].drop_nulls().len() >= MIN_NIGHTS
        ]
    return pl.DataFrame(rows, schema=STEP_TABLE_SCHEMA, orient="row")


STEP_TABLE_SCHEMA = {
    "scope": pl.String,
    "column": pl.String,
    "sigma": pl.Float64,
    "center": pl.Float64,
    "scale": pl.Float64,
    "share_limit": pl.Float64,
    "move_limit": pl.Float64,
}


def _limits(scope: str, c: str, sigma: float, stats: pl.DataFrame, cfg: StepConfig) -> tuple:
    share = stats[f"s::{c}"].drop_nulls()
    move = stats[f"m::{c}"].drop_nulls()
    center = float(move.median()) if move.len() else 0.0
    spread = float((move - center).abs().median()) * MAD_TO_STD if move.len() else 0.0
    scale = max(spread, MIN_SCALE)
    worst_move = float(((move - center).abs() / scale).max()) if move.len() else 0.0
    worst_share = float(share.max()) if share.len() else 0.0
    return (
        scope,
        c,
        sigma,
        center,
        scale,
        max(cfg.min_share, cfg.noise_margin * worst_share),
        max(cfg.min_move, cfg.noise_margin * worst_move),
    )


@dataclass(frozen=True)
class ScopeStep:
    """One scope's step verdict: which features stepped tonight, and how."""

    scope: str
    rows: int
    judged: bool
    alarm: bool = False
    sensors: list[str] = field(default_factory=list)
    stepped: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready, the stepped features cut to the strongest ``TOP``."""
        out = asdict(self)
        out["n_stepped"] = len(self.stepped)
        out["stepped"] = self.stepped[:TOP]
        return out


def _feature(c: str, stats: dict, limits: dict) -> dict | None:
    share, move = stats[f"s::{c}"], stats[f"m::{c}"]
    if share is None or move is None:
        return None
    z = (move - limits["center"]) / limits["scale"]
    if share < limits["share_limit"] and abs(z) < limits["move_limit"]:
        return None
    return {
        "column": c,
        "share": round(float(share), 4),
        "share_limit": round(limits["share_limit"], 4),
        "move_z": round(float(z), 2),
        "move_limit": round(limits["move_limit"], 2),
        "median_change": round(float(move), 4),
        "strength": max(share / limits["share_limit"], abs(z) / limits["move_limit"]),
    }


def judge_scope(
    scope: Scope, ch: pl.DataFrame, columns: list[str], table: pl.DataFrame, cfg: StepConfig
) -> ScopeStep:
    """Verdict of one scope from tonight's changes and its calibrated limits."""
    known = {
        r["column"]: r for r in table.filter(pl.col("scope") == scope.name).iter_rows(named=True)
    }
    cols = [c for c in columns if c in known]
    rows = scope.select(ch)
    if not cols:
        return ScopeStep(scope.name, rows.height, False)
    sigma = {c: known[c]["sigma"] for c in cols}
    stats = scope_stats(rows, cols, sigma, cfg.asset_z).row(0, named=True)
    hits = [f for c in cols if (f := _feature(c, stats, known[c])) is not None]
    hits.sort(key=lambda f: -f.pop("strength"))
    sensors = list(dict.fromkeys(sensor_of(f["column"]) for f in hits))
    return ScopeStep(scope.name, rows.height, True, len(hits) >= cfg.min_features, sensors, hits)


def judge_steps(
    recent: pl.DataFrame,
    tonight: pl.DataFrame,
    table: pl.DataFrame,
    groups: tuple[str, ...],
    min_rows: int,
    cfg: StepConfig,
) -> list[ScopeStep]:
    """Step verdicts for the fleet and each group scope tonight.

    Args:
        recent: the previous nights' snapshots (any number; the last ``recent_nights`` per
            asset are used).
        tonight: tonight's snapshot.
        table: calibrated limits (``calibrate_steps``).
        groups: context columns judged value by value.
        min_rows: scopes with fewer assets having a recent level are not judged.
        cfg: step settings.
    """
    columns = [c for c in table["column"].unique(maintain_order=True) if c in tonight.columns]
    as_of: datetime = tonight[NIGHT][0]
    wanted = (ASSET, NIGHT, LIFE, *groups, cfg.center_by, *columns)
    keep = [c for c in tonight.columns if c in wanted]
    both = pl.concat([recent.select(keep), tonight.select(keep)], how="diagonal_relaxed")
    ch = changes(both, columns, cfg).filter(pl.col(NIGHT) == as_of)
    if columns:
        ch = ch.filter(pl.any_horizontal(pl.col(_d(c)).is_not_null() for c in columns))
    out = []
    for scope in scopes(tonight, groups):
        n = scope.select(ch).height
        if n < min_rows:
            out.append(ScopeStep(scope.name, n, False))
        else:
            out.append(judge_scope(scope, ch, columns, table, cfg))
    return out
