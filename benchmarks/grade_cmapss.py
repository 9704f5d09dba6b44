"""Grade a scored C-MAPSS test night against the published remaining cycles.

    python benchmarks/grade_cmapss.py .forewarn/reports/risk_list_<night>.csv cmapss/test_rul.csv

The literature's protocol (see ../shared/data/README.md): at each test engine's last
cycle, RMSE and the PHM08 score of the predicted remaining cycles, the truth capped at
125 cycles. ``--cap`` also caps the truth at the model's own RUL cap, the most it can say.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import polars as pl


def grade(risk_list: Path, truth: Path, cycle_hours: float = 1.0, cap: float = 125.0) -> dict:
    """RMSE and PHM08 score (cycles) of the median RUL, over the engines in both files."""
    scores = pl.read_csv(risk_list).select("asset_id", "rul_hours", "status")
    joined = pl.read_csv(truth).join(scores, on="asset_id", how="inner")
    graded = joined.filter(pl.col("rul_hours").is_not_null())
    d = (graded["rul_hours"] / cycle_hours) - graded["rul_cycles"].clip(upper_bound=cap)
    phm = sum(math.exp(-x / 13) - 1 if x < 0 else math.exp(x / 10) - 1 for x in d.to_list())
    return {
        "engines": joined.height,
        "graded": graded.height,
        "rmse_cycles": float((d**2).mean() ** 0.5) if graded.height else math.nan,
        "phm08": phm,
        "truth_cap": cap,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("risk_list", type=Path, help="risk_list_<night>.csv written by score")
    parser.add_argument("truth", type=Path, help="test_rul.csv written by convert_cmapss.py")
    parser.add_argument("--cycle-hours", type=float, default=1.0)
    parser.add_argument("--cap", type=float, default=125.0, help="cap on the true RUL (cycles)")
    args = parser.parse_args()
    out = grade(args.risk_list, args.truth, args.cycle_hours, args.cap)
    print(
        f"{out['graded']}/{out['engines']} engines graded: RUL RMSE {out['rmse_cycles']:.1f} "
        f"cycles, PHM08 score {out['phm08']:.0f} (truth capped at {out['truth_cap']:.0f})"
    )


if __name__ == "__main__":
    main()
