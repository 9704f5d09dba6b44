"""write_fleet: layout, summary, progress, atomic replacement and refusal to clobber."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from forewarn.synthetic import FleetConfig, write_fleet

CFG = FleetConfig(n_assets=7, days=10, freq="6h", seed=1)


def test_layout_and_summary_counts(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    summary = write_fleet(CFG, out, batch_assets=3)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [
        "assets.parquet",
        "events.parquet",
        "fleet.json",
        "telemetry/part-00000.parquet",
        "telemetry/part-00001.parquet",
        "telemetry/part-00002.parquet",
        "truth/part-00000.parquet",
        "truth/part-00001.parquet",
        "truth/part-00002.parquet",
    ]
    on_disk = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(summary))
    counts = summary["counts"]
    assert counts["assets"] == pl.read_parquet(out / "assets.parquet").height == 7
    assert counts["telemetry_rows"] == pl.read_parquet(out / "telemetry").height
    assert counts["truth_rows"] == pl.read_parquet(out / "truth").height == 70
    events = pl.read_parquet(out / "events.parquet")
    for kind in ("failure", "maintenance", "alarm"):
        assert counts[f"events_{kind}"] == events.filter(pl.col("kind") == kind).height
    assert FleetConfig.model_validate(summary["config"]) == CFG
    assert set(summary["sensors"]) >= {"temperature_c", "vibration_mm_s"}


def test_progress_reports_each_batch(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    write_fleet(CFG, tmp_path / "f", batch_assets=3, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(3, 7), (6, 7), (7, 7)]


def test_refuses_a_non_empty_folder_unless_told(tmp_path: Path) -> None:
    out = tmp_path / "f"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite"):
        write_fleet(CFG, out)
    assert (out / "keep.txt").read_text() == "mine"
    write_fleet(CFG, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "fleet.json").exists()


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "f").mkdir()
    write_fleet(CFG, tmp_path / "f")
    assert (tmp_path / "f" / "assets.parquet").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "f"
    write_fleet(CFG, out)
    before = (out / "fleet.json").read_bytes()

    def boom(done: int, total: int) -> None:
        if done < total:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_fleet(
            CFG.model_copy(update={"seed": 2}),
            out,
            batch_assets=2,
            on_progress=boom,
            overwrite=True,
        )
    assert (out / "fleet.json").read_bytes() == before  # old dataset untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # no temp folders left


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_assets"):
        write_fleet(CFG, tmp_path / "f", batch_assets=0)
