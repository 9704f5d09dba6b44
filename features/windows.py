"""Fixed windows from bucket partials, in a summation order that depends only on ``as_of``.

A window of ``n`` buckets ending at bucket ``k`` is the combination of power-of-two blocks
(``n = 16 + 8 + 4 + 2`` …), each block built from two halves. The order in which floats are
added is therefore fixed relative to ``as_of``: a snapshot is bit-identical whether it was
computed in a long training run or in tonight's scoring run that read only the window.
(Prefix-sum differences would be cheaper but their rounding depends on earlier history.)
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from forewarn.features.buckets import US_PER_DAY
from forewarn.features.exact import div

Parts = dict[str, pl.Expr]
US_PER_HOUR = 3_600_000_000


def split(name: str) -> tuple[str, str]:
    """``"sx::temp"`` → ``("sx", "temp")``."""
    part, _, sensor = name.partition("::")
    return part, sensor


def groups(columns: list[str]) -> dict[str, list[str]]:
    """Partial columns grouped by sensor (alarm counts group under their code)."""
    out: dict[str, list[str]] = {}
    for name in columns:
        part, sensor = split(name)
        out.setdefault(sensor, []).append(part)
    return out


def combine(a: Parts, b: Parts, delta_days: float, half_lives: tuple[float, ...]) -> Parts:
    """Merge block ``a`` with an older block ``b`` ending ``delta_days`` before it.

    Time moments of ``b`` are re-centred on ``a``'s end; decayed sums are decayed by the gap.
    """
    out: Parts = {}
    for p, ea in a.items():
        eb = b[p]
        if p == "su":
            out[p] = ea + (eb - delta_days * b["n"])
        elif p == "suu":
            out[p] = ea + (eb - 2.0 * delta_days * b["su"] + delta_days * delta_days * b["n"])
        elif p == "sux":
            out[p] = ea + (eb - delta_days * b["sx"])
        elif p == "mn":
            out[p] = pl.min_horizontal(ea, eb)
        elif p == "mx":
            out[p] = pl.max_horizontal(ea, eb)
        elif p in ("last", "lts"):
            out[p] = pl.coalesce(ea, eb)
        elif p.startswith("ew"):
            i = int(p.removeprefix("ewn").removeprefix("ew"))
            out[p] = ea + eb * 2.0 ** (-delta_days / half_lives[i])
        else:
            out[p] = ea + eb
    return out


def _shifted(name: str, m: int) -> pl.Expr:
    """Column shifted ``m`` buckets back (see ``dense_grid`` for why no per-asset mask)."""
    return pl.col(name) if m == 0 else pl.col(name).shift(m)


def _parts(prefix: str, by_sensor: dict[str, list[str]], m: int) -> dict[str, Parts]:
    return {
        s: {p: _shifted(f"{prefix}{p}::{s}", m) for p in parts} for s, parts in by_sensor.items()
    }


def _step(
    frame: pl.DataFrame,
    by_sensor: dict[str, list[str]],
    a_prefix: str,
    b_prefix: str,
    m: int,
    out_prefix: str,
    delta: float,
    half_lives: tuple[float, ...],
) -> pl.DataFrame:
    a, b = _parts(a_prefix, by_sensor, 0), _parts(b_prefix, by_sensor, m)
    exprs = [
        e.alias(f"{out_prefix}{p}::{s}")
        for s in by_sensor
        for p, e in combine(a[s], b[s], delta, half_lives).items()
    ]
    return frame.with_columns(exprs)


def window_partials(
    dense: pl.DataFrame,
    plan: dict[str, tuple[int, list[str]]],
    bucket_days: float,
    half_lives: tuple[float, ...],
    keep: Callable[[pl.DataFrame], pl.DataFrame],
) -> pl.DataFrame:
    """Partials of every window at every bucket, then ``keep`` (the snapshot rows).

    Args:
        dense: one row per ``(asset_id, k)`` with no gaps, sorted, each asset starting
            at least one longest window before its first snapshot (``dense_grid``).
        plan: window name → (length in buckets, partial columns that window needs); a
            block level is only built for the columns of windows at least that long.
        bucket_days: bucket length in days.
        half_lives: EWMA half-life (days) of each ``ew{i}`` partial.
        keep: row filter applied once all shifts are done.

    Returns:
        ``keep(dense)`` with ``W{window}|{part}::{sensor}`` columns.
    """
    # Leakage guard: shifts only look back (m > 0), so bucket k sees buckets <= k only.
    columns = sorted({c for _, cols in plan.values() for c in cols})
    top = max(n for n, _ in plan.values()).bit_length() - 1
    frame = dense.select("asset_id", "k", *columns).rename({c: f"L0|{c}" for c in columns})
    for j in range(1, top + 1):
        m = 2 ** (j - 1)
        needed = groups(sorted({c for n, cols in plan.values() if n >= 2**j for c in cols}))
        prev = f"L{j - 1}|"
        frame = _step(frame, needed, prev, prev, m, f"L{j}|", m * bucket_days, half_lives)
    for name, (n, cols) in plan.items():
        by_sensor = groups(cols)
        bits = [j for j in range(n.bit_length() - 1, -1, -1) if n >> j & 1]
        acc, offset = f"L{bits[0]}|", 2 ** bits[0]
        for i, j in enumerate(bits[1:]):
            out = f"T{name}.{i}|"
            frame = _step(
                frame, by_sensor, acc, f"L{j}|", offset, out, offset * bucket_days, half_lives
            )
            acc, offset = out, offset + 2**j
        frame = frame.with_columns([pl.col(f"{acc}{c}").alias(f"W{name}|{c}") for c in cols])
    return keep(frame.select("asset_id", "k", pl.col("^W.*$")))


def stats_exprs(prefix: str, sensor: str, i: int | None) -> dict[str, pl.Expr]:
    """Statistic expressions over one window's partials (``prefix`` = ``"W7d|"`` …).

    Args:
        prefix: column prefix of the window partials.
        sensor: sensor name.
        i: index of this window's EWMA partial, or ``None`` when it has none (life window).
    """
    c = lambda p: pl.col(f"{prefix}{p}::{sensor}")  # noqa: E731
    n, sx, su = c("n"), c("sx"), c("su")
    has = n > 0
    var = div(c("sxx") - div(sx * sx, n), n - 1).clip(lower_bound=0.0)
    den = n * c("suu") - su * su
    out = {
        "mean": pl.when(has).then(div(sx, n)),
        "std": pl.when(n >= 2).then(var.sqrt()),
        "min": c("mn"),
        "max": c("mx"),
        "last": c("last"),
        "slope": pl.when((n >= 2) & (den > 0)).then(div(n * c("sux") - su * sx, den)),
        "count": n.fill_null(0.0),
    }
    if i is not None:
        out["ewma"] = pl.when(c(f"ewn{i}") > 0).then(div(c(f"ew{i}"), c(f"ewn{i}")))
    return out


def z_exprs(prefix: str, sensor: str, kind: str) -> pl.Expr:
    """Mean per-reading deviation (``zb``: baseline, ``zr``: regime) over a window."""
    s, n = pl.col(f"{prefix}{kind}_s::{sensor}"), pl.col(f"{prefix}{kind}_n::{sensor}")
    return pl.when(n > 0).then(div(s, n))


def hours_since(lts: pl.Expr) -> pl.Expr:
    """Hours from a µs timestamp column to ``as_of`` (freshness of a sensor)."""
    return div((pl.col("as_of").dt.epoch("us") - lts).cast(pl.Float64), US_PER_HOUR)


__all__ = ["US_PER_DAY", "combine", "hours_since", "stats_exprs", "window_partials", "z_exprs"]
