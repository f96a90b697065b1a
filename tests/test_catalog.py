"""The catalog page (out/index.html): what a full build lists, and its search in a real Chromium."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from conftest import make_project, run, translation_pairs
from handout_builder.build.incremental import build
from handout_builder.editions import LARGE_PRINT, Edition, Variant

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


def thumbnails_listed(out: Path, page: str = "index.html") -> list[str]:
    links = Links()
    links.feed((out / page).read_text(encoding="utf-8"))
    return links.srcs


def test_building_one_handout_rewrites_the_catalog_from_the_manifest(project):
    result = run("build", "testinib", project=project)
    assert result.exit_code == 0
    assert f"wrote {project / 'out/index.html'}" in result.output
    assert [Path(src).name.split(".")[0] for src in thumbnails_listed(project / "out")] == ["testinib"]

    assert run("build", project=project).exit_code == 0
    topic = project / "handouts/topics/about-patches.en.md"
    topic.write_text(topic.read_text().replace("We can treat it.", "We can treat it. Ask us how."))
    assert run("build", "about-patches", project=project).exit_code == 0
    entries = {e["path"]: e for e in json.loads((project / "out/manifest.json").read_text())}
    # The catalog shows the new edition of the topic (its thumbnail is named by the PDF's hash), and
    # still lists the others.
    assert sorted(thumbnails_listed(project / "out")) == sorted(
        f"thumbs/{Path(path).with_suffix('')}.{entry['sha256'][:12]}.png" for path, entry in entries.items())


def test_a_build_that_print_makes_rewrites_the_catalog(project):
    from handout_builder.deliver.printing import pdf_for_printing

    assert run("build", project=project).exit_code == 0
    drug = project / "handouts/drugs/testinib.en.yaml"
    drug.write_text(drug.read_text().replace("Wash your hands after.", "Wash your hands after use."))
    pdf = pdf_for_printing(project, "testinib", Edition(), log=lambda line: None)
    sha = json.loads((project / "out/manifest.json").read_text())
    sha = next(e["sha256"] for e in sha if e["path"] == "en/letter/testinib.pdf")
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == sha
    assert f"thumbs/en/letter/testinib.{sha[:12]}.png" in thumbnails_listed(project / "out")


@pytest.fixture(scope="module")
def bilingual_build(tmp_path_factory) -> Path:
    """The sample clinic in English and Spanish, regular and large print (letter): its output folder."""
    project = make_project(tmp_path_factory.mktemp("bilingual") / "project")
    build(project, langs=("en", "es"), variants=(Variant(), Variant.of(LARGE_PRINT)), log=lambda line: None,
          today=date(2026, 11, 1))
    return project / "out"


def test_a_damaged_manifest_is_rebuilt_from_the_pdfs_on_disk_with_a_warning(bilingual_build, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(bilingual_build, out)
    before = json.loads((out / "manifest.json").read_text())
    assert len(before) == 12
    (out / "manifest.json").write_text('[{"slug": "about-patches", "kind": ')  # a write cut short
    (out / "en/letter/copied-in.pdf").write_bytes((out / "en/letter/testinib.pdf").read_bytes())
    lines = []
    build(bilingual_build.parent, ("testinib",), out_dir=out, log=lines.append, today=date(2026, 11, 1))
    assert lines[0] == (f"{out / 'manifest.json'}: warning: the manifest was damaged; rebuilt it from the 12 PDFs "
                        "on disk; not listed, as no build of this folder wrote them: en/letter/copied-in.pdf "
                        "[manifest]")
    assert json.loads((out / "manifest.json").read_text()) == before  # every field as the build wrote it
    # The Spanish PDFs are still in both catalogs.
    assert sum("/es/" in src for src in thumbnails_listed(out)) == 6
    assert sum("/es/" in src for src in thumbnails_listed(out, "index.es.html")) == 6


def test_a_deleted_manifest_is_rebuilt_too(bilingual_build, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(bilingual_build, out)
    before = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").unlink()
    lines = []
    build(bilingual_build.parent, langs=("es",), out_dir=out, log=lines.append, today=date(2026, 11, 1))
    assert lines[0] == (f"{out / 'manifest.json'}: warning: the manifest was missing; rebuilt it from the 12 PDFs "
                        "on disk [manifest]")
    assert json.loads((out / "manifest.json").read_text()) == before


def test_each_language_has_its_catalog_page_and_a_link_to_the_other(bilingual_build):
    english = (bilingual_build / "index.html").read_text()
    spanish = (bilingual_build / "index.es.html").read_text()
    assert '<html lang="en">' in english and '<html lang="es">' in spanish
    assert '<a href="index.es.html" hreflang="es" lang="es">Español</a>' in english
    assert '<a href="index.html" hreflang="en" lang="en">English</a>' in spanish
    assert "<h1>Sample Skin Clinic: hojas informativas para pacientes</h1>" in spanish
    assert "<h3 id=\"card-1-temas\">Las manchas</h3>" in spanish
    assert "Revisado en octubre de 2026" in spanish
    assert "<span>Inglés · Carta</span>" in spanish and "<span>Español · Carta</span>" in spanish
    assert '<span class="badge">Letra grande</span>' in spanish
    assert "<span>English · Letter</span>" in english and "<span>Spanish · Letter</span>" in english


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


def catalog_strings() -> list[tuple[str, str]]:
    """(English, Spanish) of every string the catalog itself shows: its template's and its Python words."""
    return translation_pairs("es", ("templates/catalog.html.j2", "handout_builder/build/catalog.py",
                                    "handout_builder/editions.py"))


def english_only_pieces(pairs: list[tuple[str, str]]) -> set[str]:
    """The words of the English strings, placeholders taken out, that no Spanish string has."""
    def pieces(text: str) -> set[str]:
        return {p.strip(" .,:()|\"") for p in re.split(r"%\(\w+\)s|\{\w+\}", text) if len(p.strip(" .,:()|\"")) >= 2}

    spanish = {p.lower() for _, es in pairs for p in pieces(es)}
    return {p for en, es in pairs if en != es for p in pieces(en) if p.lower() not in spanish}


VISIBLE_TEXT = """() => {
  // Every text a reader meets (text, placeholders, labels, the page title), except parts marked as
  // another language (lang="en"): the link to the English page, an English-only handout's title.
  const out = [document.title];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  for (let node = walk.currentNode; node; node = walk.nextNode()) {
    const element = node.nodeType === 1 ? node : node.parentElement;
    if (element.closest("[lang]").getAttribute("lang") !== document.documentElement.lang) continue;
    if (element.closest("[hidden], script, style")) continue;
    if (node.nodeType === 3) out.push(node.textContent);
    else for (const name of ["placeholder", "aria-label", "alt", "title"])
      if (node.getAttribute(name)) out.push(node.getAttribute(name));
  }
  return out.join("\\n");
}"""


def launch(p):
    return p.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


@needs_chromium
def test_a_spanish_catalog_page_shows_no_english_string_in_chromium(bilingual_build, tmp_path, chromium):
    pairs = catalog_strings()
    english = english_only_pieces(pairs)
    assert {"Find a handout", "Topics", "Drugs", "Brochure", "English", "Letter", "large print", "page", "pages",
            "PDFs match", "No handout matches your search"} <= english
    page = chromium.new_page(viewport={"width": 1000, "height": 900})  # the session's one browser
    try:
        page.goto((bilingual_build / "index.es.html").as_uri())
        shown = [page.evaluate(VISIBLE_TEXT)]
        search = page.get_by_label("Buscar una hoja informativa")
        search.press_sequentially("testo")
        assert page.get_by_role("status").inner_text() == "4 de 12 PDF coinciden"
        shown.append(page.evaluate(VISIBLE_TEXT))
        search.press_sequentially("xyz")
        assert page.get_by_text("Ninguna hoja informativa coincide con su búsqueda.").is_visible()
        shown.append(page.evaluate(VISIBLE_TEXT))
        search.press("Escape")
        assert page.get_by_role("status").inner_text() == "12 PDF"
        page.screenshot(path=str(tmp_path / "catalog-es.png"), full_page=True)
        page.goto((bilingual_build / "index.html").as_uri())
        on_the_english_page = page.evaluate(VISIBLE_TEXT)  # the same look finds them there
    finally:
        page.close()
    text = "\n".join(shown)
    assert "Temas" in text and "Inglés · Carta" in text and "Letra grande" in text

    def found_in(text: str) -> list[str]:
        return sorted(w for w in english if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE))

    assert found_in(text) == [], text
    assert {"Find a handout", "Topics", "English", "Letter", "pages"} <= set(found_in(on_the_english_page))


SEARCHES = {"spanish": "es/", "español": "es/", "espanol": "es/", "large print": ".large-print",
            "letra grande": ".large-print", "inglés": "en/", "english": "en/", "medicamentos": "testinib"}


@needs_chromium
def test_search_matches_language_and_edition_words_in_both_languages(bilingual_build, chromium):
    for name in ("index.html", "index.es.html"):
        page = chromium.new_page()
        try:
            page.goto((bilingual_build / name).as_uri())
            search = page.get_by_role("searchbox")
            for words, paths in SEARCHES.items():
                search.fill("")
                search.press_sequentially(words)
                shown = page.locator(".edition:visible a").evaluate_all(
                    "links => links.map(a => a.getAttribute('href'))")
                assert len(shown) == (4 if paths == "testinib" else 6), (name, words, shown)
                assert all(paths in href for href in shown), (name, words, shown)
        finally:
            page.close()
