"""One place that calls ``lightgbm.train``, so every booster is built the same way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import lightgbm as lgb
import numpy as np

from forewarn.models.config import LightGBMParams

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
"""Characters a booster's feature name may not hold: LightGBM refuses JSON's ``[ ] { } ,
: "`` and rewrites spaces; anything outside ASCII is replaced too, to be safe in its text
model file whatever the platform."""

BoosterTrainer = Callable[..., lgb.Booster]
"""Trains a booster from ``train_booster``'s arguments (e.g. ``models.distributed``)."""
_TRAINER: ContextVar[tuple[BoosterTrainer, bool] | None] = ContextVar(
    "booster_trainer", default=None
)


@contextmanager
def trained_by(trainer: BoosterTrainer, reads_parts: bool = False) -> Iterator[None]:
    """Train every booster inside the block with ``trainer`` (on Dask, say), unchanged
    callers: risk, RUL and cross-validation models all come through ``train_booster``.

    ``reads_parts``: the trainer accepts ``slices.PartRows`` for ``x`` and reads the
    Parquet parts where it trains (Dask workers), so the caller need not build ``x``.
    """
    token = _TRAINER.set((trainer, reads_parts))
    try:
        yield
    finally:
        _TRAINER.reset(token)


@contextmanager
def trained_here() -> Iterator[None]:
    """Train inside the block in this process whatever trainer is active: for small
    boosters (a few hundred positive rows) that cost less than shipping them to workers."""
    token = _TRAINER.set(None)
    try:
        yield
    finally:
        _TRAINER.reset(token)


def reads_parts() -> bool:
    """Whether the active trainer reads a training slice's Parquet parts itself."""
    active = _TRAINER.get()
    return active is not None and active[1]


def booster_names(names: list[str]) -> list[str]:
    """The names a booster is given for ``names``: safe ones unchanged, others sanitised.

    Sensor names are free in the data contract (``temp[C]``, ``a,b``, ``x"y``), and
    LightGBM refuses several characters in a feature name. The booster only needs
    distinct names; the models keep the readable ones (``feature_cols``) and map by
    position, so explanations, drivers and reports never show the sanitised form.
    """
    out = [
        n if not _UNSAFE.search(n) else f"f{i}_{_UNSAFE.sub('_', n)}" for i, n in enumerate(names)
    ]
    if len(set(out)) < len(out):  # a readable name that looks like a sanitised one
        out = [f"f{i}" for i in range(len(names))]
    return out


def train_booster(
    x: np.ndarray,
    y: np.ndarray,
    *,
    params: LightGBMParams,
    seed: int,
    objective: str,
    feature_names: list[str],
    categorical: list[int],
    **extra: Any,
) -> lgb.Booster:
    """Train a LightGBM booster on an encoded matrix.

    Args:
        x: encoded features (see ``FeatureEncoder``); NaN means missing. Inside
            ``trained_by(..., reads_parts=True)`` also ``slices.PartRows``: the rows and
            their target, read from Parquet parts by the trainer (``y`` is then unused).
        y: target (0/1 for ``binary``, hours for regression objectives).
        params: the configured LightGBM settings.
        seed: run seed, so two runs on the same data give the same model.
        objective: LightGBM objective name.
        feature_names: the readable feature names; the booster gets ``booster_names``.
        categorical: positions of categorical columns (integer codes in ``x``).
        **extra: objective-specific parameters such as ``alpha`` for quantiles.
    """
    feature_names = booster_names(feature_names)
    active = _TRAINER.get()
    if active is not None:
        trainer = active[0]
        kwargs = {"feature_names": feature_names, "categorical": categorical, **extra}
        return trainer(x, y, params=params, seed=seed, objective=objective, **kwargs)
    booster_params = params.booster_params(seed, objective, **extra)
    data = lgb.Dataset(
        x,
        label=np.asarray(y, dtype=np.float64),
        feature_name=feature_names,
        categorical_feature=categorical or "auto",
        params={"verbosity": -1},
        free_raw_data=True,
    )
    return lgb.train(booster_params, data, num_boost_round=params.n_estimators)


def booster_from_text(text: str) -> lgb.Booster:
    """Load a booster from its text model file (no pickle involved)."""
    return lgb.Booster(model_str=text)


def gain_importance(booster: lgb.Booster, names: list[str]) -> dict[str, float]:
    """Total gain per feature, the importance that tracks predictive value best, keyed
    by the readable ``names`` (the booster's own may be sanitised: ``booster_names``)."""
    gains = booster.feature_importance(importance_type="gain")
    return {name: float(g) for name, g in zip(names, gains, strict=True)}
