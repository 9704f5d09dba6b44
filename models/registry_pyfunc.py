"""The pyfunc view of a bundle, saved as an MLflow *model from code* (nothing pickled).

The logged model folder holds a three-line entry script, the bundle (LightGBM text
files and JSON), a signature and a pandas input example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import polars as pl
from mlflow import MlflowClient
from mlflow.entities import LoggedModel
from mlflow.models import infer_signature

from forewarn.models.bundle import load_bundle, save_bundle
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel
from forewarn.models.training import TrainingResult

_ENTRY = '''"""MLflow models-from-code entry point for a forewarn bundle (no pickled objects)."""
from mlflow.models import set_model

from forewarn.models.registry_pyfunc import ForewarnPyfunc

set_model(ForewarnPyfunc())
'''


class ForewarnPyfunc(mlflow.pyfunc.PythonModel):
    """Generic pyfunc view of a bundle, for ``mlflow models serve`` and ad-hoc use.

    Risk bundles return ``p_fail`` (calibrated probabilities, not class labels);
    RUL bundles return ``rul_hours``, ``rul_low_hours``, ``rul_high_hours``.
    """

    def load_context(self, context: Any) -> None:
        self.model_ = load_bundle(Path(context.artifacts["bundle"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        return _predict_pandas(self.model_, model_input)


def _predict_pandas(model: RiskModel | RulModel, frame: pd.DataFrame) -> pd.DataFrame:
    snap = pl.from_pandas(frame)
    if isinstance(model, RiskModel):
        return pd.DataFrame({"p_fail": model.predict_proba(snap)})
    point, low, high = model.predict(snap)
    return pd.DataFrame({"rul_hours": point, "rul_low_hours": low, "rul_high_hours": high})


def _requirements() -> list[str]:
    import lightgbm
    import sklearn

    return [
        "forewarn",
        f"mlflow=={mlflow.__version__}",
        f"lightgbm=={lightgbm.__version__}",
        f"polars=={pl.__version__}",
        f"pandas=={pd.__version__}",
        f"numpy=={np.__version__}",
        f"scikit-learn=={sklearn.__version__}",
    ]


def log_model(
    client: MlflowClient,
    experiment_id: str,
    run_id: str,
    task: str,
    model: RiskModel | RulModel,
    result: TrainingResult,
    folder: Path,
) -> LoggedModel:
    """Save the bundle as a pyfunc model folder and upload it as a LoggedModel."""
    bundle = save_bundle(model, folder / f"{task}_bundle")
    entry = folder / "forewarn_entry.py"
    entry.write_text(_ENTRY, encoding="utf-8")
    # pandas at the boundary: MLflow cannot take a Polars input example (STACK.md).
    example = result.validation.select(model.feature_cols).head(5).to_pandas()
    signature = infer_signature(example, _predict_pandas(model, example))
    local = folder / f"{task}_model"
    mlflow.pyfunc.save_model(
        path=str(local),
        python_model=str(entry),
        artifacts={"bundle": str(bundle)},
        signature=signature,
        input_example=example,
        pip_requirements=_requirements(),
    )
    logged = client.create_logged_model(
        experiment_id,
        name=task,
        source_run_id=run_id,
        tags={"forewarn.task": task, "forewarn.horizon": result.horizon},
    )
    client.log_model_artifacts(logged.model_id, str(local))
    client.finalize_logged_model(logged.model_id, "READY")
    return logged
