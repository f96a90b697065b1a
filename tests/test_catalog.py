"""The catalog page (out/index.html): what a full build lists, and its search in a real Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from conftest import make_project, run
from handout_builder.build.incremental import build
from handout_builder.editions import LARGE_PRINT, Variant

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def catalog_build(tmp_path_factory) -> Path:
    """The sample clinic built on letter (regular and large print) and then on A4: its output folder."""
    project = make_project(tmp_path_factory.mktemp("catalog") / "project")
    build(project, variants=(Variant(), Variant.of(LARGE_PRINT)), log=lambda line: None)
    result = run("build", "--paper", "a4", project=project)
    assert result.exit_code == 0, result.output
    return project / "out"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])


def test_catalog_links_every_pdf_in_the_manifest_with_a_thumbnail(catalog_build):
    manifest = json.loads((catalog_build / "manifest.json").read_text())
    assert {(e["paper"], e["variant"]) for e in manifest} == {
        ("letter", "regular"), ("letter", "large-print"), ("a4", "regular")}
    links = Links()
    links.feed((catalog_build / "index.html").read_text())
    assert sorted(links.hrefs) == sorted(e["path"] for e in manifest)
    assert len(links.srcs) == len(manifest)
    for src in links.srcs:
        assert re.fullmatch(r"thumbs/en/(letter|a4)/[a-z-.]+\.[0-9a-f]{12}\.png", src)
        with Image.open(catalog_build / src) as thumb:
            assert thumb.width == 240
        assert (catalog_build / src).stat().st_size < 20_000
    # Opened from disk: nothing is fetched from anywhere else.
    assert not [u for u in links.hrefs + links.srcs if ":" in u or u.startswith(("/", ".."))]


def test_catalog_shows_title_pages_review_date_and_edition(catalog_build):
    page = (catalog_build / "index.html").read_text()
    assert "<h1>Sample Skin Clinic: patient handouts</h1>" in page
    assert page.index("<h2 id=\"kind-1\">Topics</h2>") < page.index(">Drugs</h2>") < page.index(">Brochure</h2>")
    assert "Testo (testinib cream)" in page
    assert re.search(r"Reviewed [A-Z][a-z]+ 20\d\d", page)
    assert '<span class="badge">Large print</span>' in page
    assert "English · A4" in page and "English · Letter" in page
    assert "8 pages" in page  # the brochure
    assert '<label for="find">Find a handout</label>' in page


def test_a_rebuilt_pdf_gets_a_new_thumbnail_and_the_old_one_goes(project):
    assert run("build", project=project).exit_code == 0
    old = sorted((project / "out/thumbs").rglob("*.png"))
    topic = project / "handouts/topics/about-patches.en.md"
    topic.write_text(topic.read_text().replace("## ", "## Note\n\nA new paragraph.\n\n## ", 1))
    assert run("build", project=project).exit_code == 0
    new = sorted((project / "out/thumbs").rglob("*.png"))
    assert len(new) == len(old) == 3
    changed = set(new) - set(old)
    # The brochure holds the topic, so it changes too; the drug handout keeps its thumbnail.
    assert sorted(p.name.split(".")[0] for p in changed) == ["about-patches", "brochure"]


def test_building_named_handouts_leaves_the_catalog_alone(project):
    result = run("build", "testinib", project=project)
    assert result.exit_code == 0
    assert not (project / "out/index.html").exists()
    assert "index.html" not in result.output


needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None,
                                    reason="Debian's chromium is not installed (make test installs it)")


@needs_chromium
def test_search_filters_as_you_type_in_chromium(catalog_build, tmp_path, chromium):
    page = chromium.new_page(viewport={"width": 1000, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((catalog_build / "index.html").as_uri())
    visible = page.locator(".edition:visible")
    assert visible.count() == 9
    assert page.get_by_role("status").inner_text() == "9 PDFs"

    search = page.get_by_label("Find a handout")
    assert search.evaluate("el => el === document.activeElement")  # ready to type
    search.press_sequentially("testo")
    assert visible.count() == 3
    assert page.get_by_role("status").inner_text() == "3 of 9 PDFs match"
    assert page.locator("h2:visible").all_inner_texts() == ["Drugs"]

    search.fill("")
    search.press_sequentially("a4 ENGLISH")
    assert sorted(visible.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")) == [
        "en/a4/about-patches.pdf", "en/a4/brochure.pdf", "en/a4/testinib.pdf"]

    search.fill("")
    search.press_sequentially("large print patch")
    assert visible.count() == 1
    page.screenshot(path=str(tmp_path / "catalog-search.png"), full_page=True)

    search.press_sequentially("x")
    assert visible.count() == 0
    assert page.get_by_text("No handout matches your search.").is_visible()
    search.press("Escape")
    assert visible.count() == 9

    # Keyboard only: Tab from the search box reaches the first PDF, Enter opens it.
    search.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "en/letter/about-patches.pdf"
    assert all(url.startswith("file://") for url in requests), requests

    small = chromium.new_page(viewport={"width": 360, "height": 740})
    small.goto((catalog_build / "index.html").as_uri())
    assert small.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    small.screenshot(path=str(tmp_path / "catalog-phone.png"))
    page.close()
    small.close()
    assert (tmp_path / "catalog-search.png").stat().st_size > 10_000
