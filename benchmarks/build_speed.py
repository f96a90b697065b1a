"""Benchmark of the build: cold, no-change and one-drug-edit build times, pages per second, peak memory,
the naive way (one `weasyprint` command per handout plus a pypdf merge) as a ratio, the brochure's
assembly (one render, in parts as the build makes it, Document.copy of rendered handouts), and output sizes.

Run: .venv/bin/python benchmarks/build_speed.py   (real content; the sample clinic if it does not build)
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAKE_HANDOUTS = [str(BIN / "make-handouts")]


def copy_project(handouts: Path, folder: Path) -> Path:
    """A scratch project, so the edit below never touches the real content."""
    shutil.copytree(handouts, folder / "handouts")
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copytree(REPO / "styles", folder / "styles")
    shutil.copytree(REPO / "locales", folder / "locales")
    return folder


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def choose_content(scratch: Path) -> tuple[Path, str]:
    real = copy_project(REPO / "handouts", scratch / "real")
    check = subprocess.run([*MAKE_HANDOUTS, "--project", str(real), "check"], capture_output=True, text=True)
    if check.returncode == 0:
        return real, "real content (handouts/)"
    print(f"the real content does not build yet ({check.stderr.strip().splitlines()[-1]});"
          " using the sample clinic (tests/sample)")
    return copy_project(REPO / "tests/sample/handouts", scratch / "sample"), "sample clinic (tests/sample)"


def naive_way(project: Path, scratch: Path, manifest: list[dict]) -> tuple[float, float]:
    """Seconds for one weasyprint command per handout, then a pypdf merge of them as the brochure; and
    for the same work as the build: the handouts' commands, then one weasyprint command for the whole
    brochure's HTML (a pypdf merge drops the tags and keeps every font subset)."""
    html_dir, out = scratch / "naive-html", scratch / "naive-out"
    subprocess.run([*MAKE_HANDOUTS, "--project", str(project), "build", "--out", str(scratch / "html-out"),
                    "--html", str(html_dir)], check=True, stdout=subprocess.DEVNULL)

    def weasyprint(path: str) -> None:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(BIN / "weasyprint"), "--pdf-variant", "pdf/ua-1", "--quiet",
                        str(html_dir / Path(path).with_suffix(".html")), str(target)], check=True)

    handouts = [e for e in manifest if e["kind"] != "brochure"]
    started = time.perf_counter()
    for entry in handouts:
        weasyprint(entry["path"])
    handouts_time = time.perf_counter() - started
    subprocess.run([sys.executable, "-c", (
        "import sys; from pypdf import PdfWriter\n"
        "writer = PdfWriter()\n"
        "for path in sys.argv[2:]: writer.append(path)\n"
        "writer.write(sys.argv[1])"), str(out / "merged-brochure.pdf"),
        *(str(out / e["path"]) for e in handouts)], check=True)
    merged = time.perf_counter() - started
    started = time.perf_counter()
    weasyprint(next(e for e in manifest if e["kind"] == "brochure")["path"])
    return merged, handouts_time + time.perf_counter() - started


def brochure_assembly(project: Path) -> dict[str, float]:
    """Seconds to make the brochure in one process: in one WeasyPrint render; as the build makes it, in
    parts laid out apart (here one after the other), page labels, then the join; the join alone; and
    writing the already rendered handouts as one document with Document.copy (a lower bound: it lacks
    cover, contents and end pages, and the copied pages keep their own page numbers)."""
    from weasyprint import HTML

    from handout_builder.content.library import load_library
    from handout_builder.editions import PAPERS, Variant
    from handout_builder.pdf.engine import PDF_VARIANT, SharedAssets, asset_roots, make_fetcher, render_part
    from handout_builder.pdf.join import join, open_pdf
    from handout_builder.problems import Problems
    from handout_builder.render.brochure import brochure_html, page_labels_html, split_parts
    from handout_builder.render.renderer import Renderer

    library = load_library(project)
    problems = Problems(project)
    renderer = Renderer(library, problems)
    fetcher = make_fetcher(asset_roots(project, library.clinic.brand_file), [])
    paper = PAPERS["letter"]

    def document(html: str):
        return HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher).render()

    document(renderer.handout(library.handouts[0].slug, paper)).write_pdf()  # warm-up
    figures = {}
    started = time.perf_counter()
    document(brochure_html(renderer, paper)).write_pdf(pdf_variant=PDF_VARIANT)
    figures["one render"] = time.perf_counter() - started

    started = time.perf_counter()
    assets = SharedAssets(fetcher)  # as a build's render process keeps them

    def part_pdf(html: str):
        html, reuse = assets.reuse(html)
        return open_pdf(render_part(html, project, fetcher, [], "the brochure", problems, reuse)[0])

    parts = split_parts(brochure_html(renderer, paper, page_labels=False))
    pdfs = [part_pdf(part.html) for part in parts]
    names = [name for part, pdf in zip(parts, pdfs) for name in part.page_names(len(pdf.pages))]
    labels = part_pdf(page_labels_html(renderer, paper, Variant(), names))
    joined = time.perf_counter()
    join([(part.anchors, pdf) for part, pdf in zip(parts, pdfs)], labels, [True] * len(names), "benchmark")
    figures["parts"] = time.perf_counter() - started
    figures["join"] = time.perf_counter() - joined
    assets.close()

    slugs = [*library.brochure.topics, *library.brochure.drugs]
    rendered = [document(renderer.handout(slug, paper)) for slug in slugs]  # the build renders these anyway
    started = time.perf_counter()
    pages = [page for doc in rendered for page in doc.pages]
    rendered[0].copy(pages).write_pdf(pdf_variant=PDF_VARIANT)
    figures["copy"] = time.perf_counter() - started
    return figures


def font_programs(path: Path) -> dict[str, int]:
    """Embedded font programs per face (subset prefix removed): more than one means a duplicate."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    seen: dict[int, str] = {}
    for number in range(1, len(reader.xref_objStm) + sum(len(v) for v in reader.xref.values()) + 1):
        try:
            obj = reader.get_object(number)
        except Exception:
            continue
        if hasattr(obj, "get") and obj.get("/Type") == "/FontDescriptor":
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in obj:
                    seen[obj.raw_get(key).idnum] = re.sub(r"^[A-Z]{6}\+", "", str(obj["/FontName"])[1:])
    faces: dict[str, int] = {}
    for face in seen.values():
        faces[face] = faces.get(face, 0) + 1
    return faces


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        project, what = choose_content(scratch)
        out = scratch / "out"
        build = [*MAKE_HANDOUTS, "--project", str(project), "build", "--out", str(out)]

        cold = timed(build)
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads((out / "manifest.json").read_text())
        pages = sum(e["pages"] for e in manifest)
        no_change = statistics.median(timed(build) for _ in range(5))
        drug = sorted((project / "handouts/drugs").glob("*.yaml"))[0]
        parts_before = {p.name for p in (out / ".parts").glob("*.pdf")}
        drug.write_text(drug.read_text() + "\n# benchmark edit\n")
        one_drug = timed(build)
        parts_after = {p.name for p in (out / ".parts").glob("*.pdf")}
        serial = [*MAKE_HANDOUTS, "--project", str(project), "build", "--out", str(scratch / "out-j1"), "--jobs", "1"]
        serial_cold = timed(serial)  # a folder of its own: a cold build has no brochure parts kept
        naive, naive_same_work = naive_way(project, scratch, manifest)
        assembly = brochure_assembly(project)

        handouts = [e for e in manifest if e["kind"] != "brochure"]
        largest = max(handouts, key=lambda e: e["bytes"])
        brochure = next(e for e in manifest if e["kind"] == "brochure")
        faces = font_programs(out / brochure["path"])

        print(f"content: {what}: {len(handouts)} handouts and a {brochure['pages']}-page brochure,"
              f" {pages} pages in all")
        print(f"cold full build:        {cold:6.2f} s wall  ({pages / cold:.1f} pages/s; default --jobs)")
        print(f"cold full build -j1:    {serial_cold:6.2f} s wall  ({pages / serial_cold:.1f} pages/s)")
        print(f"no-change rebuild:      {no_change:6.3f} s wall  (median of 5)")
        print(f"one-drug-edit rebuild:  {one_drug:6.2f} s wall  ({drug.name}; brochure parts laid out again:"
              f" {len(parts_after - parts_before)} of {len(parts_after)}, page labels included)")
        print(f"peak RSS (one process): {peak_rss_mb:6.0f} MB  (getrusage children, cold build)")
        print(f"naive way:              {naive:6.2f} s wall  = {naive / cold:.1f}x the cold build"
              " (one weasyprint command per handout + pypdf merge)")
        print(f"naive, same work:       {naive_same_work:6.2f} s wall  = {naive_same_work / cold:.1f}x the cold build"
              " (one weasyprint command per handout + one for the whole brochure)")
        print(f"brochure in one process: one render {assembly['one render']:.2f} s; in parts as built"
              f" {assembly['parts']:.2f} s (of which the join {assembly['join']:.2f} s); Document.copy of the"
              f" rendered handouts {assembly['copy']:.2f} s (a lower bound: no cover, contents or end pages)")
        print(f"largest handout:        {largest['bytes'] / 1024:6.1f} KB  ({largest['path']})")
        print(f"brochure:               {brochure['bytes'] / 1024:6.1f} KB")
        duplicates = sum(n - 1 for n in faces.values())
        print(f"font programs in the brochure: {sum(faces.values())} "
              f"({', '.join(f'{face} x{n}' for face, n in sorted(faces.items()))}); duplicates: {duplicates}")


if __name__ == "__main__":
    main()
