"""The web page and the HTML report in a real headless Chromium (Playwright).

Needs the ``playwright`` package and a Chromium binary (Debian: ``chromium``, listed in
.ci/apt-packages.txt). Outside CI the tests skip when either is missing; in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl
import pytest
import uvicorn
from serving_frames import NIGHT, scores

from forewarn.serving.outcome_store import read_outcomes, write_outcomes
from forewarn.serving.outcomes import RawOutcome, check_outcomes
from forewarn.serving.report import write_report
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.sample import synthetic_nights, synthetic_sensor_history
from forewarn.serving.store import ScoreStore
from forewarn.serving.web import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

Site = tuple[str, ScoreStore]

EVIL = "<img src=x onerror=\"alert('img')\"><script>alert('script')</script>"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CFG = RiskListConfig(budget=0.02)


def _chromium() -> str:
    found = os.environ.get("FOREWARN_CHROMIUM") or shutil.which("chromium")
    found = found or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if not found:
        if os.environ.get("CI"):
            pytest.fail("browser tests need playwright and chromium (.ci/apt-packages.txt)")
        pytest.skip("playwright or chromium not installed")
    return found


def _nights() -> list[pl.DataFrame]:
    frames = synthetic_nights(300, [NIGHT.replace(day=d) for d in (8, 9, 10)], seed=3)
    # The hostile asset ranks about 6th: in the report's top table, below the top asset.
    sixth = frames[-1]["p_fail"].drop_nulls().sort(descending=True)[5]
    evil = scores({EVIL: sixth + 1e-9}, as_of=NIGHT, drivers=[EVIL + " vibration rose"])
    return [*frames[:-1], pl.concat([frames[-1], evil])]


def _top(store: ScoreStore, night, n: int) -> list[str]:
    return (
        store.night(night)
        .drop_nulls("p_fail")
        .sort("p_fail", descending=True)["asset_id"][:n]
        .to_list()
    )


def _inspect(store: ScoreStore) -> None:
    """Yesterday's top asset was inspected and found healthy; the second had a fault."""
    yesterday = store.nights()[-2]
    healthy, faulty = _top(store, yesterday, 2)
    rows = [
        RawOutcome(None, healthy, yesterday.isoformat(), "no_fault", note="all bearings fine"),
        RawOutcome(None, faulty, yesterday.isoformat(), "found_fault", component="seal"),
    ]
    pairs = {(yesterday, a) for a in store.night(yesterday)["asset_id"].to_list()}
    checked = check_outcomes(rows, store.nights(), pairs, NIGHT, "browser-test")
    assert checked.rejected == []
    write_outcomes(store, checked.accepted)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("site")
    store = ScoreStore(root / "store")
    for frame in _nights():
        store.write_night(frame)
    _inspect(store)
    history = store.history_for(NIGHT, 7)
    ranked = build_risk_list(store.night(NIGHT), history, CFG, read_outcomes(store))
    sensors = synthetic_sensor_history(ranked["asset_id"].head(20).to_list(), NIGHT, days=3)
    write_report(ranked, history, root / "reports", sensors)
    (root / "secret.html").write_text("top secret")  # what a traversal would reach
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(root / "store", root / "reports", CFG)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "web app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm a page opened: must stay empty."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield tab
    context.close()


def test_top_asset_is_the_highest_probability_in_the_store(site: Site, page: Page) -> None:
    base, store = site
    response = page.goto(base + "/?limit=1000")
    assert response.status == 200
    tonight = store.night(store.latest()).drop_nulls("p_fail")
    highest = tonight.sort("p_fail", descending=True)["asset_id"][0]
    assert page.locator("#risk-list tbody tr").first.locator("a.asset").inner_text() == highest
    assert int(page.inner_text("#shown")) == store.night(NIGHT).height


def test_filtering_by_plant_keeps_only_that_plant(site: Site, page: Page) -> None:
    base, store = site
    page.goto(base + "/?limit=1000")
    page.select_option("#filter-plant", "P2")
    with page.expect_navigation():
        page.click("#apply")
    assert "plant=P2" in page.url
    places = page.locator("#risk-list tbody td.where").all_inner_texts()
    expected = store.night(NIGHT).filter(pl.col("plant") == "P2").height
    assert len(places) == expected > 0
    assert all(p.startswith("P2 /") for p in places)


def test_hostile_asset_id_is_shown_as_text_and_never_run(
    site: Site, page: Page, dialogs: list[str]
) -> None:
    base, _ = site
    page.goto(base + "/?limit=1000")
    link = page.locator("a.asset", has_text="<script>")
    assert link.inner_text() == EVIL
    with page.expect_navigation():
        link.click()
    assert page.inner_text("#asset-id") == EVIL
    assert page.locator("#drivers li").first.inner_text().startswith("<img src=x")
    assert page.locator("img").count() == 0 and dialogs == []


def test_path_traversal_is_refused(site: Site, page: Page) -> None:
    base, _ = site
    # An encoded slash reaches the report route; the guard must refuse it.
    response = page.goto(base + "/reports/..%2fsecret.html")
    assert response is not None and response.status == 404
    assert "no such report" in page.inner_text("#error")
    assert "top secret" not in page.content()
    # Encoded dots are resolved by the browser itself: still nothing outside reports.
    response = page.goto(base + "/reports/%2e%2e/secret.html")
    assert response is not None and response.status == 404
    assert "top secret" not in page.content()


def test_report_opens_from_the_page_and_filters_client_side(
    site: Site, page: Page, dialogs: list[str]
) -> None:
    base, _ = site
    page.goto(base + "/")
    with page.expect_navigation():
        page.click("#report-link")
    assert page.url.startswith(base + "/reports/report_")
    total = int(page.inner_text("#shown"))
    assert total == CFG.top_n
    page.select_option("#filter-plant", "P1")
    shown = int(page.inner_text("#shown"))
    visible = page.locator("#risk-list tbody tr:visible td:nth-child(3)").all_inner_texts()
    assert 0 < shown < total and len(visible) == shown
    assert all(v.startswith("P1 /") for v in visible)
    page.select_option("#filter-plant", "")
    assert int(page.inner_text("#shown")) == total
    assert dialogs == []


def test_report_shows_hostile_text_without_running_it(
    site: Site, page: Page, dialogs: list[str]
) -> None:
    base, _ = site
    page.goto(base + "/")
    report = page.get_attribute("#report-link", "href")
    page.goto(base + report)
    assert page.locator("#risk-list a.asset", has_text="<script>").inner_text() == EVIL
    assert page.locator("img").count() == 0 and dialogs == []
    page.locator("details.asset summary").first.click()
    assert page.locator("details.asset svg").first.is_visible()


def _outcomes(store: ScoreStore) -> dict[str, str]:
    return dict(read_outcomes(store).select("asset_id", "outcome").rows())


def test_the_list_shows_each_assets_last_outcome_and_its_asset_page_the_inspections(
    site: Site, page: Page
) -> None:
    base, store = site
    page.goto(base + "/?limit=1000")
    for asset, outcome in _outcomes(store).items():
        row = page.locator("#risk-list tbody tr", has=page.locator("a.asset", has_text=asset))
        assert row.locator("td.outcome [data-outcome]").get_attribute("data-outcome") == outcome
    healthy = next(a for a, o in _outcomes(store).items() if o == "no_fault")
    with page.expect_navigation():
        page.locator("a.asset", has_text=healthy).first.click()
    assert page.inner_text("#asset-id") == healthy
    assert "no fault" in page.inner_text("#last-outcome")
    assert "all bearings fine" in page.inner_text("#outcomes")
    tonight = store.night(NIGHT).filter(pl.col("asset_id") == healthy)["p_fail"][0]
    assert page.inner_text("#p_fail").startswith(f"{tonight * 100:.1f} %")


def test_the_report_shows_outcomes_and_counts_checked_assets(site: Site, page: Page) -> None:
    base, store = site
    page.goto(base + "/")
    page.goto(base + page.get_attribute("#report-link", "href"))
    shown = {
        el.get_attribute("data-outcome")
        for el in page.locator("#risk-list td.outcome [data-outcome]").all()
    }
    assert shown == set(_outcomes(store).values())
    ranked = build_risk_list(
        store.night(NIGHT), store.history_for(NIGHT, 7), CFG, read_outcomes(store)
    )
    checked = ranked.filter(pl.col("alert_state") == "checked").height
    assert page.inner_text('[data-count="checked"]') == str(checked)


def test_no_request_leaves_the_machine(site: Site, browser: Browser) -> None:
    base, _ = site
    context = browser.new_context()
    context.set_default_timeout(10_000)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    tab = context.new_page()
    try:
        tab.goto(base + "/?limit=1000")
        tab.select_option("#filter-plant", "P2")
        with tab.expect_navigation():
            tab.click("#apply")
        with tab.expect_navigation():
            tab.locator("a.asset").first.click()
        tab.goto(base + "/api/nights")
        tab.goto(base + "/")
        tab.goto(base + tab.get_attribute("#report-link", "href"))
        tab.select_option("#filter-plant", "P1")
        tab.locator("details.asset summary").first.click()
    finally:
        context.close()
    assert len(requests) >= 6
    outside = [u for u in requests if not u.startswith(base + "/") and not u.startswith("data:")]
    assert outside == []
