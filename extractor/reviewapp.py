"""The reviewer's web page: `extract review serve` (local, read-write) and `export --html` (static, read-only).

Standard library only (`http.server`). Reports are untrusted input, so every value taken from
one goes through `html.escape`, and a Content-Security-Policy allows only this page's own
nonce-tagged script and style. Writes are POSTs that must carry the server's secret token, come
from the page's own origin (Origin header) and name an expected Host (which also stops DNS
rebinding); anything else is refused with 403.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Iterable
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from .errors import StoreError
from .review import STATUSES, QueueItem, Store, Summary
from .reviewview import cell_rows, decision_label, excerpts, item_marks, segments

MAX_BODY = 64 * 1024
PAGE_SIZE = 500  # rows per list page

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#243447;color:#fff;padding:.6em 1em}header a{color:#cde}
main{padding:1em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#eee}
pre{background:#fff;border:1px solid #ccc;padding:.6em;white-space:pre-wrap;font:13px/1.4 monospace}
mark{background:#ffd54f;outline:1px solid #c90;padding:0 1px}mark.model{background:#9fd3ff}
.reason{font-size:1.1em;margin:.4em 0}.open{color:#b00}.resolved{color:#070}.withdrawn{color:#777}
form{background:#fff;border:1px solid #ccc;padding:.6em;margin:.6em 0}input,select{margin-right:.6em}
kbd{border:1px solid #999;border-radius:3px;padding:0 .3em;background:#fff}.keys{color:#555;font-size:.9em}
section.item{border-top:2px solid #243447;margin-top:1.5em}
"""

JS = """
document.addEventListener('keydown', function (ev) {
  var t = ev.target.tagName;
  if (t === 'INPUT' || t === 'SELECT' || t === 'TEXTAREA') { if (ev.key === 'Escape') ev.target.blur(); return; }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var go = function (id) { var el = document.getElementById(id); if (el) { el.click(); ev.preventDefault(); } };
  if (ev.key === 'j') go('next');
  else if (ev.key === 'k') go('prev');
  else if (ev.key === 'a') go('accept');
  else if (ev.key === 'c') go('confirm');
  else if (ev.key === 'l') go('list');
  else if (ev.key === 'v') { var v = document.getElementById('value'); if (v) { v.focus(); ev.preventDefault(); } }
});
"""

KEYS = (
    "<p class=keys>Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous item, <kbd>a</kbd> accept suggestion, "
    "<kbd>c</kbd> confirm as printed, <kbd>v</kbd> type a value (<kbd>Enter</kbd> saves), "
    "<kbd>l</kbd> back to the list, <kbd>Esc</kbd> leave a field.</p>"
)


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, nonce: str) -> str:
    return (
        f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>{e(title)}</title>"
        f'<meta http-equiv=Content-Security-Policy content="{e(csp(nonce))}">'
        f'<style nonce="{nonce}">{CSS}</style></head><body>{body}'
        f'<script nonce="{nonce}">{JS}</script></body></html>'
    )


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


# ---- rendering -------------------------------------------------------------------------


def list_body(
    rows: list[Summary],
    counts: dict[str, dict[str, int]],
    status: str,
    rule: str | None,
    *,
    static: bool = False,
    total: int | None = None,
    page_number: int = 0,
) -> str:
    link = "#item-" if static else "/item/"
    total = len(rows) if total is None else total
    filters = "" if static else "· show " + " ".join(f'<a href="/?status={s}">{s}</a>' for s in (*STATUSES, "all"))
    count_rows = "".join(
        f"<tr><td>{_rule_link(r, status, static)}</td>" + "".join(f"<td>{by[s]}</td>" for s in STATUSES) + "</tr>"
        for r, by in counts.items()
    )
    items = "".join(_list_row(s, link) for s in rows)
    first = f'<a id=next href="{link}{e(rows[0].id)}">first item</a>' if rows else "nothing to review"
    return (
        f"<header><b>Review queue</b> — {e(status)} items{' of ' + e(rule) if rule else ''}: {total} "
        f"{filters}</header><main>{KEYS}<p>{first}</p>"
        f"<table><tr><th>rule</th>{''.join(f'<th>{s}</th>' for s in STATUSES)}</tr>{count_rows}</table>"
        f"{_pages(total, page_number, status, rule) if not static else ''}"
        f"<table id=items><tr><th>item</th><th>status</th><th>rule</th><th>scope</th><th>report</th>"
        f"<th>reason</th></tr>{items}</table></main>"
    )


def _pages(total: int, number: int, status: str, rule: str | None) -> str:
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if pages <= 1:
        return ""
    query = f"status={quote(status)}" + (f"&amp;rule={quote(rule)}" if rule else "")
    links = " ".join(
        f"<b>{n + 1}</b>" if n == number else f'<a href="/?{query}&amp;page={n}">{n + 1}</a>' for n in range(pages)
    )
    return f"<p class=pages>Page {links}</p>"


def _rule_link(rule: str, status: str, static: bool) -> str:
    return e(rule) if static else f'<a href="/?rule={quote(rule)}&amp;status={quote(status)}">{e(rule)}</a>'


def _list_row(s: Summary, link: str) -> str:
    return (
        f'<tr><td><a href="{link}{e(s.id)}">{e(s.id)}</a></td><td class={e(s.status)}>{e(s.status)}</td>'
        f"<td>{e(s.rule)}</td><td>{e(s.scope)}</td><td>{e(s.path)}</td><td>{e(s.reason)}</td></tr>"
    )


def item_body(item: QueueItem, text: str | None, title: str = "", form: str = "") -> str:
    """The item: reason, decision, cells as each reader read them, the source with its spans marked."""
    decided = ""
    if item.resolution:
        r = item.resolution
        decided = (
            f"<p class=resolved>Decision: {e(decision_label(item))} {e(_values(r['values']))} by {e(r['by'])} "
            f"at {e(r['at'])}{' — ' + e(r['note']) if r['note'] else ''}</p>"
        )
    rows = "".join(
        f"<tr><td>{e(c.key)}</td><td>{e(c.label)}"
        f"{'<br><small class=where>' + e(c.where) + '</small>' if c.where else ''}</td>"
        f"<td>{_num(c.parser)}</td><td>{_num(c.model)}</td>"
        f"<td>{_num(c.suggestion)}</td><td>{_num(c.final)}</td><td>{_num(c.decided)}</td></tr>"
        for c in cell_rows(item)
    )
    table = (
        f"<table class=cells><tr><th>cell</th><th>label</th><th>parser read</th><th>model read</th>"
        f"<th>suggestion</th><th>in report</th><th>decided</th></tr>{rows}</table>"
        if rows
        else ""
    )
    return (
        f"<h2><span class={e(item.status)}>{e(item.status)}</span> {e(item.rule)} · {e(item.scope)} "
        f"<small>({e(item.severity)})</small></h2><p class=reason>{e(item.reason)}</p>{decided}"
        f"<p>Report: <b class=agency>{e(title)}</b> {e(item.path)} <small>sha256 {e(item.sha256)}</small></p>"
        f"{table}{form}{source_html(item, text)}"
    )


def _item_of(store: Store, item: QueueItem, form: str = "") -> str:
    return item_body(item, store.document_text(item.sha256), store.document_title(item.sha256), form)


def source_html(item: QueueItem, text: str | None) -> str:
    if text is None:
        return "<p>(the source text is not stored in the queue)</p>"
    marks = item_marks(item, len(text))
    if not marks:
        return "<p>(no span to show: the item is about the report as a whole)</p>"
    parts = []
    for excerpt in excerpts(text, marks):
        runs = "".join(
            f'<mark class="{"model" if "model" in labels else "cell"}" title="{e(", ".join(labels))}">{e(run)}</mark>'
            if labels
            else e(run)
            for run, labels in segments(text, excerpt)
        )
        parts.append(f"<p><small>characters {excerpt.start}–{excerpt.end}</small></p><pre>{runs}</pre>")
    return "".join(parts)


def resolve_form(item: QueueItem, token: str, reviewer: str) -> str:
    cells = item.cells
    choose = (
        "<select name=cell id=cell>" + "".join(f"<option>{e(c)}</option>" for c in cells) + "</select>"
        if len(cells) > 1
        else (f'<input type=hidden name=cell value="{e(cells[0])}">' if cells else "")
    )
    value = (
        f"<label>Value {choose}<input id=value name=value inputmode=decimal autocomplete=off></label>"
        "<button name=action value=value id=set>Set value</button>"
        if cells
        else ""
    )
    accept = (
        "<button name=action value=suggestion id=accept>Accept suggestion (a)</button>"
        if item.suggestion is not None
        else ""
    )
    confirm = "Tables not published (c)" if item.rule == "table.missing" else "Confirm as printed (c)"
    return (
        f'<form method=post action="/item/{e(item.id)}/resolve">'
        f'<input type=hidden name=csrf value="{e(token)}">{value}{accept}'
        f"<button name=action value=confirmed id=confirm>{confirm}</button><br>"
        f"<label>Note <input name=note size=40></label>"
        f'<label>By <input name=by value="{e(reviewer)}" required></label></form>'
    )


def _values(values: dict[str, object]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items()) or "(no values)"


def _num(value: object) -> str:
    return "—" if value is None else e(value)


def static_page(store: Store, *, status: str = "all") -> str:
    """Every item (of this status) on one self-contained, read-only page."""
    rows = store.summaries(status=status)
    body = list_body(rows, store.counts(), status, None, static=True)
    sections = "".join(
        f'<section class=item id="item-{e(i.id)}">{_item_of(store, i)}</section>' for i in store.items(status=status)
    )
    body = body.replace("</main>", f"{sections}</main>").replace(KEYS, "<p>Read-only copy of the review queue.</p>")
    return page("Review queue (read-only)", body, secrets.token_urlsafe(16))


# ---- the server ------------------------------------------------------------------------


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, queue: str, host: str, port: int, reviewer: str) -> None:
        super().__init__((host, port), _Handler)
        self.queue, self.reviewer = queue, reviewer
        self.token = secrets.token_urlsafe(32)
        self.hosts = {f"{name}:{self.server_port}" for name in (host, "127.0.0.1", "localhost")}


def make_server(queue: str, *, host: str = "127.0.0.1", port: int = 8765, reviewer: str = "") -> ReviewServer:
    return ReviewServer(queue, host, port, reviewer)


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer

    def log_message(self, format: str, *args: object) -> None:  # quiet: the terminal is the reviewer's
        pass

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with Store(self.server.queue) as store:
            if url.path == "/":
                status, rule = query.get("status", "open"), query.get("rule") or None
                number = int(query["page"]) if query.get("page", "").isdigit() else 0
                rows = store.summaries(status=status, rule=rule, limit=PAGE_SIZE, offset=number * PAGE_SIZE)
                body = list_body(
                    rows, store.counts(), status, rule, total=store.count(status=status, rule=rule), page_number=number
                )
                self._send(HTTPStatus.OK, "Review queue", body)
            elif url.path.startswith("/item/"):
                self._show(store, url.path.removeprefix("/item/"))
            else:
                self._plain(HTTPStatus.NOT_FOUND, "not found")

    def _show(self, store: Store, item_id: str) -> None:
        try:
            item = store.get(item_id)
        except StoreError as err:
            self._plain(HTTPStatus.NOT_FOUND, str(err))
            return
        body = _item_of(store, item, resolve_form(item, self.server.token, self.server.reviewer))
        nav = '<a id=list href="/">list</a>' + "".join(
            f' · <a id={name} href="/item/{e(other)}">{name}</a>'
            for name, other in zip(("prev", "next"), _neighbours(store, item), strict=True)
            if other
        )
        self._send(HTTPStatus.OK, f"Review {item.id}", f"<header>{nav}</header><main>{KEYS}{body}</main>")

    def do_POST(self) -> None:
        if not (self._host_ok() and self._origin_ok()):
            return
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "item" or parts[2] != "resolve":
            self._plain(HTTPStatus.NOT_FOUND, "not found")
            return
        form = self._form()
        if form is None or not hmac.compare_digest(form.get("csrf", ""), self.server.token):
            self._plain(HTTPStatus.FORBIDDEN, "refused: missing or wrong form token (reload the page)")
            return
        self._resolve(parts[1], form)

    def _resolve(self, item_id: str, form: dict[str, str]) -> None:
        action = form.get("action", "")
        try:
            value = _number(form.get("value", "")) if action == "value" else None
            with Store(self.server.queue) as store:
                store.resolve(
                    item_id,
                    action,
                    by=form.get("by", ""),
                    note=form.get("note", ""),
                    value=value,
                    cell=form.get("cell") or None,
                )
                following = _neighbours(store, store.get(item_id))[1]
        except StoreError as err:
            self._plain(HTTPStatus.BAD_REQUEST, f"not saved: {err}")
            return
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", f"/item/{following}" if following else "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _form(self) -> dict[str, str] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get_content_type() != "application/x-www-form-urlencoded" or not 0 < length <= MAX_BODY:
            return None
        body = self.rfile.read(length).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(body).items()}

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.server.hosts:
            return True
        self._plain(HTTPStatus.FORBIDDEN, "refused: unexpected Host header")
        return False

    def _origin_ok(self) -> bool:
        """A browser names the page that sent a POST; only this server's own pages may write."""
        origin = self.headers.get("Origin")
        allowed = {f"http://{host}" for host in self.server.hosts}
        if origin is None:
            referer = self.headers.get("Referer")
            origin = f"{urlsplit(referer).scheme}://{urlsplit(referer).netloc}" if referer else None
        if origin is None or origin in allowed:
            return True
        self._plain(HTTPStatus.FORBIDDEN, "refused: cross-site request")
        return False

    def _send(self, status: HTTPStatus, title: str, body: str) -> None:
        nonce = secrets.token_urlsafe(16)
        self._reply(status, page(title, body, nonce).encode(), "text/html; charset=utf-8", csp(nonce))

    def _plain(self, status: HTTPStatus, message: str) -> None:
        self._reply(status, (message + "\n").encode(), "text/plain; charset=utf-8", "default-src 'none'")

    def _reply(self, status: HTTPStatus, data: bytes, kind: str, policy: str) -> None:
        self.send_response(status)
        for name, value in _headers(kind, policy, len(data)):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _neighbours(store: Store, item: QueueItem) -> tuple[str | None, str | None]:
    """Previous and next open items; for a decided item, 'next' wraps to the first open one."""
    before, after = store.neighbours(item)
    if after is None and (first := store.summaries(status="open", limit=1)) and first[0].id != item.id:
        after = first[0].id
    return before, after


def _headers(kind: str, policy: str, length: int) -> Iterable[tuple[str, str]]:
    return (
        ("Content-Type", kind),
        ("Content-Length", str(length)),
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    )


def _number(text: str) -> int | float:
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        raise StoreError(f"{text!r} is not a number; type the value as digits") from None
    if not math.isfinite(value):
        raise StoreError(f"{text!r} is not a number; type the value as digits")
    return int(value) if value.is_integer() else value
