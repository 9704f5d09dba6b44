"""Security: no unsafe deserialisation or string-built SQL in the code, the page binds to
loopback, is read-only, escapes everything and serves nothing outside its folder, and
hostile asset ids survive a whole nightly run as plain text."""

from __future__ import annotations

import ast
import inspect
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from forewarn.flows.scoring import scoring_flow
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from forewarn.serving.web import create_app, serve
from tests.corpus.datasets import HOSTILE_IDS
from tests.reliability.workspace import NIGHT, PREV, Trained

LOOPBACK = "http://127.0.0.1"  # the page answers loopback host names only

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("features", "flows", "models", "serving", "data/synthetic", "benchmarks")


def project_modules() -> list[tuple[str, ast.Module]]:
    files = sorted(p for d in PROJECT for p in (ROOT / d).rglob("*.py"))
    assert len(files) > 50
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(encoding="utf-8"))) for p in files]


MODULES = project_modules()

UNSAFE_IMPORTS = {
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib",
    "marshal",
    "shelve",
}
UNSAFE_CALLS = {
    "yaml.load", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all", "eval", "exec",
    "os.system", "os.popen", "pd.read_pickle", "pandas.read_pickle", "torch.load",
    "mlflow.pyfunc.load_model", "mlflow.sklearn.load_model", "mlflow.lightgbm.load_model",
}  # fmt: skip


def unsafe_uses(modules: list[tuple[str, ast.Module]]) -> list[str]:
    """Imports and calls that could run code from a file (pickle, YAML tags, eval, shell)."""
    found = []
    for path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                roots = {
                    (node.module or "") if isinstance(node, ast.ImportFrom) else n for n in names
                }
                bad = {r.split(".")[0] for r in roots} & UNSAFE_IMPORTS
                found += [f"{path}:{node.lineno} imports {b}" for b in bad]
            elif isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in UNSAFE_CALLS:
                    found.append(f"{path}:{node.lineno} calls {name}")
                for kw in node.keywords:
                    risky = kw.arg in {"allow_pickle", "shell"} or (kw.arg == "Loader")
                    if risky and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False
                    ):
                        found.append(f"{path}:{node.lineno} {name}({kw.arg}=...)")
    return found


def test_no_unpickling_or_code_from_files_anywhere() -> None:
    assert unsafe_uses(MODULES) == []


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WHERE|COMMENT ON)\b")
FILTER = re.compile(r"\b(name|run_id|tags\.\w+|params\.\w+|metrics\.\w+)\s*=\s*'$")
ALLOWED = {
    ("serving/store.py", "_COLUMN_LIST"): "module constant: the schema's column names",
    ("serving/store.py", "c.name"): "DDL comment: a column name from the schema constants",
    ("serving/store.py", "c.doc.replace(chr(39), chr(39) * 2)"): "schema doc, quotes doubled",
    ("serving/store.py", "col.name"): "ALTER TABLE of an older store: a schema column name",
    ("serving/store.py", "col.sql_type"): "ALTER TABLE of an older store: its DuckDB type",
    ("models/registry_versions.py", "name"): "model name, limited to [A-Za-z0-9_.-] by config",
    ("serving/outcome_store.py", "_COLUMNS"): "module constant: the outcome schema's names",
    ("serving/outcome_store.py", "_O_COLUMNS"): "module constant: the same names, qualified",
}
"""Every value spliced into SQL or an MLflow filter, and why it is safe; values are bound."""


def spliced_values(modules: list[tuple[str, ast.Module]]) -> set[tuple[str, str]]:
    """(file, expression) of every value formatted into SQL or an MLflow filter string."""
    spliced = set()
    for path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                literal = [v.value for v in node.values if isinstance(v, ast.Constant)]
                if SQL.search("".join(literal)) or any(FILTER.search(p) for p in literal):
                    spliced |= {
                        (path, ast.unparse(v.value))
                        for v in node.values
                        if isinstance(v, ast.FormattedValue)
                    }
            text = None  # %-formatting or .format() of SQL text splices values too
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
                text = node.left
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                text = node.func.value if node.func.attr == "format" else None
            if isinstance(text, ast.Constant) and SQL.search(str(text.value)):
                spliced.add((path, ast.unparse(node)))
    return spliced


def test_sql_and_registry_filters_splice_no_values() -> None:
    spliced = spliced_values(MODULES)
    assert spliced == set(ALLOWED), spliced ^ set(ALLOWED)


def test_the_audits_catch_what_they_look_for() -> None:
    bad = ast.parse(
        "import pickle\n"
        "import yaml\n"
        "yaml.load(text, Loader=yaml.Loader)\n"
        "subprocess.run(cmd, shell=True)\n"
        "con.execute(f\"SELECT * FROM scores WHERE asset_id = '{asset}'\")\n"
        "con.execute(\"DELETE FROM scores WHERE as_of = '%s'\" % night)\n"
        "client.search_model_versions(f\"name='{user_input}'\")\n"
    )
    assert len(unsafe_uses([("bad.py", bad)])) == 4
    found = {expr for _, expr in spliced_values([("bad.py", bad)])}
    assert len(found) == 3 and {"asset", "user_input"} <= found


def test_the_page_binds_to_loopback_by_default() -> None:
    from forewarn.flows import commands_pipeline

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(commands_pipeline.serve).parameters["host"].default == "127.0.0.1"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("page")
    (root / "reports").mkdir()
    (root / "reports" / "report_x.html").write_text("<p>ok</p>")
    (root / "secret.html").write_text("secret")
    return TestClient(create_app(root / "store", root / "reports"), base_url=LOOPBACK)


@pytest.mark.parametrize(
    "path",
    [
        "/reports/report_x.html%00",  # NUL byte: once a 500
        "/reports/" + "a" * 5000 + ".html",  # overlong name: once a 500
        "/reports/%252e%252e/secret.html",  # double-encoded dots
        "/reports/..%2f..%2f..%2fetc%2fpasswd",
        "/reports/%c0%ae%c0%ae/secret.html",  # overlong UTF-8 dots
        "/reports//etc/passwd",
    ],
)
def test_report_paths_never_leave_the_folder_or_crash(page: TestClient, path: str) -> None:
    assert page.get(path).status_code == 404


def test_only_reads_are_answered(page: TestClient) -> None:
    assert page.get("/reports/report_x.html").status_code == 200
    for method in ("POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"):
        assert page.request(method, "/reports/report_x.html").status_code == 405
    assert page.get("/api/scores", params={"offset": str(2**70)}).status_code == 422


def _rename_assets(fleet: Path, target: Path) -> dict[str, str]:
    """Copy the fleet with its first assets renamed to hostile ids."""
    shutil.copytree(fleet, target, ignore=shutil.ignore_patterns("truth"))
    assets = pl.read_parquet(target / "assets.parquet")
    mapping = dict(zip(assets["asset_id"].head(len(HOSTILE_IDS)), HOSTILE_IDS, strict=True))
    for path in [
        target / "assets.parquet",
        target / "events.parquet",
        *target.glob("telemetry/*.parquet"),
    ]:
        frame = pl.read_parquet(path)
        renamed = frame.with_columns(pl.col("asset_id").replace(mapping))
        renamed.write_parquet(path)
    return mapping


def test_hostile_asset_ids_survive_a_nightly_run_as_plain_text(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    fleet = tmp_path / "hostile-fleet"
    _rename_assets(trained.fleet, fleet)
    scoring_flow(str(fleet), NIGHT, str(trained.config), str(home), 1.0)
    store = ScoreStore(home / "scores")
    assert set(HOSTILE_IDS) <= set(store.night(NIGHT)["asset_id"])
    client = TestClient(create_app(home / "scores", home / "reports"), base_url=LOOPBACK)
    listing = client.get("/", params={"limit": 1000})
    assert listing.status_code == 200 and '<script>alert("x")</script>' not in listing.text
    for asset in HOSTILE_IDS:
        detail = client.get("/asset", params={"asset_id": asset})
        assert detail.status_code == 200, asset
        assert '<script>alert("x")</script>' not in detail.text
        rows = client.get("/api/history", params={"asset_id": asset}).json()
        assert [r["asset_id"] for r in rows] == [asset]  # bound as a value, matched exactly
    assert store.nights() == [PREV, NIGHT]  # "'; DROP TABLE scores; --" dropped nothing
    csv = pl.read_csv(home / "reports" / f"risk_list_{night_key(NIGHT)}.csv")
    assert '\'=HYPERLINK("http://x")' in csv["asset_id"].to_list()  # a spreadsheet shows text
    html = (home / "reports" / f"report_{night_key(NIGHT)}.html").read_text(encoding="utf-8")
    assert '<script>alert("x")</script>' not in html
