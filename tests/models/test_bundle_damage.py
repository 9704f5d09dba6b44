"""A damaged bundle is refused before LightGBM reads it, naming the file and the damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forewarn.models.bundle import (
    BundleDamagedError,
    find_bundle,
    load_bundle,
    save_bundle,
    verify_bundle,
)
from forewarn.models.training import TrainingResult


@pytest.fixture
def risk_bundle(trained: TrainingResult, tmp_path: Path) -> Path:
    return save_bundle(trained.risk, tmp_path / "risk")


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.98])
def test_a_truncated_booster_is_named_without_lightgbm_noise(
    risk_bundle: Path, keep: float, capfd: pytest.CaptureFixture[str]
) -> None:
    booster = risk_bundle / "booster.txt"
    text = booster.read_text(encoding="utf-8")
    booster.write_text(text[: int(len(text) * keep)], encoding="utf-8")
    for check in (verify_bundle, load_bundle):
        with pytest.raises(BundleDamagedError, match=str(booster)):
            check(risk_bundle)
    assert "[LightGBM]" not in capfd.readouterr().err


def test_an_edited_booster_fails_its_checksum(risk_bundle: Path) -> None:
    booster = risk_bundle / "booster.txt"
    booster.write_text(booster.read_text(encoding="utf-8").replace("Tree=0", "Tree=9"))
    with pytest.raises(BundleDamagedError, match="does not match its checksum"):
        load_bundle(risk_bundle)


def test_a_bundle_without_checksums_is_still_checked_by_structure(risk_bundle: Path) -> None:
    meta_path = risk_bundle / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["sha256"]  # written before checksums were recorded
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    load_bundle(risk_bundle)  # whole: loads
    booster = risk_bundle / "booster.txt"
    booster.write_text(booster.read_text(encoding="utf-8").split("end of trees")[0])
    with pytest.raises(BundleDamagedError, match="not a whole LightGBM model"):
        load_bundle(risk_bundle)


@pytest.mark.parametrize("garbage", ['{"format": "forewarn-bundle/1", "boost', "[1, 2]", "\udcff"])
def test_a_garbage_meta_json_is_named(risk_bundle: Path, garbage: str) -> None:
    meta = risk_bundle / "meta.json"
    meta.write_bytes(garbage.encode("utf-8", "surrogateescape"))
    for check in (load_bundle, find_bundle):
        with pytest.raises(BundleDamagedError, match=str(meta)):
            check(risk_bundle)


def test_a_meta_json_missing_keys_is_named(risk_bundle: Path) -> None:
    meta_path = risk_bundle / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["encoder"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleDamagedError, match=f"{risk_bundle} cannot be loaded .*encoder"):
        load_bundle(risk_bundle)
