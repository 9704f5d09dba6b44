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
from forewarn.serving.web_guard import allowed_hosts, host_name

LOOPBACK = "http://127.0.0.1"  # the page answers loopback host names only

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
    return TestClient(
        create_app(workspace / "store", workspace / "reports", CFG), base_url=LOOPBACK
    )


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
    client = TestClient(create_app(tmp_path / "none", tmp_path / "reports"), base_url=LOOPBACK)
    page = client.get("/")
    assert page.status_code == 404 and "holds no night yet" in page.text
    assert client.get("/api/nights").json() == []


def test_list_cache_sees_a_rewritten_night(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path / "s")
    store.write_night(scores({"a": 0.9, "b": 0.1}))
    client = TestClient(create_app(tmp_path / "s", tmp_path / "r"), base_url=LOOPBACK)
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


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "", "10.0.0.5"]
)
def test_a_foreign_host_header_gets_nothing(client: TestClient, host: str) -> None:
    # DNS rebinding: a page on evil.example re-resolves its name to 127.0.0.1 and reads
    # the list; the Host header still says evil.example.
    for path in ("/", "/api/scores", "/api/nights", "/reports/list.csv"):
        reply = client.get(path, headers={"host": host})
        assert reply.status_code == 421, (path, reply.text)
        assert "asset_id" not in reply.text and "<script" not in reply.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost", "LOCALHOST.:80", "[::1]:8765"])
def test_loopback_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/nights", headers={"host": host}).status_code == 200


def test_configured_host_names_are_answered(workspace: Path) -> None:
    hosts = allowed_hosts("0.0.0.0", ["planning.plant.example"])  # nosec B104  # not bound
    app = create_app(workspace / "store", workspace / "reports", CFG, hosts)
    page = TestClient(app, base_url="http://planning.plant.example")
    assert page.get("/api/nights").status_code == 200
    assert page.get("/", headers={"host": "evil.example"}).status_code == 421
    assert host_name("[::1]:80") == "::1" and host_name("Box.Example.:8765") == "box.example"


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "0001-01-01T000000Z"]
)
def test_out_of_range_nights_are_not_found(client: TestClient, as_of: str) -> None:
    assert client.get("/", params={"as_of": as_of}).status_code == 404
    assert client.get("/api/scores", params={"as_of": as_of}).status_code == 404
    assert client.get("/asset", params={"asset_id": "a", "as_of": as_of}).status_code == 404


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    for path in ("/", "/api/nights", "/reports/list.csv", "/asset?asset_id=a"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["x-frame-options"] == "DENY"
    assert client.head("/api/scores?as_of=garbage").status_code == 404


def test_a_damaged_store_is_a_readable_error_page(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path / "s")
    store.write_night(scores({"a": 0.9}))
    store.db_path.write_bytes(store.db_path.read_bytes()[:5000])  # truncated
    page = TestClient(create_app(tmp_path / "s", tmp_path / "r"), base_url=LOOPBACK)
    html, api = page.get("/"), page.get("/api/nights")
    assert html.status_code == 500 and "text/html" in html.headers["content-type"]
    assert f"the score store {store.db_path} is damaged" in html.text
    assert "restore" in html.text and "Parquet" in html.text
    assert api.status_code == 500 and str(store.db_path) in api.json()["detail"]


def test_a_busy_port_is_a_clear_error_before_serving(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        home = tmp_path / "home"
        argv = ["--home", str(home), "serve", "--port", str(port)]
        proc = subprocess.run(
            [sys.executable, "-m", "forewarn.flows", *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )
    out = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 2, out
    assert f"cannot listen on 127.0.0.1:{port}" in out and "pick --port" in out
    assert "serving" not in proc.stdout
