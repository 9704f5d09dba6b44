"""Naive pandas reference of every snapshot feature and label: the tests' oracle.

Written to be obviously correct rather than fast: for each asset and each ``as_of`` it slices
the raw readings with ``ts <= as_of`` and computes each statistic from its definition.
``benchmarks/bench_features.py`` also times it as the speed baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from forewarn.features.naming import CONTEXT_COLUMNS, feature_names, label_columns
from forewarn.features.spec import LIFE, FeatureSpec, LabelSpec, seconds

HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


def _stats(days: np.ndarray, x: np.ndarray, half_life_days: float | None) -> dict:
    """Definitions of every statistic on the non-null readings ``x``, ``days`` before as_of."""
    n = len(x)
    out = {"count": float(n), "mean": None, "std": None, "min": None, "max": None, "last": None}
    out.update(slope=None, ewma=None)
    if n == 0:
        return out
    out.update(mean=x.mean(), min=x.min(), max=x.max(), last=x[-1])
    if n >= 2:
        out["std"] = x.std(ddof=1)
        dt = days - days.mean()
        if (dt * dt).sum() > 0:
            out["slope"] = (dt * (x - x.mean())).sum() / (dt * dt).sum()
    if half_life_days is not None:
        w = 2.0 ** (days / half_life_days)
        out["ewma"] = (w * x).sum() / w.sum()
    return out


def _bounds(ev: pd.DataFrame, installed, spec: FeatureSpec) -> np.ndarray:
    """Instants that start a life: the install (or minus infinity), then every reset."""
    first = installed if pd.notna(installed) else pd.Timestamp.min.tz_localize("UTC")
    resets = ev[ev["kind"].isin(spec.life_resets)]["ts"].tolist()
    return np.array(sorted(set([first, *resets])), dtype=object)


def _life_ids(ts: pd.Series, bounds: np.ndarray) -> np.ndarray:
    """Life of each reading: bounds strictly before it, minus one (-1: before install)."""
    return np.array([sum(b < t for b in bounds) - 1 for t in ts], dtype=int)


def _baselines(
    r: pd.DataFrame, sensors: Sequence[str], span: pd.Timedelta, regime: str | None
) -> pd.DataFrame:
    """Per-reading z-scores against the reading's own life (and regime) baseline."""
    r = r.copy()
    first = r.groupby("life")["ts"].transform("min")
    base = r[r["ts"] <= first + span]
    for kind, keys in (("zb", ["life"]), ("zr", ["life", regime])):
        if kind == "zr" and regime is None:
            continue
        for s in sensors:
            m = base.groupby(keys, dropna=False)[s].mean().rename("m")
            sd = base.groupby(keys, dropna=False)[s].std(ddof=1).rename("s")
            j = r[keys].join(m, on=keys).join(sd, on=keys)
            ok = j["s"] > 0
            r[f"{kind}::{s}"] = np.where(ok, (r[s] - j["m"]) / j["s"].where(ok, 1.0), np.nan)
    r["base_end"] = first + span
    return r


def _asset_rows(
    r: pd.DataFrame,
    ev: pd.DataFrame,
    meta: pd.Series,
    as_of: pd.Timestamp,
    spec: FeatureSpec,
    sensors: Sequence[str],
) -> dict:
    """Every feature of one asset at one ``as_of`` (``r``: its readings with lives and z)."""
    row: dict = {"asset_id": meta["asset_id"], "as_of": as_of}
    row.update({c: meta.get(c) for c in CONTEXT_COLUMNS})
    past = r[r["ts"] <= as_of]
    ev = ev[ev["ts"] <= as_of]
    installed = meta.get("installed_at")
    bounds = _bounds(ev, installed, spec)
    life = sum(b <= as_of for b in bounds) - 1
    cur = past[past["life"] == life]
    start = bounds[life] if (life > 0 or pd.notna(installed)) else r["ts"].min()
    base_end = cur["base_end"].iloc[0] if len(cur) else None
    base_ok = base_end is not None and as_of >= base_end
    longest = max(spec.windows, key=seconds)
    for s in sensors:
        frames = {
            w: past[past["ts"] > as_of - pd.Timedelta(seconds=seconds(w))] for w in spec.windows
        }
        if spec.life_window:
            frames[LIFE] = cur
        for w, f in frames.items():
            ok = f[s].notna().to_numpy()
            hl = None if w == LIFE else seconds(w) / 86400 * spec.ewma_half_life_share
            days = ((f["ts"] - as_of) / DAY).to_numpy(dtype=float)
            st = _stats(days[ok], f[s].to_numpy(dtype=float, na_value=np.nan)[ok], hl)
            for k in spec.stats:
                if k in st and not (w == LIFE and k == "ewma"):
                    row[f"{s}__{k}_{w}"] = st[k]
            for kind, name in (("zb", "z_baseline"), ("zr", "z_regime")):
                if f"{kind}::{s}" in f:
                    z = f[f"{kind}::{s}"].dropna()
                    row[f"{s}__{name}_{w}"] = z.mean() if base_ok and len(z) else None
        lw = frames[longest]
        seen = lw.loc[lw[s].notna(), "ts"]
        row[f"{s}__hours_since_last"] = (as_of - seen.max()) / HOUR if len(seen) else None
    for w in spec.event_windows:
        a = ev[(ev["kind"] == "alarm") & (ev["ts"] > as_of - pd.Timedelta(seconds=seconds(w)))]
        for c in spec.alarm_codes:
            row[f"alarms__{c}_{w}"] = float((a["code"] == c).sum())
        row[f"alarms__all_{w}"] = float(len(a))
    fails, maint = ev[ev["kind"] == "failure"], ev[ev["kind"] == "maintenance"]
    row["hours_since_failure"] = (as_of - fails["ts"].max()) / HOUR if len(fails) else None
    row["n_failures"] = float(fails["ts"].nunique())
    row["hours_since_maintenance"] = (as_of - maint["ts"].max()) / HOUR if len(maint) else None
    row["age_hours"] = (as_of - installed) / HOUR if pd.notna(installed) else None
    row["life_hours"] = (as_of - start) / HOUR if pd.notna(start) else None
    for c in spec.components:
        m = maint[maint["component"] == c]
        row[f"hours_since_maintenance__{c}"] = (as_of - m["ts"].max()) / HOUR if len(m) else None
    row["_sums"] = {(s, w): frames_sums(past, s, as_of, w) for s in sensors for w in spec.windows}
    return row


def frames_sums(past: pd.DataFrame, s: str, as_of: pd.Timestamp, w: str) -> np.ndarray:
    """Readings of sensor ``s`` in window ``w`` (kept to pool the fleet norm)."""
    f = past[past["ts"] > as_of - pd.Timedelta(seconds=seconds(w))]
    return f[s].dropna().to_numpy()


def _fleet(rows: list[dict], spec: FeatureSpec, sensors: Sequence[str]) -> None:
    """``z_fleet``: window mean vs all readings of the same asset type at the same ``as_of``."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["as_of"], row["asset_type"]), []).append(row)
    for members in groups.values():
        for s in sensors:
            for w in spec.windows:
                pooled = np.concatenate([m["_sums"][(s, w)] for m in members])
                ok = len(pooled) >= 2 and pooled.std(ddof=1) > 0
                for m in members:
                    own = m["_sums"][(s, w)]
                    z = (
                        (own.mean() - pooled.mean()) / pooled.std(ddof=1)
                        if ok and len(own)
                        else None
                    )
                    m[f"{s}__z_fleet_{w}"] = z


def reference_snapshots(
    telemetry: pd.DataFrame,
    events: pd.DataFrame,
    assets: pd.DataFrame,
    times: Sequence[datetime],
    spec: FeatureSpec,
    sensors: Sequence[str],
) -> pd.DataFrame:
    """Snapshots at each of ``times`` for every asset known then (installed or seen)."""
    regime = spec.regime_column if spec.regime_column in telemetry.columns else None
    tel = telemetry.sort_values(["asset_id", "ts"])
    for s in sensors:
        if s not in tel:
            tel[s] = np.nan
    if regime is not None:
        tel[regime] = tel[regime].astype("string")
    rows = []
    for _, meta in assets.iterrows():
        aid = meta["asset_id"]
        r = tel[tel["asset_id"] == aid].reset_index(drop=True)
        ev = events[events["asset_id"] == aid]
        r["life"] = _life_ids(r["ts"], _bounds(ev, meta.get("installed_at"), spec))
        if spec.baseline_span is not None and len(r):
            r = _baselines(r, sensors, pd.Timedelta(seconds=seconds(spec.baseline_span)), regime)
        else:
            r["base_end"] = pd.NaT
        installed = meta.get("installed_at")
        since = installed if pd.notna(installed) else (r["ts"].min() if len(r) else pd.NaT)
        for t in times:
            as_of = pd.Timestamp(t)
            if pd.notna(since) and since <= as_of:
                rows.append(_asset_rows(r, ev, meta, as_of, spec, sensors))
    if spec.fleet_norm:
        _fleet(rows, spec, sensors)
    for row in rows:
        row.pop("_sums")
    out = pd.DataFrame(rows)
    # A fleet without any reading still has every declared column, all null (as in Polars).
    missing = [n for n in feature_names(spec, sensors) if n not in out.columns]
    return out.assign(**dict.fromkeys(missing, np.nan)) if len(out) else out


def reference_labels(
    snaps: pd.DataFrame, events: pd.DataFrame, labels: LabelSpec, data_end: datetime
) -> pd.DataFrame:
    """Labels and ``in_downtime`` for each ``(asset_id, as_of)`` row, one at a time."""
    end = pd.Timestamp(data_end)
    horizon = pd.Timedelta(seconds=seconds(labels.horizon))
    down = pd.Timedelta(seconds=seconds(labels.downtime))
    target = label_columns(labels)[0]
    fails = events[(events["kind"] == "failure") & (events["ts"] <= end)]
    out = []
    for aid, as_of in zip(snaps["asset_id"], snaps["as_of"], strict=True):
        f = fails[fails["asset_id"] == aid]
        row = {"asset_id": aid, "as_of": as_of}
        for name, ff in [(target, f)] + [
            (f"{target}__{c}", f[f["component"] == c]) for c in labels.components
        ]:
            nxt = ff[ff["ts"] > as_of]["ts"].min()
            hit = pd.notna(nxt) and nxt <= as_of + horizon
            row[name] = True if hit else (False if as_of + horizon <= end else None)
        nxt = f[f["ts"] > as_of]["ts"].min()
        rul = ((nxt if pd.notna(nxt) else end) - as_of) / HOUR
        rul = max(rul, 0.0)
        row.update(rul_hours=rul, rul_censored=bool(pd.isna(nxt)))
        last = f[f["ts"] <= as_of]["ts"].max()
        row["in_downtime"] = bool(pd.notna(last) and as_of < last + down)
        out.append(row)
    return pd.DataFrame(out)
