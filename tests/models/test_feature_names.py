"""Any sensor name the data contract allows trains (observation 6: `[ ] , "` crashed
LightGBM); explanations, importance and a reloaded model keep the readable names."""

from __future__ import annotations

import numpy as np
import polars as pl

from forewarn.models.config import LightGBMParams
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel

NAMES = ["temp[C]__mean_7d", "a,b__max_1d", 'x"y__last_1d', "p:q {1}__std_1d", "温度__mean_1d"]
PARAMS = LightGBMParams(n_estimators=10, min_child_samples=5, num_leaves=4)


def _frame(rows: int = 300) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    data = {name: rng.normal(size=rows) for name in NAMES}
    frame = pl.DataFrame({"asset_id": [f"A{i}" for i in range(rows)], **data})
    return frame, frame[NAMES[0]].to_numpy() > 0.8


def test_booster_names_are_distinct_and_safe_and_keep_safe_names() -> None:
    from forewarn.models.boosting import booster_names

    names = booster_names([*NAMES, "vibration__mean_7d", "a_b__max_1d"])
    assert len(set(names)) == len(names)
    assert names[-2:] == ["vibration__mean_7d", "a_b__max_1d"]
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
               for n in names)  # fmt: skip


def test_a_risk_model_trains_explains_and_reloads_with_json_characters_in_names() -> None:
    frame, y = _frame()
    model = RiskModel(NAMES, PARAMS, calibration="platt").fit(frame, y)
    model.calibrate(frame, y)

    assert list(model.feature_importance()) == NAMES
    assert max(model.feature_importance(), key=model.feature_importance().get) == NAMES[0]
    text, meta = model.to_state()
    again = RiskModel.from_state(text, meta)
    np.testing.assert_allclose(again.predict_proba(frame), model.predict_proba(frame))

    from forewarn.models.explain import drivers_table

    # the most abnormal rows: drivers are listed only for values unusual for the fleet
    drivers = drivers_table(again, frame.sort(NAMES[0], descending=True).head(5), top_k=2)
    assert set(drivers["feature"]) <= set(NAMES) and NAMES[0] in set(drivers["feature"])


def test_a_rul_model_trains_with_json_characters_in_names() -> None:
    frame, _ = _frame()
    target = np.abs(frame[NAMES[1]].to_numpy()) * 100
    model = RulModel(NAMES, PARAMS, cap_hours=300.0).fit(frame, target)
    assert list(model.feature_importance()) == NAMES
    point, low, high = model.predict(frame)
    assert len(point) == frame.height and np.all(low <= high)
