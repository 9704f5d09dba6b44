"""The read-only web app through its HTTP interface (no browser; see test_serving_browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from serving_frames import NIGHT, night, scores

from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.store import ScoreStore
from forewarn.serving.web import create_app, safe_report_path
from forewarn.serving.web_data import jsonable, resolve_night

EVIL = '<script>document.title="pwned"</script>'
CFG = RiskListConfig(budget=0.2, p2_threshold=0.5, p3_threshold=0.2)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    store = ScoreStore(root / "store")
    store.write_night(scores({"a": 0.2, "b": 0.6, EVIL: 0.1}, as_of=night(-1)))
    south = {"plant": {"c": "South", EVIL: "South"}, "line": {"c": "S-1", EVIL: "S-1"}}
    store.write_night(scores({"a": 0.3, "b": 0.7, "c": 0.9, EVIL: 0.5, "u": None}, **south))
    reports = root / "reports"
    reports.mkdir()
    (reports / "report_2025-03-10T020000Z.html").write_text("<p>report</p>")
    (reports / "list.csv").write_text("a,b\n")
    (reports / ".report_x.html.tmp-1").write_text("half")
    (reports / "notes.txt").write_text("not a report")
    (root / "secret.html").write_text("secret")
    (reports / "link.html").symlink_to(root / "secret.html")
    return root


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(create_app(workspace / "store", workspace / "reports", CFG))


def test_list_page_shows_the_latest_night_in_rank_order(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    order = [html.index(f">{a}</a>") for a in ("c", "b", "a")]
    assert order == sorted(order)
    assert "2025-03-10 02:00 UTC" in html
    assert 'href="/reports/report_2025-03-10T020000Z.html"' in html
    assert "<script" not in html
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html


def test_filters_and_other_nights(client: TestClient) -> None:
    south = client.get("/", params={"plant": "South"}).text
    assert ">c</a>" in south and ">a</a>" not in south
    yesterday = client.get("/", params={"as_of": "2025-03-09"}).text
    assert ">c</a>" not in yesterday and "2025-03-09 02:00 UTC" in yesterday
    assert client.get("/", params={"as_of": "2025-03-09T02:00:00Z"}).status_code == 200
    missing = client.get("/", params={"as_of": "2024-01-01"})
    assert missing.status_code == 404 and "no such night" in missing.text


def test_asset_page_escapes_and_shows_history(client: TestClient) -> None:
    page = client.get("/asset", params={"asset_id": EVIL})
    assert page.status_code == 200
    assert EVIL not in page.text
    assert page.text.count("2025-03-0") >= 2  # both nights in the history table
    assert client.get("/asset", params={"asset_id": "nobody"}).status_code == 404


def test_api_nights_and_scores(client: TestClient) -> None:
    nights = client.get("/api/nights").json()
    assert [n["as_of"] for n in nights] == ["2025-03-09T02:00:00Z", "2025-03-10T02:00:00Z"]
    assert nights[1]["assets"] == 5 and nights[1]["scored"] == 4
    assert nights[1]["report"] == "/reports/report_2025-03-10T020000Z.html"
    assert nights[0]["report"] is None
    body = client.get("/api/scores", params={"plant": "North", "limit": 2}).json()
    assert body["total"] == 3 and [r["asset_id"] for r in body["rows"]] == ["b", "a"]
    assert body["rows"][0]["alert_state"] == "still_open"
    assert body["rows"][0]["p_fail_history"] == [0.6, 0.7]
    all_rows = client.get("/api/scores").json()["rows"]
    assert all_rows[0]["asset_id"] == "c" and all_rows[0]["alert_state"] == "new"
    history = client.get("/api/history", params={"asset_id": EVIL, "n": 5}).json()
    assert [h["p_fail"] for h in history] == [0.1, 0.5]
    assert client.get("/api/history", params={"asset_id": "x"}).status_code == 404
    assert client.get("/api/scores", params={"as_of": "1999-01-01"}).json() == {
        "detail": "no such night"
    }


def test_only_get_is_answered(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert client.request(method, "/api/nights").status_code == 405
        assert client.request(method, "/reports/list.csv").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/reports/..%2fsecret.html",
        "/reports/%2e%2e/secret.html",
        "/reports/%2e%2e%2fstore%2fscores.duckdb",
        "/reports/..%5csecret.html",
        "/reports/%2fetc%2fpasswd",
        "/reports/link.html",
        "/reports/notes.txt",
        "/reports/.report_x.html.tmp-1",
        "/reports/",
    ],
)
def test_report_files_never_leave_the_reports_folder(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_report_files_are_served_with_a_script_policy(client: TestClient) -> None:
    page = client.get("/reports/report_2025-03-10T020000Z.html")
    assert page.status_code == 200 and page.text == "<p>report</p>"
    assert "script-src 'unsafe-inline'" in page.headers["content-security-policy"]
    assert "connect-src" not in page.headers["content-security-policy"]
    assert client.get("/reports/list.csv").headers["content-type"].startswith("text/csv")
    assert "script-src" not in client.get("/").headers["content-security-policy"]


def test_safe_report_path_resolves_inside_only(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.html").write_text("x")
    assert safe_report_path(tmp_path / "r", "a.html") == tmp_path / "r" / "a.html"
    with pytest.raises(Exception, match="no such report"):
        safe_report_path(tmp_path / "r", "../r/../a.html")


def test_empty_store_says_so(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "none", tmp_path / "reports"))
    page = client.get("/")
    assert page.status_code == 404 and "holds no night yet" in page.text
    assert client.get("/api/nights").json() == []


def test_list_cache_sees_a_rewritten_night(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path / "s")
    store.write_night(scores({"a": 0.9, "b": 0.1}))
    client = TestClient(create_app(tmp_path / "s", tmp_path / "r"))
    assert client.get("/api/scores").json()["rows"][0]["asset_id"] == "a"
    store.write_night(scores({"a": 0.1, "b": 0.9}))
    assert client.get("/api/scores").json()["rows"][0]["asset_id"] == "b"


def test_resolve_night_and_jsonable() -> None:
    nights = [night(-1), NIGHT]
    assert resolve_night(None, nights) == NIGHT
    assert resolve_night("2025-03-10T020000Z", nights) == NIGHT
    assert resolve_night("2025-03-09T03:00:00+01:00", nights) == night(-1)
    assert resolve_night("2025-03-09", nights) == night(-1)
    assert resolve_night("garbage", nights) is None
    assert resolve_night(None, []) is None
    when = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    assert jsonable({"t": when, "x": [float("nan"), 1.0]}) == {
        "t": "2025-01-02T03:04:00Z",
        "x": [None, 1.0],
    }


def test_page_list_matches_the_risk_list(workspace: Path, client: TestClient) -> None:
    store = ScoreStore(workspace / "store")
    expected = build_risk_list(store.night(NIGHT), store.history_for(NIGHT, 7), CFG)
    rows = client.get("/api/scores").json()["rows"]
    assert [r["asset_id"] for r in rows] == expected["asset_id"].to_list()
    assert [r["priority"] for r in rows] == expected["priority"].to_list()


def test_serve_runs_uvicorn_on_loopback(workspace: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = (
        "from forewarn.serving.web import serve; "
        f"serve({str(workspace / 'store')!r}, {str(workspace / 'reports')!r}, port={port})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/api/nights", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve() did not answer in 30 s"
                time.sleep(0.2)
        assert reply.status_code == 200 and len(reply.json()) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
