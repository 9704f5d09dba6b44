"""What a crew should look at on a listed asset: the likely component, else a sensor family.

The model's per-component risk names the part ("bearing") once the score frame carries a
component column (``component_col``); until then, and for rows without one, the target
is the sensor family, alarm code or component named by the asset's top driver. Driver
sentences that point at something inspectable read ``"<target>: <finding>"``
(``models.explain``), so the family is the text before the first ``": "``.
"""

from __future__ import annotations

import polars as pl

COMPONENT_COLUMN = "likely_component"
"""The score column holding the model's most likely failing component, when it exists."""


def driver_family() -> pl.Expr:
    """The target named by the first driver sentence that names one (null: none does)."""
    return (
        pl.col("top_drivers")
        .list.eval(pl.element().str.extract(r"^([^:]{1,60}): ", 1))
        .list.drop_nulls()
        .list.first()
    )


def what_to_inspect(columns: list[str], component_col: str | None = COMPONENT_COLUMN) -> pl.Expr:
    """``inspect``: the likely component when ``component_col`` is a column, else the family.

    Args:
        columns: the columns of the frame the expression will run on.
        component_col: the optional column of likely components (None: never use one).
    """
    family = driver_family()
    if component_col is not None and component_col in columns:
        return pl.coalesce(pl.col(component_col).cast(pl.String), family).alias("inspect")
    return family.alias("inspect")
