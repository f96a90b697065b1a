"""The brochure made of parts (render/brochure.py, pdf/join.py, build/brochure_parts.py): a rebuild lays out
only the parts whose HTML changed and makes the same bytes as a build from nothing; links, bookmarks, page
labels and the structure tree span the joined parts."""

from __future__ import annotations

import io
import json
import re

import pikepdf
import pypdfium2
from pypdf import PdfReader

from conftest import assert_contents_match_chapters, make_project, run

BROCHURE = "out/en/letter/brochure.pdf"
# Sections short enough for the checks that every build runs (PEMAT: short sections).
GROWTH = "".join(f"\n\n## How we help you with your skin, part {n}\n\n" + "\n\n".join(
    ["You can ask us about your skin. We will help you. We are here for you."] * 10) for n in range(1, 5)) + "\n"


def part_files(project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (project / "out/.parts").glob("*.pdf")}


def part_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def build(project, *args: str) -> tuple[int, int]:
    """Build; returns how many of the brochure's parts were laid out, and of how many."""
    result = run("build", *args, project=project)
    assert result.exit_code == 0, result.output
    done, of = re.search(r"brochure\.pdf: (\d+) of (\d+) parts laid out", result.output).groups()
    return int(done), int(of)


def edit(project, path: str, old: str, new: str) -> None:
    file = project / path
    assert old in file.read_text()
    file.write_text(file.read_text().replace(old, new))


def test_a_drug_edit_lays_out_only_the_parts_it_changes_and_makes_a_full_builds_bytes(project, tmp_path):
    done, parts = build(project)
    assert done == parts == 7  # cover, contents, 2 chapters, end pages, back cover, page labels
    before = part_files(project)
    change = ("Rub a thin layer on the patches.", "Rub a thin layer on the pale patches.")
    edit(project, "handouts/drugs/testinib.en.yaml", *change)
    assert build(project) == (3, 7)
    after = part_files(project)
    new = {name: after[name] for name in set(after) - set(before)}
    # The drug's chapter, the topic whose drug table lists it (both print their new content version),
    # and the cover (the brochure's version). Not the contents page, the end pages, the page labels.
    texts = sorted(part_text(data) for data in new.values())
    assert len(new) == 3, texts
    assert any("Rub a thin layer on the pale patches." in t for t in texts)
    assert any(t.startswith("About patches") for t in texts)
    assert any("Sample brochure" in t for t in texts)
    assert len(after) == len(before)  # what no brochure uses any more is deleted

    fresh = make_project(tmp_path / "fresh")
    edit(fresh, "handouts/drugs/testinib.en.yaml", *change)
    build(fresh)
    assert (project / BROCHURE).read_bytes() == (fresh / BROCHURE).read_bytes()


def test_a_chapter_that_grows_moves_the_page_numbers_after_it_and_nothing_else_is_laid_out(project, tmp_path):
    build(project)
    pages_before = len(PdfReader(project / BROCHURE).pages)
    before = part_files(project)
    (project / "handouts/topics/about-patches.en.md").write_text(
        (project / "handouts/topics/about-patches.en.md").read_text().replace(
            "We can treat it.\n", "We can treat it." + GROWTH))
    # The chapter, the cover (the brochure's version), the contents page (its numbers) and the page
    # labels (a new page count); not the chapter after it, though it now starts a page later.
    assert build(project) == (4, 7)
    reader = PdfReader(project / BROCHURE)
    pages = len(reader.pages)
    assert pages >= pages_before + 1
    assert_contents_match_chapters(reader, 4)
    for number, page in enumerate(reader.pages[:-1], start=1):  # the back cover has no label
        assert f"Page {number} of {pages}" in page.extract_text()
    # The drug chapter after it was not laid out again: its part is the same file.
    drug = [name for name, data in before.items() if "Testo (testinib cream)" in part_text(data)[:60]]
    assert len(drug) == 1 and drug[0] in part_files(project)

    fresh = make_project(tmp_path / "fresh")
    (fresh / "handouts/topics/about-patches.en.md").write_text(
        (project / "handouts/topics/about-patches.en.md").read_text())
    build(fresh)
    assert (project / BROCHURE).read_bytes() == (fresh / BROCHURE).read_bytes()


def test_a_damaged_part_is_laid_out_again(project):
    build(project)
    good = (project / BROCHURE).read_bytes()
    for path in (project / "out/.parts").glob("*.pdf"):
        path.write_bytes(path.read_bytes()[:200])  # truncated, as by a full disk
    assert build(project, "--force") == (7, 7)
    assert (project / BROCHURE).read_bytes() == good
    assert all(PdfReader(path).pages for path in (project / "out/.parts").glob("*.pdf"))


def test_joined_links_bookmarks_fonts_and_page_labels(sample_build):
    path = sample_build / "en/letter/brochure.pdf"
    pdf = pikepdf.open(path)
    page_index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    names = pdf.Root.Names.Dests.Names
    dests = {str(names[i]): page_index[names[i + 1][0].objgen] for i in range(0, len(names), 2)}
    reader = PdfReader(path)
    # Every link between parts lands on its anchor: a contents entry on its chapter's first page, a
    # citation on the sources page.
    links = [(number, str(annot["/Dest"])) for number, page in enumerate(pdf.pages)
             for annot in page.obj.get("/Annots", []) if "/Dest" in annot]
    assert links and all(target in dests for _, target in links)
    contents = {target: dests[target] for number, target in links if number == 1}
    assert set(contents) == {"about-patches", "testinib", "words-to-know", "sources"}
    for target, number in contents.items():
        assert reader.pages[number].extract_text().strip(), target
    assert "Sources" in reader.pages[dests["sources"]].extract_text()
    citations = [target for number, target in links if target.startswith("source-")]
    assert citations and all(dests[t] == dests["sources"] for t in citations)
    # Bookmarks in order, each opening its chapter's page.
    with pdf.open_outline() as outline:
        top = [(item.title, page_index[item.destination[0].objgen]) for item in outline.root]
    assert [title for title, _ in top] == ["About patches", "Testo (testinib cream)", "Words to know", "Sources"]
    assert [number for _, number in top] == sorted(number for _, number in top)
    assert [number for _, number in top] == [contents[t] for t in ("about-patches", "testinib",
                                                                     "words-to-know", "sources")]
    # One font program per face, though each part embedded its own.
    programs = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            face = re.sub(r"^/[A-Z]{6}\+", "", str(obj.FontName))
            programs.setdefault(face, set()).add(obj.FontFile2.objgen)
    assert programs and all(len(files) == 1 for files in programs.values()), programs
    # One structure tree: a Document element holding every part's elements, and a parent tree entry
    # for each page.
    tree = pdf.Root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == "/Document" and len(tree.K[0].K) > 4
    keys = {int(page.obj.StructParents) for page in pdf.pages}
    assert len(keys) == len(pdf.pages) and int(tree.ParentTreeNextKey) > max(keys)
    # "Page X of Y" is drawn where a viewer shows it (bottom right), as a pagination artifact.
    total = len(pdf.pages)
    document = pypdfium2.PdfDocument(path)
    for number in range(total - 1):
        page = document[number]
        footer = page.get_textpage().get_text_bounded(left=page.get_width() * 0.7, bottom=0,
                                                       right=page.get_width(), top=72)
        assert f"Page {number + 1} of {total}" in " ".join(footer.split())
        ops = [str(op) for operands, op in pikepdf.parse_content_stream(pdf.pages[number])]
        assert ops[-5:] == ["BDC", "q", "Do", "Q", "EMC"]  # the label form, inside /Artifact marked content
    assert "Page" not in document[total - 1].get_textpage().get_text_range()  # the back cover


def test_the_part_cache_records_what_each_brochure_uses(sample_build):
    used = json.loads((sample_build / ".parts/used.json").read_text())
    assert list(used) == ["en/letter/brochure.pdf"]
    files = {p.stem for p in (sample_build / ".parts").glob("*.pdf")}
    assert files == set(used["en/letter/brochure.pdf"])


def test_a_link_to_an_anchor_no_part_holds_is_a_problem(project):
    # Content cannot make links (the content checks refuse them), but a template can.
    edit(project, "templates/brochure.html.j2", '<section class="end-page" id="words-to-know">',
         '<section class="end-page" id="words-to-know"><a href="#nowhere">see</a>')
    result = run("build", project=project)
    assert result.exit_code == 1
    assert ("the brochure: error: WeasyPrint: No anchor #nowhere for internal URI reference [weasyprint]"
            in result.output)
    assert not (project / "out").exists()


def test_a_change_outside_the_html_lays_out_every_part_again(project):
    # A part is kept by its HTML and by what every output reads: styles, templates, images, fonts, the
    # brand file and its logo, the code. A kept part made with an old stylesheet or logo would be wrong.
    build(project)
    for path, old, new in (("styles/components.css", "/* Brochure", "/* A comment. */\n/* Brochure"),
                           ("handouts/logo.svg", "</svg>", "<!-- edited --></svg>")):
        edit(project, path, old, new)
        assert build(project) == (7, 7), path


def test_the_fonts_are_cut_down_to_the_glyphs_shown_and_every_page_looks_the_same(project, tmp_path, monkeypatch):
    import handout_builder.pdf.join

    build(project)
    whole = make_project(tmp_path / "whole")
    monkeypatch.setattr(handout_builder.pdf.join, "_subset_fonts", lambda out: None)
    build(whole)
    cut, kept = (pikepdf.open(p / BROCHURE) for p in (project, whole))
    sizes = [sum(len(o.FontFile2.read_bytes()) for o in pdf.objects
                 if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor") for pdf in (cut, kept)]
    assert sizes[0] < sizes[1] / 2, sizes
    # Not a glyph lost: every page renders to the same pixels as with the whole fonts.
    renders = [pypdfium2.PdfDocument(p / BROCHURE) for p in (project, whole)]
    assert len(renders[0]) == len(renders[1])
    for number in range(len(renders[0])):
        first, second = (doc[number].render(scale=2).to_pil().convert("RGB") for doc in renders)
        assert first.tobytes() == second.tobytes(), f"page {number + 1}"
