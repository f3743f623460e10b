"""The review web app over HTTP (no browser): escaping, CSRF token, Origin and Host checks."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from review_web import hostile_queue, serving

from extractor.review import Store
from extractor.reviewapp import static_page

pytestmark = pytest.mark.enable_socket


def request(
    port: int, method: str, path: str, body: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    data = urlencode(body) if body is not None else None
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    connection.request(method, path, body=data, headers={**sent, **(headers or {})})
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, text, dict(response.getheaders())


def test_pages_escape_everything_from_the_report(tmp_path: Path) -> None:
    queue = hostile_queue(tmp_path)
    with Store(queue) as store:
        item = next(iter(store.items()))
        static = static_page(store)
    with serving(queue) as server:
        status, page, headers = request(server.server_port, "GET", f"/item/{item.id}")
    assert status == 200
    assert "script-src 'nonce-" in headers["Content-Security-Policy"]
    for html in (page, static):
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;&quot;&amp;amp;局" in html
        assert "&lt;img src=x onerror=&quot;window.pwned=3&quot;&gt;" in html
        assert "<script>window" not in html and "<img" not in html
        assert len(re.findall(r"<script", html)) == 1  # only the page's own, nonce-tagged


def test_a_post_needs_the_token_the_origin_and_the_host(tmp_path: Path) -> None:
    queue = hostile_queue(tmp_path)
    with Store(queue) as store:
        item = next(iter(store.items()))
    with serving(queue) as server:
        port = server.server_port
        form = {"csrf": server.token, "action": "confirmed", "by": "tester", "note": "ok"}
        own = {"Origin": f"http://127.0.0.1:{port}"}
        refused = [
            request(port, "POST", f"/item/{item.id}/resolve", {**form, "csrf": "guess"}, own),
            request(port, "POST", f"/item/{item.id}/resolve", form, {"Origin": "http://evil.example"}),
            request(port, "POST", f"/item/{item.id}/resolve", form, {"Origin": f"http://127.0.0.1:{port + 1}"}),
            request(port, "POST", f"/item/{item.id}/resolve", form, {"Origin": "null"}),
            request(port, "POST", f"/item/{item.id}/resolve", form, {**own, "Host": f"evil.example:{port}"}),
        ]
        assert [status for status, _, _ in refused] == [403] * 5
        with Store(queue) as store:
            assert store.get(item.id).status == "open"
        status, _, headers = request(port, "POST", f"/item/{item.id}/resolve", form, own)
        assert status == 303 and headers["Location"].startswith("/item/")
        bad_value = {**form, "action": "value", "value": "abc", "cell": item.cells[0]}
        assert request(port, "POST", f"/item/{item.id}/resolve", bad_value, own)[0] == 400
    with Store(queue) as store:
        decided = store.get(item.id)
    assert decided.status == "resolved" and decided.resolution is not None
    assert (decided.resolution["by"], decided.resolution["note"]) == ("tester", "ok")


def test_listing_filters_and_unknown_items(tmp_path: Path) -> None:
    queue = hostile_queue(tmp_path)
    with serving(queue) as server:
        port = server.server_port
        status, page, _ = request(port, "GET", "/?rule=app.flow")
        assert status == 200 and "app.flow" in page and "open items of app.flow: 1" in page
        assert request(port, "GET", "/item/0000nothing")[0] == 404
        assert request(port, "GET", "/", headers={"Host": "attacker.example"})[0] == 403
