"""The handout build: every exercise, no solution.

One handout build per test session (about half a minute on two cores),
into a temporary directory; the tests then read its HTML. What the pages
should contain is taken from the notebooks themselves.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(ROOT.glob("chapters/[0-9][0-9]_*.ipynb"))

# The closing sentence of the solution to the first exercise of Chapter 3,
# and a line of code from the solution to its third exercise.
SOLUTION_TEXT = "looks more and more like a delayed step"
SOLUTION_CODE = "gap = lambda t_: lr.scalar_mode([t_], s, a0, lam)[0] - 0.9 * s"
# A code cell between two solutions of Chapter 3, which the handout keeps.
KEPT_CODE = "def check_time_to_90(time_to_90):"

EXERCISE_LABEL = re.compile(r"^`{3,}\{exercise\}.*\n(?::.*\n)*?:label:\s*(\S+)", re.M)


def _source(notebook):
    cells = json.loads(notebook.read_text(encoding="utf8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells)


def _jupyter_book():
    found = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    return found or shutil.which("jupyter-book") or "jupyter-book"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout")
    env = {**os.environ, "LAZYRICH_HANDOUT": "1"}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    build = subprocess.run(
        [_jupyter_book(), "build", str(ROOT), "-W", "-n", "--keep-going"]
        + ["--path-output", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return (out / "_build" / "html").resolve()


@pytest.fixture(scope="session")
def pages(site):
    """Every HTML page of the handout, parsed once: path -> soup."""
    return {
        html: BeautifulSoup(html.read_text(encoding="utf8"), "html.parser")
        for html in sorted(site.rglob("*.html"))
    }


def _page(site, pages, notebook):
    return pages[site / "chapters" / notebook.with_suffix(".html").name]


def _text(soup):
    return " ".join(soup.get_text().split())


def test_the_phrases_are_solution_content():
    source = _source(ROOT / "chapters" / "03_one_mode.ipynb")
    solutions = re.findall(r"\{solution-start\}.*?\{solution-end\}", source, re.S)
    for phrase in (SOLUTION_TEXT, SOLUTION_CODE):
        assert any(phrase in " ".join(s.split()) for s in solutions), phrase
    assert KEPT_CODE in source
    assert not any(KEPT_CODE in s for s in solutions)


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_is_there_and_numbered(site, pages, notebook):
    labels = EXERCISE_LABEL.findall(_source(notebook))
    assert labels, f"no exercise found in {notebook.name}"
    soup = _page(site, pages, notebook)
    chapter = soup.select_one("h1 .section-number").get_text().strip(" .")
    for k, label in enumerate(labels, start=1):
        box = soup.find(id=label)
        assert box is not None and "exercise" in box["class"], label
        number = box.find(class_="caption-number").get_text().strip()
        assert number == f"Exercise {chapter}.{k}", label
        assert box.find(id="exercise-content").get_text().strip(), label


def test_no_page_has_a_solution(site, pages):
    assert len(pages) > len(CHAPTERS)
    for html, soup in pages.items():
        name = html.relative_to(site)
        assert not soup.find(class_=re.compile(r"^solution")), name
        assert not soup.find(id="solution-content"), name
        text = _text(soup)
        assert SOLUTION_TEXT not in text, name
        assert SOLUTION_CODE not in text, name


def test_no_file_of_the_site_has_solution_text(site):
    # Page sources (the notebooks), the search index, whatever is shipped.
    assert not (site / "_sources").exists()
    phrase = SOLUTION_TEXT.encode()
    for path in site.rglob("*"):
        if path.is_file():
            content = b" ".join(path.read_bytes().split())
            assert phrase not in content, path.relative_to(site)


def test_no_button_leads_to_the_full_notebooks(pages):
    """Repository, launch and download links would hand out the solutions."""
    leaks = re.compile(r"github\.com/|colab\.research|mybinder\.org|\.ipynb$")
    for path, soup in pages.items():
        buttons = soup.select(".article-header-buttons a[href]")
        hrefs = [a["href"] for a in buttons if leaks.search(a["href"])]
        assert hrefs == [], (path, hrefs)


def test_the_rest_of_the_chapter_stays(site, pages):
    soup = _page(site, pages, ROOT / "chapters" / "03_one_mode.ipynb")
    assert KEPT_CODE in _text(soup)
    for section in ("overview", "summary", "what-s-next", "exercises"):
        assert soup.find("section", id=section), section
    assert soup.find("img", src=re.compile(r"_images/"))


def test_internal_links_land_on_existing_anchors(pages):
    # References to exercises still work, and nothing points at a removed
    # solution or at anything inside one.
    ids = {
        html: {tag["id"] for tag in soup.find_all(id=True)}
        for html, soup in pages.items()
    }
    to_exercises = 0
    for html, soup in pages.items():
        for a in soup.find_all("a", class_="internal", href=True):
            to_exercises += _lands(html, a["href"], ids)
    assert to_exercises >= 5


def _lands(html, href, ids):
    """Check that href, found on page html, names an existing anchor;
    return whether it points at an exercise."""
    url = urlsplit(href)
    if not url.fragment or url.scheme:
        return False
    target = (html.parent / url.path).resolve() if url.path else html
    assert url.fragment in ids.get(target, ()), (html.name, href)
    return "-ex-" in url.fragment
