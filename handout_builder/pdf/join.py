"""PDF stage: the brochure's parts, each a tagged PDF (PDF/UA-1) of its own, joined into one tagged PDF,
with "Page X of Y" laid over its pages. pikepdf (qpdf) does it: a pypdf merge drops the structure tree
and writes no object streams.

What the join keeps or makes:
- one structure tree: every part's top elements under one Document element, the parent tree renumbered;
- links between parts: WeasyPrint links to named destinations, and each name is taken from the part that
  holds its anchor (the other parts hold a stand-in, so WeasyPrint writes their links: engine.render_part);
- the bookmarks in order; the language, the title display and the metadata;
- one program per font face: parts embed whole fonts (their subsets would differ), kept once and then
  cut down to the glyphs the pages show;
- the page labels, drawn from a document of empty labelled pages (render/brochure.py, page_labels_html) and
  marked as pagination artifacts, so a screen reader skips them as it skips any running footer;
- for the print-shop edition (PDF/X-4 parts), the first part's OutputIntent, and one copy of the press
  profile that every part embeds (in its colour spaces and transparency groups); the PDF/X keys of the
  document information and XMP come with the first part's, and each page keeps its TrimBox and BleedBox.
"""

from __future__ import annotations

import array
import hashlib
import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Iterator
from io import BytesIO

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

from .encryption import save

MARKED_CONTENT = {"BDC", "BMC", "EMC", "MP", "DP"}
TEXT_OPERATORS = "q Q Tf Tj TJ ' \""  # what says which glyphs of which font a content stream shows
REFERENCE = re.compile(rb"\b\d+ \d+ R\b")


def open_pdf(data: bytes) -> Pdf:
    return Pdf.open(BytesIO(data))


def anchor_pages(pdf: Pdf) -> dict[str, int]:
    """The page (from 0) that holds each named destination of a WeasyPrint PDF."""
    index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    return {str(name): index[dest[0].objgen] for name, dest in _named_destinations(pdf)}


def dangling_links(parts: list[tuple[frozenset[str], Pdf]]) -> list[str]:
    """Link targets that no part holds (a part links to another part's anchor through a stand-in)."""
    held = {anchor for anchors, _ in parts for anchor in anchors}
    targets = {str(annot["/Dest"]) for _, pdf in parts for page in pdf.pages
               for annot in page.obj.get("/Annots", []) if isinstance(annot.get("/Dest"), String)}
    return sorted(targets - held)


def join(parts: list[tuple[frozenset[str], Pdf]], labels: Pdf, labelled: list[bool],
         content_version: str) -> bytes:
    """One PDF from the parts, in order: (anchors the part holds, its PDF). Page i gets the label drawn on
    page i of `labels` when labelled[i]. The document information and metadata are the first part's."""
    out = Pdf.new()
    first = parts[0][1]
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    tree = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = tree
    parent_tree: list = []  # new key -> what the part's parent tree held under its old key
    destinations: dict[str, Array] = {}
    bookmarks: list[Dictionary] = []
    count = 0
    for anchors, pdf in parts:
        start = len(out.pages)
        with warnings.catch_warnings():  # that named destinations are not copied: they are, below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(pdf.pages)
        root = pdf.Root.StructTreeRoot
        # Elements whose parent is the part's root or Document element get the joined Document instead:
        # the link is cut before copying, or the copy would bring the part's whole old tree along.
        children = _children_of_top(pdf, root)
        for element in children:
            del element["/P"]
        for element in _top_elements(root):
            document.K.append(out.copy_foreign(pdf.make_indirect(element)))
        for element in children:
            out.copy_foreign(element).P = document
        old = root.ParentTree.Nums
        entries = {int(old[i]): old[i + 1] for i in range(0, len(old), 2)}
        for page in out.pages[start:]:
            for holder, key in [(page.obj, "/StructParents")] + \
                    [(annot, "/StructParent") for annot in page.obj.get("/Annots", [])]:
                if key in holder:  # a page's array of elements, or an annotation's element
                    parent_tree.append(out.copy_foreign(pdf.make_indirect(entries[int(holder[key])])))
                    holder[key] = len(parent_tree) - 1
        index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        for name, dest in _named_destinations(pdf):
            if str(name) in anchors:
                destinations[str(name)] = Array([out.pages[start + index[dest[0].objgen]].obj, *list(dest)[1:]])
        items, shown = _bookmarks(out, pdf)
        bookmarks += items
        count += shown

    tree.ParentTree = out.make_indirect(Dictionary(Nums=Array([x for key, value in enumerate(parent_tree)
                                                               for x in (key, value)])))
    tree.ParentTreeNextKey = len(parent_tree)
    for key in ("/RoleMap", "/ClassMap"):
        if key in first.Root.StructTreeRoot:
            tree[key] = out.copy_foreign(first.Root.StructTreeRoot[key])
    catalog = out.Root
    catalog.StructTreeRoot = tree
    catalog.MarkInfo = Dictionary(Marked=True)
    catalog.Lang = first.Root.Lang
    catalog.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    catalog.Metadata = out.copy_foreign(first.Root.Metadata)
    if "/OutputIntents" in first.Root:
        catalog.OutputIntents = out.copy_foreign(first.make_indirect(first.Root.OutputIntents))
    catalog.Names = _names(destinations)
    if bookmarks:
        catalog.Outlines = _chain(out, bookmarks, count)
    info = {key: value for key, value in first.docinfo.items()}
    info["/ContentVersion"] = String(content_version)
    out.docinfo = out.make_indirect(Dictionary(info))

    _lay_labels_over(out, labels, labelled)
    _keep_one_copy(out)
    if "/OutputIntents" in catalog:
        _keep_one_profile(out)
    _subset_fonts(out)
    buffer = BytesIO()
    out.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
             deterministic_id=True, fix_metadata_version=False, min_version=first.pdf_version)
    return buffer.getvalue()


def version_and_pages(data: bytes) -> tuple[str, int] | None:
    """A built PDF's /ContentVersion (the fingerprint of what it was made from) and page count; None if
    it is no PDF that pikepdf can read."""
    try:
        with Pdf.open(BytesIO(data)) as pdf:
            return str(pdf.docinfo.get("/ContentVersion", "")), len(pdf.pages)
    except pikepdf.PdfError:
        return None


def sheet_in_front(sheet: bytes, document: bytes, password: str | None = None) -> bytes:
    """A one-document PDF: the pages of the tagged PDF `sheet` (a personalised copy's plan sheet), then
    those of the tagged PDF `document` (the standard handout, written once and reused for every copy),
    encrypted with `password` if one is given (AES-256). What WeasyPrint writes for the two laid out as
    one document, without writing the handout's pages again (two thirds of a copy's time):
    - one structure tree: the sheet's top elements first under the document's Document element, the
      sheet's parent tree entries under keys after the document's;
    - the sheet's bookmarks before the document's, its named destinations among the document's;
    - the document's language, document information and XMP metadata (the sheet's are not copied: a
      copy's metadata is the handout's, and no patient data gets into it).
    Fonts are not merged: the sheet keeps its own small subsets.
    """
    with Pdf.open(BytesIO(document)) as out, Pdf.open(BytesIO(sheet)) as front:
        root, tree = front.Root.StructTreeRoot, out.Root.StructTreeRoot
        top = next((kid for kid in (tree.K if isinstance(tree.K, Array) else [tree.K])
                    if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document), tree)
        if not isinstance(top.K, Array):
            top.K = Array([top.K])
        added = len(front.pages)
        with warnings.catch_warnings():  # that named destinations are not copied: they are, below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            for number, page in enumerate(front.pages):
                out.pages.insert(number, page)
        # As in join: the link to the sheet's top is cut before copying, or the copy would bring the
        # sheet's whole tree (and its parent tree) along.
        children = _children_of_top(front, root)
        for element in children:
            del element["/P"]
        copied = [out.copy_foreign(front.make_indirect(element)) for element in _top_elements(root)]
        top.K = Array([*copied, *top.K])
        for element in children:
            out.copy_foreign(element).P = top
        nums = tree.ParentTree.Nums
        next_key = int(tree.get("/ParentTreeNextKey", max((int(nums[i]) for i in range(0, len(nums), 2)),
                                                          default=-1) + 1))
        old = root.ParentTree.Nums
        entries = {int(old[i]): old[i + 1] for i in range(0, len(old), 2)}
        for page in out.pages[:added]:
            for holder, key in [(page.obj, "/StructParents")] + \
                    [(annot, "/StructParent") for annot in page.obj.get("/Annots", [])]:
                if key in holder:  # a page's array of elements, or an annotation's element
                    nums.append(next_key)
                    nums.append(out.copy_foreign(front.make_indirect(entries[int(holder[key])])))
                    holder[key] = next_key
                    next_key += 1
        tree.ParentTreeNextKey = next_key

        index = {page.obj.objgen: number for number, page in enumerate(front.pages)}
        own = _named_destinations(front)
        if own:
            destinations = {str(name): dest for name, dest in _named_destinations(out)}
            for name, dest in own:
                destinations[str(name)] = Array([out.pages[index[dest[0].objgen]].obj, *list(dest)[1:]])
            out.Root.Names = _names(destinations)
        (sheet_items, sheet_count), (items, count) = _bookmarks(out, front), _bookmarks(out, out)
        bookmarks, count = sheet_items + items, sheet_count + count
        if bookmarks:
            out.Root.Outlines = _chain(out, bookmarks, count)
        return save(out, password)


def _bookmarks(out: Pdf, pdf: Pdf) -> tuple[list[Dictionary], int]:
    """The top-level outline items of `pdf` (copied into `out` unless they are its own) and its /Count."""
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return [], 0
    items, item = [], outlines.First
    while item is not None:
        items.append(item if pdf is out else out.copy_foreign(item))
        item = item.get("/Next")
    return items, int(outlines.get("/Count", 0))


def _names(destinations: dict[str, Array]) -> Dictionary:
    """The catalog's /Names with the named destinations, sorted by their bytes as a name tree must be."""
    return Dictionary(Dests=Dictionary(Names=Array(
        [x for name in sorted(destinations, key=lambda n: n.encode("utf-8"))
         for x in (String(name), destinations[name])])))


def _named_destinations(pdf: Pdf) -> list[tuple[String, Array]]:
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests", Dictionary()).get("/Names", Array())
    return [(names[i], names[i + 1]) for i in range(0, len(names), 2)]


def _top_elements(root: Dictionary) -> list:
    """The elements under a part's Document element (or under its root, if it has no Document)."""
    kids = root.K if isinstance(root.K, Array) else Array([root.K])
    elements = []
    for kid in kids:
        if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document:
            inner = kid.K
            elements += list(inner) if isinstance(inner, Array) else [inner]
        else:
            elements.append(kid)
    return elements


def _children_of_top(pdf: Pdf, root: Dictionary) -> list[Dictionary]:
    """The structure elements whose parent is the root or a Document element (WeasyPrint gives some of
    these, its running footers', no place in their parent's /K)."""
    tops = {root.objgen} | {kid.objgen for kid in (root.K if isinstance(root.K, Array) else [root.K])
                            if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document}
    return [obj for obj in pdf.objects if isinstance(obj, Dictionary) and obj.get("/Type") == Name.StructElem
            and obj.get("/S") != Name.Document and "/P" in obj and obj.P.objgen in tops]


def _chain(out: Pdf, bookmarks: list[Dictionary], count: int) -> Dictionary:
    """Link the parts' top-level bookmarks into one outline."""
    outlines = out.make_indirect(Dictionary(Type=Name.Outlines, First=bookmarks[0], Last=bookmarks[-1],
                                            Count=count))
    for number, item in enumerate(bookmarks):
        item.Parent = outlines
        for key, other in (("/Prev", number - 1), ("/Next", number + 1)):
            if 0 <= other < len(bookmarks):
                item[key] = bookmarks[other]
            elif key in item:
                del item[key]
    return outlines


def _lay_labels_over(out: Pdf, labels: Pdf, labelled: list[bool]) -> None:
    """Draw page i of `labels` over page i, as a pagination artifact. The label page's own marked
    content is dropped: an artifact holds no tagged content."""
    for number, page in enumerate(out.pages):
        if not labelled[number]:
            continue
        label = labels.pages[number]
        instructions = [i for i in pikepdf.parse_content_stream(label) if str(i.operator) not in MARKED_CONTENT]
        label.obj.Contents = labels.make_stream(pikepdf.unparse_content_stream(instructions))
        form = out.copy_foreign(label.as_form_xobject())
        name = page.add_resource(form, Name.XObject, Name(f"/PageLabel{number + 1}"))  # named by page: byte-stable
        page.contents_add(out.make_stream(b"q\n"), prepend=True)
        page.contents_add(out.make_stream(b"Q\n/Artifact <</Type /Pagination>> BDC\nq " + str(name).encode()
                                          + b" Do Q\nEMC\n"))


def _keep_one_copy(out: Pdf) -> None:
    """Point every page (and form) at one copy of each identical font and image. The parts embed whole
    fonts, so their font objects (program, widths, ToUnicode map) come out byte for byte the same."""
    canonical: dict[str, object] = {}
    for _, resources in content_streams(out):
        for kind in ("/Font", "/XObject"):
            table = resources.get(kind, Dictionary())
            for name in list(table.keys()):
                item = table[name]
                if item.is_indirect and item.get("/Subtype") != Name.Form:
                    table[name] = canonical.setdefault(_digest(item), item)


def _keep_one_profile(out: Pdf) -> None:
    """Point every ICC-based colour space, and the OutputIntent, at one copy of each colour profile: each
    part embeds the press's profile (often a megabyte or more) in every colour space it writes."""
    canonical: dict[str, pikepdf.Stream] = {}

    def one(profile: pikepdf.Stream) -> pikepdf.Stream:
        return canonical.setdefault(hashlib.sha256(profile.read_raw_bytes()).hexdigest(), profile)

    def visit(item) -> None:  # an object's direct contents; indirect ones are visited on their own
        if isinstance(item, Array):
            if len(item) == 2 and item[0] == Name.ICCBased and isinstance(item[1], pikepdf.Stream):
                item[1] = one(item[1])
                return
            for element in item:
                if isinstance(element, (Array, Dictionary)) and not element.is_indirect:
                    visit(element)
        elif isinstance(item, (Dictionary, pikepdf.Stream)):
            for key in list(item.keys()):
                value = item[key]
                if isinstance(value, (Array, Dictionary)) and not value.is_indirect:
                    visit(value)

    for obj in out.objects:
        visit(obj)
    for intent in out.Root.OutputIntents:
        if isinstance(intent.get("/DestOutputProfile"), pikepdf.Stream):
            intent.DestOutputProfile = one(intent.DestOutputProfile)


def content_streams(out: Pdf) -> Iterator[tuple[object, Dictionary]]:
    """Every content stream with its resources: the pages', then those of the forms and tiling patterns
    they draw, each once."""
    seen: set[tuple[int, int]] = set()

    def walk(content, resources: Dictionary) -> Iterator[tuple[object, Dictionary]]:
        yield content, resources
        for kind in ("/XObject", "/Pattern"):
            for item in resources.get(kind, Dictionary()).values():
                if isinstance(item, pikepdf.Stream) and item.objgen not in seen and "/Resources" in item \
                        and (item.get("/Subtype") == Name.Form or "/PatternType" in item):
                    seen.add(item.objgen)
                    yield from walk(item, item.Resources)

    for page in out.pages:
        if "/Resources" in page.obj:
            yield from walk(page, page.obj.Resources)


def _digest(obj) -> str:
    """A digest of an object and everything it refers to (font objects refer to no page)."""
    digest = hashlib.sha256()

    def feed(item) -> None:
        if not isinstance(item, pikepdf.Object):
            digest.update(repr(item).encode())
            return
        if not item.is_indirect:
            text = item.unparse()
            if not REFERENCE.search(text):  # a whole widths array at once, not number by number
                digest.update(text)
                return
        if isinstance(item, (Dictionary, pikepdf.Stream)):
            for key in sorted(item.keys()):
                if key != "/Length":
                    digest.update(key.encode())
                    feed(item[key])
            if isinstance(item, pikepdf.Stream):
                digest.update(b"stream" + hashlib.sha256(item.read_raw_bytes()).digest())
        elif isinstance(item, Array):
            digest.update(b"[")
            for element in item:
                feed(element)
            digest.update(b"]")
        else:
            digest.update(item.unparse())

    feed(obj)
    return digest.hexdigest()


def _subset_fonts(out: Pdf) -> None:
    """Cut each whole embedded font down to the glyphs the pages show (about 60 KB less for the brochure).
    The glyphs are read from every content stream: pages, forms, patterns. Glyph ids are kept, as the
    content refers to glyphs by id (Identity-H encoding, Identity CIDToGIDMap); other fonts stay whole."""
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTFont

    programs: dict[tuple[int, int], pikepdf.Stream] = {}  # by objgen: the font programs to cut down
    program_of: dict = {}  # font object -> its program's objgen (None: a font left whole)
    shown: dict[tuple[int, int], list[bytes]] = defaultdict(list)  # program -> the strings shown with it

    def program_key(fonts: Dictionary, name) -> tuple[int, int] | None:
        """The program behind font `name`; looked up once per font (a page shows thousands of strings)."""
        font = fonts.get(name)
        if font is None:
            return None
        if font.objgen not in program_of:
            program_of[font.objgen] = None
            if font.get("/Subtype") == Name.Type0 and font.get("/Encoding") == Name("/Identity-H"):
                cid_font = font.DescendantFonts[0]
                program = cid_font.get("/FontDescriptor", Dictionary()).get("/FontFile2")
                if program is not None and cid_font.get("/CIDToGIDMap") == Name.Identity:
                    programs[program.objgen] = program
                    program_of[font.objgen] = program.objgen
        return program_of[font.objgen]

    for content, resources in content_streams(out):
        fonts = resources.get("/Font", Dictionary())
        key, saved = None, []
        for operands, operator in pikepdf.parse_content_stream(content, TEXT_OPERATORS):
            operator = str(operator)
            if operator == "q":
                saved.append(key)
            elif operator == "Q":
                key = saved.pop() if saved else None
            elif operator == "Tf":
                key = program_key(fonts, operands[0])
            elif key is not None:
                shown[key].extend(bytes(item) for item in (operands[0] if operator == "TJ" else operands[-1:])
                                  if isinstance(item, String))
    for key in programs:
        data = b"".join(shown[key])  # two bytes per glyph id, big-endian
        ids = array.array("H", data[:len(data) // 2 * 2])
        if sys.byteorder == "little":
            ids.byteswap()
        program = TTFont(BytesIO(programs[key].read_bytes()), recalcTimestamp=False)
        # No OpenType layout tables: a PDF shows glyphs already chosen (and they took 40% of the time).
        subsetter = Subsetter(Options(retain_gids=True, notdef_outline=True, name_IDs=["*"], name_languages=["*"],
                                      layout_features=[]))
        subsetter.populate(gids=sorted(set(ids) | {0}))
        subsetter.subset(program)
        data = BytesIO()
        program.save(data)
        programs[key].write(data.getvalue())
        programs[key].Length1 = len(data.getvalue())


def stack_for_printing(pdfs: list[bytes], two_sided: bool) -> bytes:
    """Several finished PDFs as one document for one print job (the app's basket). Printed on both sides,
    a document of an odd number of pages is followed by a blank page, so the next one starts on a fresh
    sheet. Only for the printer: the structure trees are not merged."""
    out = Pdf.new()
    sources = [open_pdf(data) for data in pdfs]  # open until saved: pages are copied from them then
    try:
        for number, pdf in enumerate(sources):
            with warnings.catch_warnings():  # named destinations and forms: nothing a printer uses
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(pdf.pages)
            if two_sided and len(pdf.pages) % 2 and number < len(sources) - 1:
                box = [float(v) for v in pdf.pages[-1].mediabox]
                out.add_blank_page(page_size=(box[2] - box[0], box[3] - box[1]))
        buffer = BytesIO()
        out.save(buffer)
    finally:
        for pdf in sources:
            pdf.close()
    return buffer.getvalue()
