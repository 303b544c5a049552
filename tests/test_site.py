"""The built book, opened in a real browser with no network.

A session fixture builds the HTML book from the sources into a temporary
directory (the README's build, with warnings as errors), serves it on
127.0.0.1 and opens every page in headless Chromium, driven by Playwright.
Every request that leaves 127.0.0.1 is refused and recorded, so the pages
must render from what the book ships.

These tests need a Chromium executable (Debian: ``apt-get install
chromium``). Without one they are skipped, unless the environment sets
``LAZYRICH_REQUIRE_BROWSER=1`` (as CI does), which turns the skip into a
failure. ``LAZYRICH_CHROMIUM`` may name the executable, and
``LAZYRICH_SITE`` an existing HTML build to test instead of a fresh one.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture then skips (or fails) with a message
    PlaywrightTimeout = TimeoutError

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _toc_pages():
    """Document names of every page in ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [str(Path(page).with_suffix("")) for page in pages]


PAGES = _toc_pages()
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


def _chromium():
    candidates = [os.environ.get("LAZYRICH_CHROMIUM")]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    message = (
        "no Chromium executable found (install Debian's 'chromium' or set "
        "LAZYRICH_CHROMIUM to its path)"
    )
    if os.environ.get("LAZYRICH_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Path of a fresh HTML build of the book (or of ``$LAZYRICH_SITE``)."""
    if os.environ.get("LAZYRICH_SITE"):
        return Path(os.environ["LAZYRICH_SITE"])
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out)]
    command += ["-W", "-n", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


class Visit:
    """One page opened offline, with what went wrong while loading it."""

    def __init__(self, browser, url, color_scheme="light"):
        self.context = browser.new_context(color_scheme=color_scheme)
        self.blocked, self.failed, self.errors = [], [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"),
        )
        self.page.goto(url, wait_until="load")
        # MathJax typesets asynchronously; its startup promise resolves when
        # the first pass over the page is done.
        try:
            self.page.wait_for_function(
                "() => !document.querySelector('.math') || "
                "(window.MathJax && MathJax.startup && MathJax.startup.promise)",
                timeout=15_000,
            )
        except PlaywrightTimeout:
            self.errors.append("MathJax did not start within 15 s")
        self.page.evaluate(
            "() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null"
        )

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def close(self):
        self.context.close()


@pytest.fixture(scope="session")
def visit(browser, base_url):
    """Open a page once per session; later calls reuse the loaded page."""
    opened = {}

    def open_page(page, color_scheme="light"):
        key = (page, color_scheme)
        if key not in opened:
            url = f"{base_url}/{page}.html"
            opened[key] = Visit(browser, url, color_scheme=color_scheme)
        return opened[key]

    yield open_page
    for v in opened.values():
        v.close()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(visit, page):
    v = visit(page)
    assert v.blocked == [], f"{page} requests outside the site: {v.blocked}"
    assert v.failed == [], f"{page} failed to load: {v.failed}"
    assert v.errors == [], f"{page} logged errors: {v.errors}"

    math = v.page.evaluate(
        """() => [...document.querySelectorAll('.math')].map(el => ({
               typeset: !!el.querySelector('mjx-container'),
               error: !!el.querySelector('mjx-merror'),
               text: el.textContent.slice(0, 80)}))"""
    )
    untypeset = [m["text"] for m in math if not m["typeset"] or m["error"]]
    assert untypeset == [], f"{page}: equations not typeset: {untypeset[:5]}"
    # No raw TeX delimiters anywhere in the prose (code is exempt).
    prose = v.page.evaluate(
        """() => { const main = document.querySelector('main').cloneNode(true);
               main.querySelectorAll('pre, code, script, mjx-container, '
                 + 'mjx-assistive-mml').forEach(el => el.remove());
               return main.innerText; }"""
    )
    for delimiter in ("\\(", "\\[", "$$", "\\begin{"):
        assert delimiter not in prose, f"{page}: raw {delimiter!r} left in the text"

    images = v.page.evaluate(
        """() => [...document.querySelectorAll('main img')].map(img => ({
               src: img.getAttribute('src').slice(0, 60), alt: img.alt,
               loaded: img.complete && img.naturalWidth > 0}))"""
    )
    assert [i["src"] for i in images if not i["loaded"]] == [], page
    assert [i["src"] for i in images if not i["alt"].strip()] == [], (
        f"{page}: images without alt text"
    )


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_page_has_launch_and_download_buttons(visit, page):
    v = visit(page)
    name = Path(page).name
    links = v.page.evaluate(
        "() => [...document.querySelectorAll('.article-header-buttons a')]"
        ".map(a => a.href)"
    )
    assert any("colab.research.google.com" in u and f"{name}.ipynb" in u for u in links)
    assert any("mybinder.org" in u and name in u for u in links)
    assert any(u.endswith(f"{name}.ipynb") and "_sources" in u for u in links), links


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_figures_are_opaque_for_the_dark_theme(visit, page):
    """Every chapter figure paints its own background.

    The dark theme puts pages on a near-black background; a figure with a
    transparent background would draw black text and axes on it.
    """
    transparent = visit(page).page.evaluate(
        """() => [...document.querySelectorAll('main .cell_output img')]
             .filter(img => {
               const c = document.createElement('canvas');
               c.width = img.naturalWidth; c.height = img.naturalHeight;
               const g = c.getContext('2d'); g.drawImage(img, 0, 0);
               const corner = g.getImageData(0, 0, 1, 1).data;
               return corner[3] < 255; })
             .map(img => img.getAttribute('src').slice(0, 60))"""
    )
    assert transparent == [], page


def test_a_reader_who_prefers_dark_gets_the_dark_theme(visit):
    v = visit(NOTEBOOK_PAGES[0], color_scheme="dark")
    assert v.page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = v.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", background


def test_embedded_widgets_render(visit, site):
    pages = [
        p
        for p in NOTEBOOK_PAGES
        if "application/vnd.jupyter.widget-state+json"
        in (site / f"{p}.html").read_text(encoding="utf-8")
    ]
    assert pages, "no page embeds a widget"
    for page in pages:
        v = visit(page)
        v.page.wait_for_selector(".jupyter-widgets.widget-slider", timeout=20_000)
        counts = v.page.evaluate(
            """() => ({
               views: document.querySelectorAll(
                 'script[type="application/vnd.jupyter.widget-view+json"]').length,
               sliders: document.querySelectorAll('.widget-slider').length})"""
        )
        assert counts["views"] > 0 and counts["sliders"] > 0, (page, counts)
        assert v.errors == [] and v.blocked == [], (page, v.errors, v.blocked)


def test_animation_slider_changes_the_frame(visit, site):
    pages = [
        p
        for p in NOTEBOOK_PAGES
        if "_anim_slider" in (site / f"{p}.html").read_text(encoding="utf-8")
    ]
    assert pages, "no page embeds a to_jshtml animation"
    for page in pages:
        v = visit(page)
        sliders = v.page.locator("input[type=range][id^=_anim_slider]")
        assert sliders.count() > 0, page
        for i in range(sliders.count()):
            slider = sliders.nth(i)
            frame = v.page.locator(
                f"#{slider.get_attribute('id')}".replace("_anim_slider", "_anim_img")
            )
            first = frame.get_attribute("src")
            last = slider.get_attribute("max")
            slider.evaluate(
                "(el, value) => { el.value = value; "
                "el.dispatchEvent(new Event('input')); }",
                last,
            )
            assert frame.get_attribute("src") != first, (page, "frame did not change")
        assert v.errors == [], (page, v.errors)


def test_search_finds_a_chapter_word(visit):
    v = visit("search")
    v.page.goto(v.page.url + "?q=Riccati", wait_until="load")
    results = v.page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    hrefs = results.evaluate_all("links => links.map(a => a.href)")
    assert any("04_riccati" in h for h in hrefs), hrefs
