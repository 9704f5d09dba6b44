"""Typed, frozen model configuration: the ``[model]`` section of an experiment file.

Every value a data scientist may change lives here, is checked when the file is
loaded (``extra="forbid"`` names unknown keys), and is impossible to mutate later,
so a logged config is exactly the config that trained the model.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forewarn.features.durations import Duration, hours, parse_duration
from forewarn.features.preflight import Need

RiskMetric = Literal["event_recall", "pr_auc", "roc_auc", "brier", "precision_at_k", "recall_at_k"]
RulMetric = Literal["rmse_capped", "mae_capped", "phm_score_mean"]

MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
"""Registered model names: letters, digits, ``_ . -`` (no quotes, spaces or slashes)."""

MAX_THREADS = 1024
"""Most LightGBM threads a config may ask for."""

LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"brier", "rmse_capped", "mae_capped", "phm_score_mean"}
)
"""Metrics where a smaller value wins (used by model selection and promotion)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LightGBMParams(_Frozen):
    """The LightGBM knobs worth changing; the rest stay at LightGBM's defaults.

    ``num_threads`` defaults to 1: the project's machines have two cores shared with
    other work, and under that contention two OpenMP threads spin-wait for each other;
    measured on 46k x 283 rows, 100 rounds: 1 thread 25 s, 2 threads 137-190 s.
    """

    num_leaves: int = Field(default=31, ge=2, le=131072)
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    n_estimators: int = Field(default=300, ge=1, le=100_000)
    min_child_samples: int = Field(default=50, ge=1)
    feature_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    bagging_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    bagging_freq: int = Field(default=1, ge=0)
    lambda_l2: float = Field(default=1.0, ge=0.0)
    max_depth: int = Field(default=-1, ge=-1)
    # 0 = OpenMP's default (all cores). LightGBM segfaults on absurd counts (100000);
    # 1024 is tested and above any machine this runs on.
    num_threads: int = Field(default=1, ge=0, le=MAX_THREADS)

    def booster_params(self, seed: int, objective: str, **extra: Any) -> dict[str, Any]:
        """LightGBM ``train`` parameters (without the number of rounds).

        Args:
            seed: the run seed; LightGBM derives its bagging and feature seeds from it.
            objective: a LightGBM objective name, e.g. ``"binary"`` or ``"quantile"``.
            **extra: objective-specific values such as ``alpha``.
        """
        params = self.model_dump(exclude={"n_estimators"})
        params.update(objective=objective, seed=seed, deterministic=True, verbosity=-1)
        params.update(extra)
        return params


class ModelConfig(_Frozen):
    """How risk and RUL models are trained, evaluated, selected and promoted.

    Time spans are durations (``"7d"``); the risk horizon itself is chosen by the
    caller (it names the label column), and ``gap`` must be at least that horizon.
    """

    seed: int = 42
    lightgbm: LightGBMParams = LightGBMParams()
    candidates: tuple[LightGBMParams, ...] = Field(
        default=(), description="extra LightGBM settings compared by rolling-origin CV"
    )
    rul_lightgbm: LightGBMParams | None = Field(
        default=None, description="RUL model settings; default: the same as `lightgbm`"
    )
    calibration: Literal["isotonic", "platt"] = "isotonic"
    negative_sample_rate: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="share of non-failure rows the risk booster trains on (seeded); "
        "failures are rare, so this buys speed cheaply, and calibration on the untouched "
        "later slice restores the probabilities",
    )
    baseline_max_rows: int = Field(
        default=250_000,
        ge=1_000,
        description="the logistic baseline trains on at most about this many training rows "
        "(a seeded hash sample when the slice is bigger): its imputed, scaled matrix is about "
        "twice the feature count wide, and a reference model needs no more",
    )
    validation_window: Duration = "60d"
    calibration_window: Duration = "30d"
    gap: Duration | None = Field(default=None, description="default: the risk horizon")
    holdout_assets: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="share of assets kept out of training"
    )
    cv_folds: int = Field(default=3, ge=0, le=20)
    cv_window: Duration | None = Field(default=None, description="default: validation_window")
    inspection_budget: float = Field(default=0.01, gt=0.0, le=1.0)
    lead_time: Duration = "24h"
    rul_cap: Duration | None = Field(
        default="30d",
        description="the one RUL cap: the RUL target is min(time to failure, rul_cap); "
        "None trains on uncapped lives (only failures seen before the split)",
    )
    rul_quantiles: tuple[float, float] = (0.1, 0.9)
    rul_interval_folds: int = Field(
        default=3,
        ge=0,
        le=20,
        description="asset folds of the cross-conformal RUL interval calibration "
        "(models.rul_conformal); 0 keeps the raw quantile bounds",
    )
    rul_candidates: tuple[LightGBMParams, ...] = Field(
        default=(), description="extra RUL settings compared with rul_lightgbm by the same CV"
    )
    split: Literal["time", "assets"] = Field(
        default="time",
        description="'time': train, calibrate, validate in time order; 'assets': by groups "
        "of assets (holdout_assets share each for calibration and validation), for "
        "run-to-failure fleets where a time split wastes most lives",
    )
    refit: bool = Field(
        default=True,
        description="refit the registered models on every labelled row once validation has "
        "graded the held-out fit (calibration and interval offsets are kept)",
    )
    time_unit: Duration = Field(
        default="1d",
        description="one step of the data's own time (a cycle mapped onto '1h': '1h'); the "
        "PHM08 score's error d and the RUL plots count in it",
    )
    age_feature: str = "hours_since_failure"
    calibration_bins: int = Field(default=10, ge=2, le=100)
    promotion_metric: RiskMetric = "event_recall"
    tie_break_metric: RiskMetric = "pr_auc"
    rul_promotion_metric: RulMetric = Field(
        default="mae_capped",
        description="MAE by default: the point estimate is a median, which minimises "
        "absolute error (RMSE would reward a mean and punish the median's honesty)",
    )
    # Names go into MLflow search filters (``name='...'``): plain characters only, so a
    # config can never smuggle a quote into a registry query.
    risk_model_name: str = Field(default="forewarn-risk", pattern=MODEL_NAME)
    rul_model_name: str = Field(default="forewarn-rul", pattern=MODEL_NAME)

    @field_validator("rul_quantiles")
    @classmethod
    def _quantiles_bracket_median(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0.0 < low < 0.5 < high < 1.0:
            raise ValueError(f"rul_quantiles must satisfy 0 < low < 0.5 < high < 1, got {value!r}")
        return value

    @model_validator(mode="after")
    def _names_differ(self) -> ModelConfig:
        if self.risk_model_name == self.rul_model_name:
            raise ValueError(
                "risk_model_name and rul_model_name must differ "
                f"(both are {self.risk_model_name!r})"
            )
        if self.split == "assets" and not 0.0 < self.holdout_assets <= 0.4:
            raise ValueError(
                "split='assets' needs holdout_assets in (0, 0.4]: that share of assets is "
                f"validated and as many calibrate (got holdout_assets={self.holdout_assets})"
            )
        if self.promotion_metric == self.tie_break_metric:
            raise ValueError(
                f"tie_break_metric must differ from promotion_metric ({self.promotion_metric!r})"
            )
        return self

    def check_horizon(self, horizon: str) -> None:
        """Refuse settings that make no sense for the labels, naming the key.

        Called before any training work so a bad experiment file fails in
        milliseconds, not after an hour of boosting.

        Args:
            horizon: the label horizon (``[labels] horizon``).

        Raises:
            ValueError: if ``gap`` is shorter than the horizon (labels would leak
                across the split) or ``lead_time`` is not shorter than it (no flag
                could ever count as early).
        """
        horizon_h = hours(horizon)
        if self.gap is not None and hours(self.gap) < horizon_h:
            raise ValueError(
                f"[model] gap={self.gap!r} is shorter than the horizon {horizon!r}: "
                "training labels would overlap the validation period"
            )
        if hours(self.lead_time) >= horizon_h:
            raise ValueError(
                f"[model] lead_time={self.lead_time!r} must be shorter than the horizon {horizon!r}"
            )

    def history_needs(self, horizon: str) -> list[Need]:
        """What the time split needs between the first and last training snapshot.

        The same arithmetic as ``models.splits.plan_split``, from the config alone, so a
        short history is refused before features are built (``features.preflight``):
        risk labels are known only a horizon before the last snapshot, then come the
        validation and calibration windows with a gap before each; the RUL validation
        window ends ``rul_cap`` before the last snapshot and its training rows need a
        whole ``rul_cap`` of future before it.
        """
        if self.split == "assets":
            return []  # every window spans the whole history (models.splits)
        gap = self.gap or horizon
        gap_text = f"2 x [model] gap {gap}" + ("" if self.gap else " (default: the horizon)")
        risk = Need(
            key="[model] validation_window",
            keys=(
                f"[labels] horizon {horizon} + [model] validation_window "
                f"{self.validation_window} + [model] calibration_window "
                f"{self.calibration_window} + {gap_text}"
            ),
            length=parse_duration(horizon)
            + parse_duration(self.validation_window)
            + parse_duration(self.calibration_window)
            + 2 * parse_duration(gap),
            fix="Shorten [model] validation_window or calibration_window, or train on more history",
        )
        cap = parse_duration(self.rul_cap) if self.rul_cap else timedelta(0)
        rul = Need(
            key="[model] rul_cap",
            keys=(
                f"2 x [model] rul_cap {self.rul_cap} + [model] validation_window "
                f"{self.validation_window}"
                if self.rul_cap
                else f"[model] validation_window {self.validation_window} (RUL, no rul_cap)"
            ),
            length=2 * cap + parse_duration(self.validation_window),
            fix="Lower [model] rul_cap (the RUL model's cap, not [labels] rul_cap) or "
            "[model] validation_window, or train on more history",
        )
        return [risk, rul]

    def gap_hours(self, horizon: str) -> float:
        """The split gap in hours: ``gap`` if set, else the horizon."""
        return hours(self.gap) if self.gap is not None else hours(horizon)

    def rul_params(self) -> LightGBMParams:
        """LightGBM settings for the RUL models."""
        return self.rul_lightgbm if self.rul_lightgbm is not None else self.lightgbm

    def time_unit_hours(self) -> float:
        """Hours in one ``time_unit``."""
        return hours(self.time_unit)

    def rul_cap_hours(self) -> float | None:
        """The RUL cap in hours, or ``None`` for an uncapped target."""
        return hours(self.rul_cap) if self.rul_cap is not None else None
