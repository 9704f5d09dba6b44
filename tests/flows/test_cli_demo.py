"""`forewarn demo` at its smallest allowed size, as a new user might first try it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.test_cli_data import run


def test_a_demo_fleet_too_small_to_train_says_which_option_to_change(tmp_path: Path) -> None:
    # 20 assets x 200 days (the options' minimums) hold no failure in the training rows
    # with the default seed: the error must point at --assets, not at "the data".
    out = run("demo", "--assets", "20", "--days", "200", "--nights", "1", home=tmp_path)
    text = " ".join(out.stderr.split())
    assert out.returncode == 2, out.stdout + out.stderr
    assert "step 'train, evaluate and register' failed" in text
    assert "hint: a fleet of 20 assets may hold too few failures" in text
    assert "--assets 100" in text


def test_a_demo_whose_models_the_gate_held_back_stops_saying_why() -> None:
    """Scoring would only say "no champion ... run forewarn train first" (a small fleet)."""
    from forewarn.flows.demo import served_models
    from forewarn.flows.gates import QualityGateError

    served_models({"gate": {}}, 300, 240)  # promoted: nothing to say
    with pytest.raises(QualityGateError, match=r"risk: it is constant.*--assets 300 --days 240"):
        served_models({"gate": {"risk": ["it is constant"]}}, 100, 200)
