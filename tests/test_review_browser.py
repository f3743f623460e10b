"""The review page in a real browser (headless Chromium via selenium).

Skips, saying why, where selenium, Chromium or chromedriver is missing (Debian: `apt-get install
chromium chromium-driver`). A screenshot of the item page is saved under test-artifacts/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from review_web import HOSTILE_AGENCY, HOSTILE_LINE, hostile_queue, serving

from extractor.review import Store
from extractor.reviewapp import static_page

pytestmark = pytest.mark.enable_socket
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1200,1400",
)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    binary = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(
            "no headless browser: install Debian's chromium and chromium-driver packages "
            f"(found chromium={binary}, chromedriver={driver_path})"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_resolve_by_clicking_and_the_database_shows_it(browser: object, tmp_path: Path) -> None:
    driver = browser
    queue = hostile_queue(tmp_path)
    with serving(queue) as server:
        base = f"http://127.0.0.1:{server.server_port}"
        driver.get(base + "/")  # type: ignore[attr-defined]
        driver.find_element(By.ID, "next").click()  # type: ignore[attr-defined]
        WebDriverWait(driver, 10).until(lambda d: "/item/" in d.current_url)
        item_id = driver.current_url.rsplit("/", 1)[-1]  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "review-item.png"))  # type: ignore[attr-defined]
        driver.find_element(By.NAME, "note").send_keys("checked against the PDF")  # type: ignore[attr-defined]
        driver.find_element(By.ID, "confirm").click()  # type: ignore[attr-defined]
        WebDriverWait(driver, 10).until(lambda d: d.current_url.rsplit("/", 1)[-1] != item_id)
    with Store(queue) as store:
        item = store.get(item_id)
        left = [s.id for s in store.summaries(status="open")]
    assert item.status == "resolved" and item.resolution is not None
    assert (item.resolution["decision"], item.resolution["by"], item.resolution["note"]) == (
        "confirmed",
        "tester",
        "checked against the PDF",
    )
    assert driver.current_url.endswith(f"/item/{left[0]}")  # type: ignore[attr-defined]


def test_keyboard_shortcut_resolves_with_a_typed_value(browser: object, tmp_path: Path) -> None:
    driver = browser
    queue = hostile_queue(tmp_path)
    with Store(queue) as store:
        row_sum = next(i for i in store.items() if i.rule == "app.row_sum")
    with serving(queue) as server:
        driver.get(f"http://127.0.0.1:{server.server_port}/item/{row_sum.id}")  # type: ignore[attr-defined]
        body = driver.find_element(By.TAG_NAME, "body")  # type: ignore[attr-defined]
        body.send_keys("v")  # focuses the value field
        active = driver.switch_to.active_element  # type: ignore[attr-defined]
        assert active.get_attribute("id") == "value"
        active.send_keys("10\n")
        WebDriverWait(driver, 10).until(lambda d: row_sum.id not in d.current_url)
    with Store(queue) as store:
        decided = store.get(row_sum.id)
    assert decided.resolution is not None and decided.resolution["values"] == {"app.new.total": 10}


def test_report_text_renders_as_text_and_never_runs(browser: object, tmp_path: Path) -> None:
    driver = browser
    queue = hostile_queue(tmp_path)
    with Store(queue) as store:
        item = next(iter(store.items()))
        page = tmp_path / "queue.html"
        page.write_text(static_page(store), encoding="utf-8")
    with serving(queue) as server:
        for url in (f"http://127.0.0.1:{server.server_port}/item/{item.id}", page.as_uri()):
            driver.get(url)  # type: ignore[attr-defined]
            assert driver.execute_script("return window.pwned === undefined")  # type: ignore[attr-defined]
            assert HOSTILE_AGENCY in driver.find_element(By.CLASS_NAME, "agency").text  # type: ignore[attr-defined]
            shown = driver.find_element(By.TAG_NAME, "pre").text  # type: ignore[attr-defined]
            assert HOSTILE_LINE.strip() in shown
            assert driver.find_elements(By.CSS_SELECTOR, "img") == []  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "review-static.png"))  # type: ignore[attr-defined]


class _Attacker(BaseHTTPRequestHandler):
    """Another origin's page that posts to the review server on load (with the real token: worst case)."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form id=f method=post action="{self.target}"><input name=csrf value="{self.server.token}">'  # type: ignore[attr-defined]
            "<input name=action value=confirmed><input name=by value=mallory></form>"
            "<script>document.getElementById('f').submit()</script>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_cross_site_post_is_refused(browser: object, tmp_path: Path) -> None:
    driver = browser
    queue = hostile_queue(tmp_path)
    with Store(queue) as store:
        item = next(iter(store.items()))
    with serving(queue) as server:
        handler = type(
            "Attacker", (_Attacker,), {"target": f"http://127.0.0.1:{server.server_port}/item/{item.id}/resolve"}
        )
        evil = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        evil.token = server.token  # type: ignore[attr-defined]
        thread = threading.Thread(target=evil.serve_forever, daemon=True)
        thread.start()
        try:
            driver.get(f"http://127.0.0.1:{evil.server_port}/")  # type: ignore[attr-defined]
            WebDriverWait(driver, 10).until(lambda d: "refused" in d.find_element(By.TAG_NAME, "body").text)
            assert "cross-site" in driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        finally:
            evil.shutdown()
            evil.server_close()
    with Store(queue) as store:
        assert store.get(item.id).status == "open"
        assert store.history(item.id) == []
