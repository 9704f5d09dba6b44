"""Per-component risk: which part fails, consistent with the overall probability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from forewarn.models.component_eval import grade_components
from forewarn.models.component_risk import UNSPECIFIED, ComponentModel, component_label_columns
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import FeatureEncoder
from forewarn.models.risk import RiskModel

LABEL = "fails_within_7d"
PARAMS = LightGBMParams(num_leaves=7, n_estimators=60, min_child_samples=10, learning_rate=0.1)


def _fleet(n: int = 3000, seed: int = 0) -> pl.DataFrame:
    """Vibration rises before bearing failures, pressure drops before seal failures."""
    rng = np.random.default_rng(seed)
    vib, press, noise = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    bearing = vib > 1.4
    seal = (press < -1.4) & ~bearing
    other = rng.random(n) < 0.01
    fails = bearing | seal | other
    return pl.DataFrame(
        {
            "asset_id": [f"a{i % 50}" for i in range(n)],
            "as_of": [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i // 50) for i in range(n)],
            "vibration": vib,
            "pressure": press,
            "noise": noise,
            LABEL: fails,
            f"{LABEL}__bearing": bearing,
            f"{LABEL}__seal": seal,
        }
    )


FEATURES = ["vibration", "pressure", "noise"]


def test_component_label_columns_are_the_labels_per_component() -> None:
    cols = ["asset_id", LABEL, f"{LABEL}__bearing", f"{LABEL}__seal", "fails_within_1d__x"]
    assert component_label_columns(cols, LABEL) == [f"{LABEL}__bearing", f"{LABEL}__seal"]


def test_component_model_names_the_part_that_fails() -> None:
    frame = _fleet()
    pos = frame.filter(pl.col(LABEL))
    labels = pos.select(f"{LABEL}__bearing", f"{LABEL}__seal").to_numpy()
    enc = FeatureEncoder(FEATURES).fit(frame)
    model = ComponentModel(["bearing", "seal"], PARAMS, seed=1).fit(pos, labels, enc)
    assert model.classes_ == ["bearing", "seal", UNSPECIFIED]
    shares = model.shares(enc.transform(pos))
    assert np.allclose(shares.sum(axis=1), 1.0)
    named = np.array(model.classes_)[shares.argmax(axis=1)]
    truth = np.where(labels[:, 0], "bearing", np.where(labels[:, 1], "seal", UNSPECIFIED))
    hit = named[truth != UNSPECIFIED] == truth[truth != UNSPECIFIED]
    assert hit.mean() > 0.9
    again = ComponentModel.from_dict(model.to_dict())
    assert np.allclose(again.shares(enc.transform(pos)), shares)


def test_too_few_positives_fall_back_to_the_training_shares() -> None:
    frame = _fleet().filter(pl.col(LABEL)).head(6)
    labels = frame.select(f"{LABEL}__bearing", f"{LABEL}__seal").to_numpy()
    enc = FeatureEncoder(FEATURES).fit(frame)
    model = ComponentModel(["bearing", "seal"], PARAMS).fit(frame, labels, enc)
    assert model.booster_ is None
    shares = model.shares(enc.transform(frame))
    assert np.allclose(shares, shares[0]) and np.isclose(shares[0].sum(), 1.0)


def test_risk_model_components_sum_to_its_probability_and_survive_a_reload() -> None:
    frame = _fleet()
    risk = RiskModel(FEATURES, PARAMS, seed=3).fit(frame, frame[LABEL].to_numpy())
    risk.calibrate(frame, frame[LABEL].to_numpy())
    table = risk.predict_components(frame)
    assert table is not None and table.height == frame.height
    p = risk.predict_proba(frame)
    parts = np.array([sum(d["p_fail"] for d in row) for row in table["component_risk"].to_list()])
    assert np.all(parts <= p + 1e-12)  # the unspecified class holds the rest
    top = table.filter(pl.Series(frame[f"{LABEL}__bearing"]))
    assert (top["likely_component"] == "bearing").mean() > 0.9
    assert table["likely_component_share"].is_between(0, 1).all()
    text, meta = risk.to_state()
    again = RiskModel.from_state(text, meta)
    assert again.predict_components(frame).equals(table)


def test_models_without_component_labels_or_from_older_runs_name_no_component() -> None:
    frame = _fleet().drop(f"{LABEL}__bearing", f"{LABEL}__seal")
    risk = RiskModel(FEATURES, PARAMS).fit(frame, frame[LABEL].to_numpy())
    assert risk.predict_components(frame) is None
    text, meta = risk.to_state()
    meta.pop("components")  # a model registered before components existed
    assert RiskModel.from_state(text, meta).predict_components(frame) is None


def test_grading_counts_caught_failures_and_whether_the_part_was_named() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    # two assets, one night each a day before their failure; a healthy third asset
    frame = pl.DataFrame(
        {
            "asset_id": ["a", "b", "c"],
            "as_of": [t0, t0, t0],
            LABEL: [True, True, False],
            f"{LABEL}__bearing": [True, False, False],
            f"{LABEL}__seal": [False, True, False],
            "rul_hours": [24.0, 30.0, 500.0],
            "rul_censored": [False, False, True],
        }
    )
    p = np.array([0.9, 0.8, 0.1])
    comps = pl.DataFrame(
        {
            "asset_id": ["a", "b", "c"],
            "component_risk": [
                [{"component": "bearing", "p_fail": 0.8}, {"component": "seal", "p_fail": 0.1}],
                [{"component": "bearing", "p_fail": 0.6}, {"component": "seal", "p_fail": 0.2}],
                [{"component": "seal", "p_fail": 0.05}, {"component": "bearing", "p_fail": 0.05}],
            ],
            "likely_component": ["bearing", "bearing", "seal"],
            "likely_component_share": [0.89, 0.75, 0.5],
        }
    )
    out = grade_components(
        frame, p, comps, ["bearing", "seal"], LABEL, horizon_h=168, lead_h=24, budget=0.67
    )
    assert out["component.bearing.event_recall"] == 1.0
    assert out["component.seal.event_recall"] == 1.0
    assert out["component_caught_events"] == 2.0
    assert out["component_named_share"] == pytest.approx(0.5)  # b's seal was called bearing
    assert out["component.bearing.pr_auc"] == pytest.approx(1.0)
