"""Evaluation plots as PNG files.

Figures are built with ``matplotlib.figure.Figure`` (rendered by Agg), never through
``pyplot``: no global backend switch, no window, safe in worker threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """Precision-recall curves, one line per model (labels, scores)."""
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    for name, (y, p) in curves.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, label=name)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (validation)")
    ax.legend()
    return _save(fig, path)


def calibration_plot(tables: dict[str, pl.DataFrame], path: Path) -> Path:
    """Predicted vs observed failure frequency; the diagonal is perfect calibration."""
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    top = max(max(t["mean_predicted"].max(), t["observed"].max()) for t in tables.values())
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    for name, table in tables.items():
        ax.plot(table["mean_predicted"], table["observed"], marker="o", label=name)
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed failure frequency",
        title="Calibration (validation)",
    )
    ax.legend()
    return _save(fig, path)


def unit_label(unit: str) -> str:
    """Axis wording of a time unit: ``"1d"`` → ``"days"``, else ``"x 1h"`` (a cycle)."""
    return "days" if unit == "1d" else f"x {unit}"


def lead_time_histogram(
    lead_hours: np.ndarray, lead_h: float, path: Path, unit_hours: float = 24.0, unit: str = "1d"
) -> Path:
    """How long before each caught failure the asset first entered the daily top-k."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    days = np.asarray(lead_hours, dtype=float) / unit_hours
    ax.hist(days, bins=max(5, min(30, days.size)), color="tab:blue")
    ax.axvline(lead_h / unit_hours, color="tab:red", linestyle="--", label="required lead")
    ax.set(
        xlabel=f"lead time ({unit_label(unit)})",
        ylabel="failures",
        title=f"Lead time of flagged failures (n={days.size})",
    )
    ax.legend()
    return _save(fig, path)


def importance_plot(importance: dict[str, float], path: Path, top: int = 20) -> Path:
    """Horizontal bars of total gain for the ``top`` most important features."""
    items = sorted(importance.items(), key=lambda kv: kv[1], reverse=True)[:top][::-1]
    fig = Figure(figsize=(7, max(3, 0.3 * len(items) + 1)))
    ax = fig.add_subplot()
    ax.barh([k for k, _ in items], [v for _, v in items], color="tab:green")
    ax.set(xlabel="total gain", title="Feature importance (risk model)")
    return _save(fig, path)


def rul_scatter(
    true: np.ndarray,
    pred: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    path: Path,
    max_points: int = 3000,
    unit_hours: float = 24.0,
    unit: str = "1d",
) -> Path:
    """Predicted vs true (capped) RUL in time units, with the interval as error bars."""
    idx = np.arange(true.size)
    if idx.size > max_points:  # keep the file small; a fixed stride stays reproducible
        idx = idx[:: idx.size // max_points + 1]
    t, p, lo, hi = (a[idx] / unit_hours for a in (true, pred, low, high))
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    ax.errorbar(t, p, yerr=[p - lo, hi - p], fmt="o", markersize=2, alpha=0.3, elinewidth=0.5)
    top = float(max(t.max(initial=1.0), hi.max(initial=1.0)))
    ax.plot([0, top], [0, top], color="grey", linestyle="--")
    ax.set(
        xlabel=f"true RUL ({unit_label(unit)}, capped)",
        ylabel=f"predicted RUL ({unit_label(unit)})",
        title="RUL: predicted vs true (validation)",
    )
    return _save(fig, path)
