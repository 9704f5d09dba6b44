"""Save and load fitted models as LightGBM text files plus one JSON file.

No pickle: a bundle holds only the boosters' text model format and plain JSON
(feature list, category levels, calibration map, fleet statistics), so loading a
bundle never executes code stored with it.
"""

from __future__ import annotations

import json
from pathlib import Path

from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel

FORMAT = "forewarn-bundle/1"
META_FILE = "meta.json"


def save_bundle(model: RiskModel | RulModel, folder: Path) -> Path:
    """Write ``model`` into ``folder`` (created if needed) and return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(model, RiskModel):
        text, meta = model.to_state()
        texts = {"booster": text}
    else:
        texts, meta = model.to_state()
    for name, body in texts.items():
        (folder / f"{name}.txt").write_text(body, encoding="utf-8")
    meta = {"format": FORMAT, "boosters": sorted(texts), **meta}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def load_bundle(folder: Path) -> RiskModel | RulModel:
    """Rebuild the model saved by :func:`save_bundle`.

    Raises:
        ValueError: if the folder is not a bundle of a format this code can read.
    """
    folder = Path(folder)
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise ValueError(f"{folder} is not a forewarn model bundle (no {META_FILE})")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder}: unsupported bundle format {meta.get('format')!r}")
    texts = {n: (folder / f"{n}.txt").read_text(encoding="utf-8") for n in meta["boosters"]}
    if meta["kind"] == "risk":
        return RiskModel.from_state(texts["booster"], meta)
    return RulModel.from_state(texts, meta)


def find_bundle(root: Path) -> Path:
    """The bundle folder somewhere below ``root`` (e.g. a downloaded MLflow model)."""
    for meta in sorted(Path(root).rglob(META_FILE)):
        if json.loads(meta.read_text(encoding="utf-8")).get("format") == FORMAT:
            return meta.parent
    raise ValueError(f"no forewarn model bundle found under {root}")
