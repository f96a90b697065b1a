"""PDF stage: HTML to tagged PDF (PDF/UA-1) with WeasyPrint, fetching only the project's own assets; the
print-shop edition's parts as PDF/X-4, tagged as well.

Any WeasyPrint log record at WARNING or above is a build problem: a missing image or an ignored CSS rule
must never reach a printed handout silently.

WeasyPrint takes one PDF variant. PDF/X-4 (for a press: an OutputIntent from the @color-profile the HTML
names, CMYK, version 1.6, the X-4 metadata) comes with its structure tree when asked for tags
(`pdf_tags`), as PDF/UA-1 needs, and the press edition's last step (press.py) declares PDF/UA-1 as well.
"""

from __future__ import annotations

import importlib
import logging
import mimetypes
import re
import sys
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..problems import Problems
from ..render.fonts import font_dir

PDF_VARIANT = "pdf/ua-1"
PRESS_VARIANT = "pdf/x-4"  # the print-shop edition, in the press's CMYK


@cache
def load_weasyprint():
    """Import WeasyPrint, about 0.25 s faster on Linux than a plain import.

    WeasyPrint tries each library under Windows and macOS names first ("libpango-1.0-0"), and for every
    miss cffi asks ctypes.util.find_library, which runs ldconfig and gcc (22 subprocesses). Answering
    "not found" while importing lets it reach the Linux name ("libpango-1.0.so.0"), which dlopen finds.
    """
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        import ctypes.util

        find_library = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            importlib.import_module("weasyprint")
        finally:
            ctypes.util.find_library = find_library
    return importlib.import_module("weasyprint")


def asset_roots(root: Path, brand_file: Path) -> tuple[Path, ...]:
    """The only folders WeasyPrint may read: the project's styles and images, the brand's, the font's."""
    return tuple(p.resolve() for p in (root / "styles", root / "handouts" / "images",
                                       brand_file.parent, font_dir()))


def make_fetcher(roots: tuple[Path, ...], refused: list[str]):
    """A URL fetcher that serves data: URLs and files under `roots`, and refuses everything else."""
    load_weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allow_redirects=False, allowed_protocols=("data", "file"))

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = Path(unquote(urlparse(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                              headers={"Content-Type": mime})
            refused.append(url)
            raise ValueError(f"refused to fetch {url}: only the project's own asset folders are read")

    return AssetFetcher()


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def weasyprint_warnings():
    """Collect WeasyPrint's warnings and errors instead of letting them scroll past on stderr."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def check_stylesheets(root: Path, fetcher, problems: Problems) -> dict[str, object]:
    """Parse each stylesheet alone, so a CSS warning is reported at its own file and line.

    Returns the parsed sheets by URI, as the HTML links them: SharedAssets renders with them instead of
    parsing the linked files again.
    """
    from weasyprint import CSS

    parsed = {}
    for path in sorted((root / "styles").rglob("*.css")):
        with weasyprint_warnings() as records:
            parsed[path.resolve().as_uri()] = CSS(filename=str(path), url_fetcher=fetcher)
        for record in records:
            message = record.getMessage()
            match = re.search(r" at (\d+):\d+", message)
            problems.add(path, int(match[1]) if match else None, f"CSS: {message}", code="css")
    return parsed


LINKED_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">\n?')


class SharedAssets:
    """Parsed stylesheets, loaded fonts and fetched images, shared by the renders of one process: parsing
    the stylesheets and loading the fonts again for every document took a fifth of the brochure parts'
    render time, and a third of a personalised handout's.

    `reuse(html)` gives the HTML without its stylesheet links, and what to render it with instead: the same
    sheets, parsed once (`sheets`: check_stylesheets' by URI; others are parsed when first linked).
    WeasyPrint takes them as user stylesheets, which the HTML's own <style> rules override, as they
    overrode the linked sheets (they come after the links). Only project assets get in here: the fetcher
    refuses everything else. Call close() when done: WeasyPrint removes the fonts' temporary folder only
    when the configuration is garbage collected.
    """

    def __init__(self, fetcher, sheets: dict[str, object] | None = None):
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = fetcher
        self.font_config = FontConfiguration()
        self.sheets: dict[str, object] = dict(sheets or {})
        self.images: dict = {}

    def reuse(self, html: str) -> tuple[str, dict]:
        from weasyprint import CSS

        sheets = []
        for href in LINKED_STYLESHEET.findall(html):
            if href not in self.sheets:
                with weasyprint_warnings():  # check_stylesheets reported them, at their lines
                    self.sheets[href] = CSS(url=href, url_fetcher=self.fetcher, font_config=self.font_config)
            sheets.append(self.sheets[href])
        return LINKED_STYLESHEET.sub("", html), dict(stylesheets=sheets, font_config=self.font_config,
                                                     cache=self.images)

    def close(self) -> None:
        discard_fonts(self.font_config)


def discard_fonts(font_config) -> None:
    """Remove the folder WeasyPrint copies a configuration's @font-face fonts to (WeasyPrint 70 keeps it in
    _folder and removes it in __del__, which a process ending with os._exit never reaches)."""
    import shutil

    if font_config._folder is not None:
        shutil.rmtree(font_config._folder, ignore_errors=True)
        font_config._folder = None


def render_pdf(html: str, root: Path, fetcher, refused: list[str], what: str,
               problems: Problems, *, content_version: str = "", reuse: dict | None = None
               ) -> tuple[bytes, int]:
    """Render one HTML document to PDF bytes and its page count; report problems under `what`.
    `content_version` goes into the document information as /ContentVersion.

    `reuse` (stylesheets, font_config, cache) lets a long-lived process share parsed CSS, loaded fonts
    and fetched images between renders: the batch's workers render hundreds of documents each.
    """
    document = lay_out(html, root, fetcher, refused, what, problems, reuse=reuse)
    return write(document, refused, what, problems, content_version=content_version), len(document.pages)


def lay_out(html: str, root: Path, fetcher, refused: list[str], what: str, problems: Problems, *,
            reuse: dict | None = None, press: bool = False):
    """Lay out one HTML document into pages (a WeasyPrint Document); report problems under `what`. A
    `press` document is laid out for PDF/X-4: its blending colour spaces are the press's."""
    from weasyprint import HTML

    options = dict(reuse or {}, **({"pdf_variant": PRESS_VARIANT} if press else {}))
    with weasyprint_warnings() as records:
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render(**options)
    _report(records, refused, what, problems)
    return document


def render_part(html: str, root: Path, fetcher, refused: list[str], what: str, problems: Problems,
                reuse: dict | None = None, press: bool = False) -> tuple[bytes, int]:
    """One part of a document that join.py joins to others: its fonts are embedded whole, so that every
    part holds the same bytes for a face and the join keeps one copy; and each link to an anchor of
    another part gets a stand-in anchor on the first page, so WeasyPrint writes the link (to a named
    destination, which the join takes from the part that holds it: see join.py). A `press` part is
    PDF/X-4, tagged."""
    document = lay_out(html, root, fetcher, refused, what, problems, reuse=reuse, press=press)
    anchors = {name for page in document.pages for name in page.anchors}
    for page in document.pages:
        for kind, target, *_ in page.links:
            if kind == "internal" and target not in anchors:
                document.pages[0].anchors[target] = (0, 0, 0, 0)
                anchors.add(target)
    return write(document, refused, what, problems, full_fonts=True, press=press), len(document.pages)


def write(document, refused: list[str], what: str, problems: Problems, *, content_version: str = "",
          full_fonts: bool = False, press: bool = False) -> bytes:
    """A laid-out Document as tagged PDF bytes. Laid-out pages can be written again, alone or with
    pages of other documents (Document.copy): personalised handouts reuse one layout of the handout.
    Images inside SVG (a logo's) are fetched only now: `refused` collects what the fetcher refused."""
    def finish(document, pdf):
        import pydyf

        if content_version:
            pdf.info["ContentVersion"] = pydyf.String(content_version)
        add_table_scopes(pdf)

    variant = dict(pdf_variant=PRESS_VARIANT, pdf_tags=True) if press else dict(pdf_variant=PDF_VARIANT)
    with weasyprint_warnings() as records:
        pdf = document.write_pdf(**variant, finisher=finish, full_fonts=full_fonts)
    _report(records, refused, what, problems)
    return pdf


def add_table_scopes(pdf) -> None:
    """Give every table header cell (/TH) of a WeasyPrint PDF's structure tree its /Scope, Column or Row.

    WeasyPrint 70 links data cells to their headers by /ID on TH and /Headers on TD, which ISO 14289-1
    accepts, but writes no /Scope, and PAC and the `pdfua` checker want one (UA-15-003). The scope follows
    the HTML as WeasyPrint read it for /Headers: a header of the table's head (<thead>) heads a column; in a
    body row, a header that the row's own data cells name (<th scope="row">, as the templates write the
    first cell of a body row) heads its row; any other heads a column (WeasyPrint names it in the
    /Headers of the cells below it). `pdf` is the pydyf document, before it is written.
    """
    import pydyf

    elements = {obj.reference: obj for obj in pdf.objects
                if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"}
    for row in elements.values():
        if row.get("S") != "/TR":
            continue
        cells = [elements[kid] for kid in row.get("K", ()) if isinstance(kid, bytes) and kid in elements]
        section = elements.get(row.get("P"), {}).get("S")
        named_by_row = {header.string for cell in cells if cell.get("S") == "/TD"
                        for header in cell.get("A", {}).get("Headers", ())}
        for cell in cells:
            if cell.get("S") == "/TH":
                row_header = section != "/THead" and getattr(cell.get("ID"), "string", None) in named_by_row
                cell.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = \
                    "/Row" if row_header else "/Column"


def _report(records: list[logging.LogRecord], refused: list[str], what: str, problems: Problems) -> None:
    """WeasyPrint's warnings and the fetcher's refusals (once per URL) as problems of `what`."""
    for url in dict.fromkeys(refused):
        problems.add(what, None, f"refused to fetch {url}: only files in the project's styles/, "
                     "handouts/images/ and the brand file's folder are read", code="fetch")
    refused.clear()
    for record in records:
        message = record.getMessage()
        if "refused to fetch" not in message:  # reported above, by URL
            problems.add(what, None, f"WeasyPrint: {message}", code="weasyprint")
