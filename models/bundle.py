"""Save and load fitted models as LightGBM text files plus one JSON file.

No pickle: a bundle holds only the boosters' text model format and plain JSON
(feature list, category levels, calibration map, fleet statistics), so loading a
bundle never executes code stored with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel

FORMAT = "forewarn-bundle/1"
META_FILE = "meta.json"


class BundleDamagedError(ValueError):
    """A bundle's files are truncated or garbled (checked before LightGBM reads them:
    LightGBM prints hundreds of "[LightGBM] [Fatal] Model format error" lines and may
    abort the process on a damaged model text)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_booster_text(text: str, meta: dict, name: str, path: Path) -> None:
    """Refuse a booster text that is not whole: its checksum (bundles written since it
    was recorded), else LightGBM's own structure (a tree count and an end marker).

    Raises:
        BundleDamagedError: naming the file and what is wrong with it.
    """
    expected = meta.get("sha256", {}).get(name)
    if expected is not None and _digest(text) != expected:
        raise BundleDamagedError(f"{path} does not match its checksum in {META_FILE}")
    sizes = next((ln for ln in text.splitlines() if ln.startswith("tree_sizes=")), None)
    trees = text.count("\nTree=")
    if not text.startswith("tree\n") or sizes is None or "\nend of trees\n" not in text:
        raise BundleDamagedError(f"{path} is not a whole LightGBM model (truncated?)")
    if len(sizes.removeprefix("tree_sizes=").split()) != trees:
        raise BundleDamagedError(f"{path} holds {trees} trees of the {len(sizes.split())} listed")


def read_meta(path: Path) -> dict:
    """A bundle's ``meta.json`` as a dict.

    Raises:
        BundleDamagedError: it is not valid JSON or not an object (naming the file).
    """
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleDamagedError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise BundleDamagedError(f"{path} is not a JSON object")
    return meta


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
    digests = {name: _digest(body) for name, body in texts.items()}
    meta = {"format": FORMAT, "boosters": sorted(texts), "sha256": digests, **meta}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def load_bundle(folder: Path) -> RiskModel | RulModel:
    """Rebuild the model saved by :func:`save_bundle`.

    Raises:
        ValueError: if the folder is not a bundle of a format this code can read.
        BundleDamagedError: its files are truncated or garbled.
    """
    folder = Path(folder)
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise ValueError(f"{folder} is not a forewarn model bundle (no {META_FILE})")
    meta = read_meta(meta_path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder}: unsupported bundle format {meta.get('format')!r}")
    texts = {}
    for name in meta.get("boosters", []):
        path = folder / f"{name}.txt"
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleDamagedError(f"{path} cannot be read ({exc})") from None
        check_booster_text(texts[name], meta, name, path)
    try:
        if meta["kind"] == "risk":
            return RiskModel.from_state(texts["booster"], meta)
        return RulModel.from_state(texts, meta)
    except BundleDamagedError:
        raise
    except Exception as exc:  # a key missing or of the wrong type, LightGBM refusing
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        raise BundleDamagedError(f"{folder} cannot be loaded ({detail})") from None


def verify_bundle(folder: Path) -> None:
    """Check a bundle's files are whole without building the model (cheap: no LightGBM).

    Raises:
        BundleDamagedError: a file is missing, truncated or garbled (naming it).
    """
    meta = read_meta(Path(folder) / META_FILE)
    for name in meta.get("boosters", []):
        path = Path(folder) / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleDamagedError(f"{path} cannot be read ({exc})") from None
        check_booster_text(text, meta, name, path)


def find_bundle(root: Path) -> Path:
    """The bundle folder somewhere below ``root`` (e.g. a downloaded MLflow model)."""
    for meta in sorted(Path(root).rglob(META_FILE)):
        if read_meta(meta).get("format") == FORMAT:
            return meta.parent
    raise ValueError(f"no forewarn model bundle found under {root}")
