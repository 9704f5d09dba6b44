"""The nightly report: the ranked list as CSV (and XLSX) plus one self-contained HTML page.

The HTML carries its CSS, its small filter script and its charts (inline SVG) inside the
file, so it can be mailed, archived or opened offline and still look the same. Jinja2
autoescaping covers every value; the only markup not produced by the template is the
SVG built by ``svg.py`` from numbers and escaped labels.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from forewarn.serving.outcomes import FILL_IN_COLUMNS
from forewarn.serving.render import environment
from forewarn.serving.report_context import report_context
from forewarn.serving.risklist import RiskListConfig
from forewarn.serving.schema import night_key

PLANNER_COLUMNS: tuple[str, ...] = (
    "risk_rank", "priority", "alert_state", "last_outcome", "last_outcome_night",
    "nights_on_list", "asset_id", "inspect", "asset_type", "plant", "line", "p_fail",
    "likely_component", "likely_component_share", "trend", "p_fail_change", "rul_hours",
    "rul_low_hours", "rul_high_hours", "top_drivers", "status", "status_reason", "is_stale",
    "data_freshness_hours", "horizon_hours", "risk_model_version", "rul_model_version",
    "as_of", "scored_at",
)  # fmt: skip
"""Column order of the CSV/XLSX: what a planner reads first comes first; the empty
``outcomes.FILL_IN_COLUMNS`` follow, for ``forewarn feedback import``."""

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ReportMeta(BaseModel):
    """What the report says about where its numbers come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = "Failure-risk list"
    config: RiskListConfig = Field(default_factory=RiskListConfig)
    dataset: str | None = Field(None, description="where the telemetry came from")
    data_start: datetime | None = Field(None, description="earliest reading behind the scores")
    data_end: datetime | None = Field(None, description="latest reading behind the scores")
    rul_cap_hours: float | None = Field(
        None, description="the RUL model's cap: remaining life at it reads 'more than ...'"
    )


@dataclass(frozen=True)
class ReportPaths:
    """Files written for one night."""

    html: Path
    csv: Path
    xlsx: Path | None


PLANNER_DECIMALS: dict[str, int] = {
    "p_fail": 4,
    "p_fail_change": 4,
    "likely_component_share": 2,
    "rul_hours": 1,
    "rul_low_hours": 1,
    "rul_high_hours": 1,
    "data_freshness_hours": 1,
}
"""Decimals kept in the CSV/XLSX: a planner reads 0.1634, not 0.1633640374012418 (the
score store keeps full precision for anyone who computes with the numbers)."""


def planner_table(ranked: pl.DataFrame) -> pl.DataFrame:
    """The ranked list flattened for spreadsheets: drivers joined, times as ISO text,
    probabilities and hours rounded to what a planner reads."""
    cols = [c for c in PLANNER_COLUMNS if c in ranked.columns]
    rounded = [pl.col(c).round(d) for c, d in PLANNER_DECIMALS.items() if c in cols]
    return ranked.select(cols).with_columns(
        pl.col("top_drivers").list.join(" | "),
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        *rounded,
        *(pl.lit(None, pl.String).alias(c) for c in FILL_IN_COLUMNS),
    )


def guard_formulas(table: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would execute with a quote (CSV injection).

    Planners open the CSV in Excel; an asset id such as ``=HYPERLINK(...)`` must stay text.
    """
    text = [name for name, dtype in table.schema.items() if dtype == pl.String]
    return table.with_columns(_quote_formula(pl.col(name)).alias(name) for name in text)


def _quote_formula(col: pl.Expr) -> pl.Expr:
    risky = pl.any_horizontal(col.str.starts_with(s) for s in _FORMULA_START).fill_null(False)
    return pl.when(risky).then(pl.lit("'") + col).otherwise(col)


def write_report(
    scores_with_ranks: pl.DataFrame,
    history: pl.DataFrame | None,
    out_dir: Path | str,
    sensor_history: pl.DataFrame | None = None,
    meta: ReportMeta | None = None,
) -> ReportPaths:
    """Write one night's CSV, XLSX (if openpyxl is installed) and HTML report.

    The CSV holds every asset; the XLSX holds the rows planners act on (P1–P3 and the
    top ``meta.config.top_n``), which keeps it quick to write and to open.

    Args:
        scores_with_ranks: the output of ``risklist.build_risk_list`` for one night.
        history: previous nights' scores (``ScoreStore.history_for``), for the fleet
            trend; None or empty draws tonight alone.
        out_dir: the reports folder; files are named after the night, e.g.
            ``report_2025-03-01T020000Z.html``, and replaced atomically.
        sensor_history: optional ``asset_id``, ``ts`` and numeric sensor columns for the
            top assets over recent days, drawn in each asset's detail.
        meta: title, list rules and data provenance shown in the report.

    Returns:
        The paths written.
    """
    meta = meta or ReportMeta()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = night_key(scores_with_ranks["as_of"][0])
    table = guard_formulas(planner_table(scores_with_ranks))
    csv_path = out / f"risk_list_{key}.csv"
    _atomic(csv_path, lambda p: table.write_csv(p))
    # The workbook is the planners' to-do list (listed or top-N rows); the CSV has the fleet.
    listed = table.filter(
        (pl.col("priority") != "none") | (pl.col("risk_rank") <= meta.config.top_n)
    )
    xlsx_path = _write_xlsx(listed, out / f"risk_list_{key}.xlsx")
    context = report_context(scores_with_ranks, history, sensor_history, meta)
    context["files"] = {"csv": csv_path.name, "xlsx": xlsx_path.name if xlsx_path else None}
    html = environment().get_template("report.html.j2").render(**context)
    html_path = out / f"report_{key}.html"
    _atomic(html_path, lambda p: p.write_text(html, encoding="utf-8"))
    return ReportPaths(html=html_path, csv=csv_path, xlsx=xlsx_path)


def _write_xlsx(table: pl.DataFrame, path: Path) -> Path | None:
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    except ImportError:  # optional: the CSV carries the same table
        return None
    book = Workbook(write_only=True)
    sheet = book.create_sheet("risk list")
    sheet.append(table.columns)
    for row in table.iter_rows():
        cells = []
        for value in row:
            if isinstance(value, str):  # XLSX cannot hold control characters: show them
                value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never let openpyxl turn "=..." text into a formula
            cells.append(cell)
        sheet.append(cells)
    _atomic(path, book.save)
    return path


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temp file and rename, so the web page never serves half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
