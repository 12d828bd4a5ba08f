"""The lesson website: built from the pages and the executed notebooks, checked in Chromium.

The site is built from build/notebooks/, which this test run's executions
wrote (conftest.py's ``executed``, tools/run/execute.py): each notebook runs once
per test run, and the site shows what the notebook tests judged.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tools import project
from tools.builders import build_site, check_site
from tests import prose
from tools.pages import lesson


@pytest.fixture(scope="session")
def site(executed) -> Path:
    for page in lesson.episodes():
        row, _ = executed(page)
        assert row["error"] is None, f"{page.name}: {row['error']}"
    return build_site.build().parent


@pytest.fixture(scope="session")
def manifest(site) -> dict:
    return json.loads(build_site.MANIFEST.read_text())


def needs_chromium():
    if check_site.chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: install Debian's chromium package")
        pytest.skip("no Chromium here: `apt install chromium` to run the browser test")


def test_every_page_is_built_in_reading_order(site, manifest):
    pages = build_site.site_pages()
    assert manifest["order"] == ["index"] + [p.slug for p in pages] + ["license"]
    for slug in manifest["order"]:
        assert (site / f"{slug}.html").is_file(), slug
    episodes = [p for p in pages if p.kind == "episode"]
    assert len(episodes) == 6


def test_every_page_shows_the_lesson_version(site, manifest):
    for slug in manifest["order"]:
        footer = (site / f"{slug}.html").read_text().split('class="extra_footer"', 1)
        assert len(footer) == 2, slug
        assert f"Lesson version {project.version()} " in footer[1], slug
        assert f"/blob/{project.release_tag()}/CHANGELOG.md" in footer[1], slug


def test_every_episode_has_its_figures_solutions_and_notebooks(site, manifest):
    for page in manifest["pages"]:
        if page["kind"] not in ("episode", "bonus"):
            continue
        html = (site / f"{page['slug']}.html").read_text()
        assert page["figures"] >= page["declared_figures"] > 0, page
        assert html.count('class="lesson-figure') >= page["figures"]
        assert page["exercises"] >= 1 and page["solutions"] >= page["exercises"]
        # Glossary terms linked at first use (the browser check follows each anchor).
        assert len(re.findall(r'href="reference.html#[\w-]+"', html)) >= len(page["glossary"])
        if page["kind"] == "episode":
            assert len(page["glossary"]) >= 5, page["slug"]
        for notebook in re.findall(r'href="(notebooks/[^"]+\.ipynb)"', html):
            assert (site / notebook).is_file(), notebook
        assert f"notebooks/exercises/{page['slug']}-exercises.ipynb" in html
        assert "colab.research.google.com/github/" in html


def test_nothing_is_loaded_from_a_cdn(site):
    remote = re.compile(r'(?:src|href)="(https?://[^"]+)"')
    for html in site.glob("*.html"):
        text = html.read_text()
        loaded = [url for url in remote.findall(text)
                  if re.search(r"<(?:script|link|img)[^>]*" + re.escape(url), text)]
        assert loaded == [], f"{html.name} loads {loaded}"


def test_site_in_a_real_browser(site):
    needs_chromium()
    problems = check_site.check_site(site)
    assert problems == [], "\n".join(problems)


def test_browser_check_finds_a_broken_site(site, tmp_path):
    """The browser check fails on a missing figure, a dead link, a CDN and an open solution."""
    needs_chromium()
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    name = lesson.page_with(prose.PENGUINS).name  # figures, solutions
    page = broken / f"{name}.html"
    html = page.read_text()
    figure = re.search(r'src="(_images/[^"]+)"', html)[1]
    (broken / figure).unlink()
    (broken / "setup.html").unlink()
    html = html.replace("</head>", '<script src="https://cdn.example.org/x.js"></script></head>', 1)
    html = html.replace('class="solution dropdown', 'class="solution', 1)
    page.write_text(html)
    problems = "\n".join(check_site.check_site(broken, pages=["index", name], screenshots=None))
    assert f"image did not load: {figure}" in problems
    assert "setup.html" in problems and "broken link" in problems
    assert "request to another host: https://cdn.example.org/x.js" in problems
    assert "solution 1 is visible before it is clicked" in problems


def site_without(site: Path, tmp_path: Path, rule: str, instead: str = "") -> Path:
    """A copy of the built site whose lesson.css has ``rule`` replaced by ``instead``."""
    needs_chromium()
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    css = broken / "_static" / "lesson.css"
    assert rule in css.read_text()
    css.write_text(css.read_text().replace(rule, instead))
    return broken


def test_accessibility_audit_finds_a_contrast_fault(site, tmp_path):
    """With the light theme's fix for Keras's summary colours removed, axe-core objects."""
    broken = site_without(site, tmp_path, 'html[data-theme="light"] div.output span[style*="color: #0087ff"]',
                          ".no-such-element")
    name = lesson.page_with(prose.PENGUINS).name  # model summaries
    problems = "\n".join(check_site.check_site(broken, pages=[name], screenshots=None))
    assert f"{name}.html (light theme): accessibility (color-contrast" in problems
    assert "#0087ff" in problems
    assert "(dark theme)" not in problems  # the dark theme's fix is still there


def test_reflow_check_finds_a_page_that_scrolls_sideways(site, tmp_path):
    """Without the narrow-window rule for inline code, a long name on episode 5 widens the
    page past 320 px, and the check names it; the wide screen's checks do not mind."""
    broken = site_without(site, tmp_path, "code.literal, code.literal span.pre "
                          "{ white-space: normal; overflow-wrap: anywhere; }")
    name = lesson.page_with("keras.applications.mobilenet_v2.preprocess_input").name
    problems = check_site.check_site(broken, pages=[name], screenshots=None)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{name}.html (320 px wide): the page scrolls sideways")
    assert 'code.docutils "keras.applications.mobilenet_v2.preproce' in problems[0]
