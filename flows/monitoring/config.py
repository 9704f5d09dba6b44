"""The ``[monitoring]`` section of an experiment: drift, data quality and the retraining gate.

Every threshold a monitoring verdict depends on lives here, typed and frozen, so a verdict
can always be traced to the config that produced it (the config is logged with each night).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from forewarn.features.durations import Duration

TRENDING_FEATURES: tuple[str, ...] = (
    "age_hours",
    "life_hours",
    "hours_since_failure",
    "hours_since_maintenance*",
    "n_failures",
    "*__count_life",
)
"""Features that grow with calendar time by construction: their drift is expected."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriftConfig(_Section):
    """How drift is measured and when it is called (see ``drift_stats`` for the reasoning).

    Attributes:
        numeric_method: Evidently stat test for numeric columns, fixed whatever the sample
            size (``wasserstein``: W1 distance over the reference std).
        categorical_method: Evidently stat test for categorical columns (``jensenshannon``).
        threshold: smallest normed distance that can count as drift (an effect size).
        categorical_threshold: Jensen-Shannon distance that counts as drift.
        noise_margin: a column drifts only above ``noise_margin`` x its largest night-to-night
            distance inside the training window (the noise floor measured at reference time).
        calibration_nights: training nights used to measure that noise floor.
        alarm_share: a scope (fleet, one asset type, one plant) alarms when at least this
            share of its monitored numeric features drifts.
        sensor_share: a sensor is named as drifting when this share of its features drifts.
        groups: context columns whose values are checked one by one (a drifting line can
            hide inside a fleet).
        min_group_rows: groups with fewer rows tonight are not judged (too noisy).
        ignore: feature-name patterns (fnmatch) left out of drift verdicts.
        prediction_columns: prediction columns compared like features.
        report_columns: numeric features shown in Evidently's report (the strongest by
            score over threshold, drifted first); predictions and categorical columns are
            always shown. Verdicts use every column whatever this is.
        report_rows: rows of each side sampled for Evidently's report (verdicts use all).
    """

    numeric_method: str = "wasserstein"
    categorical_method: str = "jensenshannon"
    threshold: float = Field(default=0.1, gt=0.0)
    categorical_threshold: float = Field(default=0.1, gt=0.0, le=1.0)
    noise_margin: float = Field(default=1.5, ge=1.0)
    calibration_nights: int = Field(default=20, ge=2, le=400)
    alarm_share: float = Field(default=0.15, gt=0.0, le=1.0)
    sensor_share: float = Field(default=0.5, gt=0.0, le=1.0)
    groups: tuple[str, ...] = ("asset_type", "plant")
    min_group_rows: int = Field(default=30, ge=5)
    ignore: tuple[str, ...] = TRENDING_FEATURES
    prediction_columns: tuple[str, ...] = ("p_fail", "rul_hours")
    report_columns: int = Field(default=30, ge=0)
    report_rows: int = Field(default=5_000, ge=100)


class StepConfig(_Section):
    """The step detector: tonight against the same assets' recent nights (see ``step``).

    Attributes:
        enabled: off leaves the verdict to the distribution detector alone.
        features: feature-name patterns (fnmatch) compared night to night; per-asset,
            regime-normalised levels by default, so weekends and shift patterns cancel.
        recent_nights: an asset's recent level is its median over this many previous nights.
        min_recent: assets with fewer previous nights are left out tonight.
        center_by: context column whose members share weather and shift patterns; each
            asset's change is taken relative to its group's median change tonight.
        asset_z: an asset stepped when its centred change passes ``asset_z`` x the
            training noise of that change (a robust std, per feature).
        min_share: a feature steps in a scope when at least this share of the scope's
            assets stepped (and more than ``noise_margin`` x the largest training share).
        min_move: ... or when the scope's median change, standardised by its training
            night-to-night spread, passes this (and ``noise_margin`` x its training maximum).
        noise_margin: multiplier on the largest value seen on training nights.
        min_features: a scope alarms when this many step features stepped.
        calibration_nights: latest training nights used to measure the noise.
    """

    enabled: bool = True
    features: tuple[str, ...] = ("*__z_regime_1d", "*__z_regime_7d")
    recent_nights: int = Field(default=7, ge=2, le=60)
    min_recent: int = Field(default=3, ge=1)
    center_by: str | None = "plant"
    asset_z: float = Field(default=4.0, gt=0.0)
    min_share: float = Field(default=0.25, gt=0.0, le=1.0)
    min_move: float = Field(default=8.0, gt=0.0)
    noise_margin: float = Field(default=1.5, ge=1.0)
    min_features: int = Field(default=1, ge=1)
    calibration_nights: int = Field(default=60, ge=5, le=1000)


class QualityConfig(_Section):
    """Checks on each night's raw input (the telemetry the snapshot was built from).

    Attributes:
        window: readings inspected, ending at ``as_of``.
        frozen_min_readings: a sensor is frozen when at least this many readings in the
            window are all equal.
        range_quantile: the training range of a sensor is its ``[q, 1 - q]`` quantiles
            (robust to the spikes any plant has).
        out_of_range_share: alert when more readings than this fall outside that range
            (``2 * range_quantile`` are expected to).
        missing_share: alert when a sensor's null share in the window passes this.
        silent_after: an asset with no reading for this long is silent.
    """

    window: Duration = "1d"
    frozen_min_readings: int = Field(default=6, ge=2)
    range_quantile: float = Field(default=0.001, ge=0.0, lt=0.5)
    out_of_range_share: float = Field(default=0.01, ge=0.0, le=1.0)
    missing_share: float = Field(default=0.05, ge=0.0, le=1.0)
    silent_after: Duration = "48h"


class GateConfig(_Section):
    """When monitoring retrains (the promotion gate still decides who becomes champion).

    Attributes:
        enabled: off means decisions are still logged, the training flow never runs.
        drift_nights: retrain after this many consecutive nights with a drift alarm (any
            detector, any judged scope).
        min_recall: retrain when realised event recall over matured nights falls below.
        recall_nights: matured nights pooled for that recall (fewer: no verdict).
        min_failures: failures needed in those nights before recall is trusted.
        max_model_age: retrain when the champion is older than this.
    """

    enabled: bool = True
    drift_nights: int = Field(default=3, ge=1)
    min_recall: float = Field(default=0.3, ge=0.0, le=1.0)
    recall_nights: int = Field(default=14, ge=1)
    min_failures: int = Field(default=5, ge=1)
    max_model_age: Duration = "90d"


class MonitoringConfig(_Section):
    """Monitoring settings: reference size, drift, data quality and the retraining gate.

    Attributes:
        reference_rows: rows kept in the reference sample (stratified over training nights).
        seed: sampling seed, so the same training frame gives the same reference.
        drift: distribution drift against the reference (method and thresholds).
        step: step changes against the recent past.
        quality: data-quality checks.
        gate: retraining policy.
    """

    reference_rows: int = Field(default=20_000, ge=100, le=1_000_000)
    seed: int = 0
    drift: DriftConfig = DriftConfig()
    step: StepConfig = StepConfig()
    quality: QualityConfig = QualityConfig()
    gate: GateConfig = GateConfig()
