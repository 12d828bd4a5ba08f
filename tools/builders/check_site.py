"""Check the built lesson website in a real browser (headless Chromium).

    python -m tools.builders.check_site [build/site]     # exit 1 and list the problems

For every page: it loads with its title; no request fails and none leaves
this machine (which catches any CDN); every image has loaded and has
alternative text, and an episode shows at least the figures its page
declares; each solution is hidden until its title is clicked; maths is
typeset; every internal link and notebook download resolves; previous/next
lead to the neighbouring pages; and axe-core (shipped inside the
axe-playwright-python package, so nothing is fetched) finds no WCAG 2 A or AA
violation, in the light theme, in the dark one and in a window 320 CSS pixels
wide, where the page must also reflow without scrolling sideways (WCAG 1.4.10:
a 1280-pixel screen at 400 % zoom, or a phone; code blocks, tables and maths
scroll inside their own boxes). A screenshot of
each page is saved to ``build/screenshots/``. The test suite runs this in
tests/test_site.py.

Chromium comes from the system (Debian's ``chromium`` package), not from
Playwright's own download, which needs the internet.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse
from urllib.request import urlopen

from tools.layout import ROOT

SITE = ROOT / "build" / "site"
MANIFEST = ROOT / "build" / "site-manifest.json"
SCREENSHOTS = ROOT / "build" / "screenshots"
#: Flags for Chromium on a machine without a display or a network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
#: The accessibility audit: axe-core's rules for WCAG 2.0 and 2.1, levels A and AA.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
COLOR_SCHEMES = ("light", "dark")  # the theme follows the reader's system setting
VIEWPORT = {"width": 1280, "height": 900}
#: WCAG 1.4.10 (Reflow): content fits 320 CSS pixels without a sideways scroll.
NARROW = {"width": 320, "height": 800}


def chromium_path() -> str | None:
    """The system's Chromium, or None."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    found = (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))
    return next((path for path in found if path), None)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def in_background(server):
    """Run an HTTP ``server`` in a thread; yield its base address; shut it down afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1; yield the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    with in_background(server) as base:
        yield base + "/"


# JavaScript run in each page: what the checks need from the DOM.
PAGE_FACTS = """() => {
  const imgs = [...document.querySelectorAll('article img, main img')];
  return {
    title: document.title,
    images: imgs.map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
                            alt: (i.getAttribute('alt') || '').trim(),
                            figure: i.classList.contains('lesson-figure')})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    prev: (document.querySelector('a.left-prev') || {}).href || null,
    next: (document.querySelector('a.right-next') || {}).href || null,
    maths: document.querySelectorAll('mjx-container').length,
    maths_errors: document.querySelectorAll('mjx-merror').length,
    raw_maths: [...document.querySelectorAll('.math')].filter(
        e => !e.querySelector('mjx-container')).length,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  };
}"""


def check_site(site: Path = SITE, manifest_path: Path = MANIFEST, pages: list[str] | None = None,
               screenshots: Path | None = SCREENSHOTS) -> list[str]:
    """Problems found on the site, one line each (an empty list: all is well)."""
    from playwright.sync_api import sync_playwright

    manifest = json.loads(Path(manifest_path).read_text())
    order = manifest["order"]
    expected = {p["slug"]: p for p in manifest["pages"]}
    problems: list[str] = []
    browser_path = chromium_path()
    if browser_path is None:
        return ["no Chromium found: install Debian's `chromium` package (or set CHROMIUM)"]
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        ids_by_page: dict[str, set] = {}
        links: set[str] = set()
        for slug in pages or order:
            url = urljoin(base, f"{slug}.html")
            page = context.new_page()
            failed: list[str] = []

            watch(page, failed)
            response = page.goto(url, wait_until="networkidle")
            where = f"{slug}.html"
            if response is None or response.status != 200:
                problems.append(f"{where}: the page does not load "
                                f"(HTTP {response.status if response else 'no response'})")
                page.close()
                continue
            if expected.get(slug, {}).get("maths"):
                page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0",
                                       timeout=15000)
            facts = page.evaluate(PAGE_FACTS)
            problems += [f"{where}: {f}" for f in failed]
            problems += page_problems(where, slug, facts, expected.get(slug), order, base)
            problems += accessibility_problems(f"{where} (light theme)", page)
            problems += solution_problems(where, page)
            ids_by_page[url] = set(facts["ids"])
            links.update(link for link in facts["links"] if link.startswith(base))
            if screenshots:
                page.screenshot(path=str(screenshots / f"{slug}.png"), full_page=True)
            page.close()
        for label, viewport, scheme in (("dark theme", VIEWPORT, "dark"),
                                        ("320 px wide", NARROW, "light")):
            again = browser.new_context(viewport=viewport, color_scheme=scheme)
            for slug in pages or order:
                page = again.new_page()
                page.goto(urljoin(base, f"{slug}.html"), wait_until="networkidle")
                where = f"{slug}.html ({label})"
                if viewport is NARROW:
                    problems += reflow_problems(where, page)
                problems += accessibility_problems(where, page)
                page.close()
            again.close()
        browser.close()
        problems += link_problems(links, ids_by_page, base)
    return problems


# JavaScript: the outermost visible elements that reach past the window's right edge,
# leaving out those inside a box that scrolls or clips them (a code block, say) and
# those fixed to the window.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const page = {width: width, scrolls: document.documentElement.scrollWidth, sticking_out: []};
  if (page.scrolls <= width) return page;
  const out = e => e.getBoundingClientRect().right > width + 1;
  const clipped = e => {  // or in a drawer fixed to the window (the theme's sidebars)
    if (getComputedStyle(e).position === 'fixed') return true;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== 'visible' || getComputedStyle(a).position === 'fixed')
        return true;
    return false;
  };
  // its own text too long for it (a long word in a heading, say)
  const spills = e => getComputedStyle(e).overflowX === 'visible'
    && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
    && e.getBoundingClientRect().left + e.scrollWidth > width + 1;
  page.sticking_out = [...document.querySelectorAll('body *')]
    .filter(e => (out(e) ? !out(e.parentElement) : spills(e)) && e.checkVisibility() && !clipped(e))
    .map(e => `${e.tagName.toLowerCase()}.${(e.getAttribute('class') || '').split(' ')[0]} `
              + `"${e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40)}" `
              + `(${Math.round(e.getBoundingClientRect().left + Math.max(
                  e.getBoundingClientRect().width, e.scrollWidth))} px)`);
  return page;
}"""


def reflow_problems(where, page) -> list[str]:
    """A line if the page scrolls sideways, naming what sticks out (at most three elements)."""
    found = page.evaluate(STICKING_OUT)
    if found["scrolls"] <= found["width"]:
        return []
    return [f"{where}: the page scrolls sideways ({found['scrolls']} px of content in "
            f"{found['width']} px); sticking out: " + ("; ".join(found["sticking_out"][:3]) or "?")]


def accessibility_problems(where, page) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page, one line per rule with its first node."""
    from axe_playwright_python.sync_playwright import Axe

    if page.evaluate("document.documentElement.dataset.theme") not in COLOR_SCHEMES:
        return [f"{where}: the theme set no data-theme, so the audit cannot tell which it checked"]
    problems = []
    for violation in Axe().run(page, options=AXE_OPTIONS).response["violations"]:
        node = violation["nodes"][0]
        said = (node.get("any") or node.get("all") or node.get("none") or [{}])[0].get("message", "")
        problems.append(f"{where}: accessibility ({violation['id']}, {len(violation['nodes'])} "
                        f"element(s)), e.g. {' '.join(map(str, node['target']))}: {said}")
    return problems


def watch(page, failed: list[str]) -> None:
    """Record every failed request; abort and record any to another host (a CDN, say)."""
    def route(route, request):
        if urlparse(request.url).hostname == "127.0.0.1" or request.url.startswith("data:"):
            route.continue_()
        else:
            failed.append(f"request to another host: {request.url}")
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: failed.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"HTTP {r.status}: {r.url}"))


def page_problems(where, slug, facts, expected, order, base) -> list[str]:
    problems = []
    if expected and expected["title"] not in facts["title"]:
        problems.append(f"{where}: title {facts['title']!r} lacks {expected['title']!r}")
    for image in facts["images"]:
        if not image["loaded"]:
            problems.append(f"{where}: image did not load: {image['src']}")
        if not image["alt"]:
            problems.append(f"{where}: image without alternative text: {image['src']}")
    if expected:
        shown = sum(1 for i in facts["images"] if i["figure"] and i["loaded"])
        if shown < max(expected["figures"], expected["declared_figures"]):
            problems.append(f"{where}: {shown} figures shown, the page's code draws "
                            f"{max(expected['figures'], expected['declared_figures'])}")
        diagrams = sum(1 for i in facts["images"] if not i["figure"] and i["loaded"]
                       and i["src"].endswith(".svg"))
        if diagrams < expected.get("diagrams", 0):
            problems.append(f"{where}: {diagrams} diagrams shown, the page links "
                            f"{expected['diagrams']}")
        if expected["maths"] and (not facts["maths"] or facts["maths_errors"] or facts["raw_maths"]):
            problems.append(f"{where}: maths not typeset ({facts['maths']} formulas, "
                            f"{facts['maths_errors']} errors, {facts['raw_maths']} left as text)")
    index = order.index(slug) if slug in order else None
    if index is not None:
        want_prev = urljoin(base, f"{order[index - 1]}.html") if index > 0 else None
        want_next = urljoin(base, f"{order[index + 1]}.html") if index + 1 < len(order) else None
        got_prev = urldefrag(facts["prev"])[0] if facts["prev"] else None
        got_next = urldefrag(facts["next"])[0] if facts["next"] else None
        if got_prev != want_prev:
            problems.append(f"{where}: 'previous' leads to {got_prev}, expected {want_prev}")
        if got_next != want_next:
            problems.append(f"{where}: 'next' leads to {got_next}, expected {want_next}")
    return problems


def solution_problems(where, page) -> list[str]:
    """Every solution starts hidden and opens when its title is clicked."""
    problems = []
    solutions = page.locator("div.solution")
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator("section").first
        if body.count() == 0:
            problems.append(f"{where}: solution {i + 1} has no content")
            continue
        if body.is_visible():
            problems.append(f"{where}: solution {i + 1} is visible before it is clicked")
            continue
        # The title holds a link to its exercise; the toggle button beside it opens the box.
        solution.locator(".admonition-title button.toggle-button").first.click()
        try:
            body.wait_for(state="visible", timeout=3000)
        except Exception:
            problems.append(f"{where}: solution {i + 1} does not open when clicked")
    return problems


def link_problems(links: set[str], ids_by_page: dict[str, set], base: str) -> list[str]:
    """Every internal link resolves; a link to an anchor finds its target."""
    problems = []
    for link in sorted(links):
        address, fragment = urldefrag(link)
        if address in ids_by_page:
            ids = ids_by_page[address]
        else:
            try:
                with urlopen(address, timeout=10) as response:
                    body = response.read()
            except Exception as error:
                problems.append(f"broken link: {link} ({error})")
                continue
            if address.endswith(".ipynb"):
                try:
                    notebook = json.loads(body)
                    assert notebook["cells"]
                except Exception:
                    problems.append(f"notebook download is not a notebook: {link}")
                continue
            ids = None
        if fragment and ids is not None and unquote(fragment) not in ids:
            problems.append(f"broken anchor: {link}")
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else SITE
    problems = check_site(site)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems; screenshots in {SCREENSHOTS.relative_to(ROOT)}/")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
