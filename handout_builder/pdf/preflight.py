"""PDF stage: the preflight a print shop runs before it prints a PDF (`make-handouts preflight`, and every
print-shop build before it writes): what PDF/X-4 requires and a press needs, page by page.

- identification: GTS_PDFXVersion (the XMP's, or the document information's), a PDF version PDF/X-4 takes
  (1.6 at most), /Trapped true or false, a file identifier, no encryption;
- the OutputIntent: a GTS_PDFX intent with an embedded output profile for CMYK (or grey) printing;
- colour: CMYK, grey, or spot inks only, in every content stream, form (nested ones and the page labels
  too), tiling pattern, shading, image, inline image, annotation appearance and transparency group; any
  RGB (DeviceRGB, CalRGB, ICC-based RGB, indexed or spot colours over RGB) is an error with its page, Lab
  (which PDF/X-4 allows, and the print shop's RIP converts) a warning. A colour counts where it is
  painted: WeasyPrint sets the fill colour of a line it only strokes;
- images at the size they are placed (the CTM at their Do): under 300 ppi a warning, under 200 an error;
- fonts embedded; TrimBox and BleedBox on every page, with at least 3 mm of bleed (0.125 in on letter);
  a page count that is a multiple of 4 (a folded booklet);
- transparency: PDF/X-4 allows live transparency, but a group must blend in the press's CMYK (or say
  nothing and blend in it): a group with an RGB blending space (/Group /CS) is an error, as are transfer
  functions (/TR, /TR2 other than /Default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from ..problems import ERROR, WARNING, Elsewhere, Problem, Problems
from .press import is_rgb

GOOD_PPI, MIN_PPI = 300, 200
LETTER = (612.0, 792.0)
LETTER_BLEED, METRIC_BLEED = 9.0, 3 / 25.4 * 72  # 0.125 in; 3 mm
PDFX4_MAX_VERSION = "1.6"
FILLS, STROKES, BOTH = {"f", "F", "f*"}, {"S", "s"}, {"B", "B*", "b", "b*"}
TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
INLINE_SPACES = {"/RGB": Name.DeviceRGB, "/CMYK": Name.DeviceCMYK, "/G": Name.DeviceGray}
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def preflight(data: bytes, name: Path | str, problems: Problems) -> None:
    """Preflight one PDF's bytes; its problems go to `problems` under `name` (a file, or an Elsewhere for
    an output not yet written), each with its page."""
    try:
        pdf = pikepdf.open(BytesIO(data))
    except pikepdf.PasswordError:
        problems.add(name, None, "the PDF is encrypted (it needs a password to open): a print shop takes no "
                     "encrypted file", code="encrypted")
        return
    except pikepdf.PdfError as error:
        problems.add(name, None, f"not a PDF that can be read: {error}", code="pdf")
        return
    with pdf:
        for finding in Preflight(pdf).run():
            problems.add(name, None, finding.message, code=finding.code, severity=finding.severity,
                         page=finding.page)


def preflight_files(paths: list[Path]) -> list[str]:
    """Preflight each PDF file (`make-handouts preflight`): the warnings, then a line for each file that
    passed. BuildFailed, with every problem by file and page, when a file has an error."""
    problems, passed = Problems(), []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.add(Elsewhere(str(path)), None, f"cannot be read: {error.strerror}", code="missing-file")
            continue
        before = len(problems.items)
        preflight(data, path, problems)
        if not any(problem.is_error for problem in problems.items[before:]):
            with pikepdf.open(BytesIO(data)) as pdf:
                passed.append(f"{path}: ready for the print shop: {_pdfx_version(pdf)}, {len(pdf.pages)} pages, "
                              "CMYK and grey only")
    problems.raise_if_any("the PDF is not ready for the print shop" if len(paths) == 1
                          else "not every PDF is ready for the print shop")
    return [str(problem) for problem in sorted(problems.warnings, key=Problem.sort_key)] + passed


@dataclass
class Finding:
    page: int | None
    message: str
    code: str
    severity: str = ERROR


@dataclass
class _Graphics:
    """The graphics state the checks need: where things are placed, and the colours they are painted in."""

    ctm: tuple = IDENTITY
    fill: object = Name.DeviceGray  # a colour space; both start grey (black)
    stroke: object = Name.DeviceGray
    fill_pattern: str | None = None
    text_mode: int = 0
    base: tuple = IDENTITY  # the CTM the content stream began with: its patterns' space

    def copy(self) -> _Graphics:
        return _Graphics(self.ctm, self.fill, self.stroke, self.fill_pattern, self.text_mode, self.base)


@dataclass
class Preflight:
    pdf: pikepdf.Pdf
    findings: list[Finding] = field(default_factory=list)
    _reported: set = field(default_factory=set)
    _fonts_seen: set = field(default_factory=set)
    _top_left: tuple = (0.0, 0.0)  # the current page's trim corner: where a problem's place is measured from

    def run(self) -> list[Finding]:
        self._document()
        for number, page in enumerate(self.pdf.pages, start=1):
            trim = _box(page.obj.get("/TrimBox", page.mediabox))
            self._top_left = (trim[0], trim[3])
            self._boxes(number, page)
            resources = page.resources  # inherited from the page tree, if it must be
            self._group(number, page.obj, "the page")
            self._walk(number, page, resources, _Graphics(), depth=0)
            for annotation in page.obj.get("/Annots", Array()):
                self._annotation(number, annotation, resources)
        return self.findings

    def _add(self, page: int | None, message: str, code: str, severity: str = ERROR) -> None:
        if (page, message, code) not in self._reported:
            self._reported.add((page, message, code))
            self.findings.append(Finding(page, message, code, severity))

    # The document.

    def _document(self) -> None:
        pdf = self.pdf
        if pdf.is_encrypted:
            self._add(None, "the PDF is encrypted: a print shop takes no encrypted file", "encrypted")
        version = _pdfx_version(pdf)
        if version is None:
            self._add(None, "not identified as PDF/X: no GTS_PDFXVersion in its XMP metadata or document "
                      "information (build it with --print-shop and a [print] table in the brand file)",
                      "pdfx-version")
        elif version.startswith("PDF/X-4") and pdf.pdf_version > PDFX4_MAX_VERSION:
            self._add(None, f"{version} is PDF {PDFX4_MAX_VERSION} at most; this file is PDF {pdf.pdf_version}",
                      "pdfx-version")
        trapped = pdf.docinfo.get("/Trapped") if pdf.docinfo is not None else None
        if str(trapped) not in ("/True", "/False", "True", "False"):
            self._add(None, "the document information has no /Trapped True or False, which PDF/X requires",
                      "pdfx-version")
        if "/ID" not in pdf.trailer:
            self._add(None, "the file has no identifier (/ID), which PDF/X requires", "pdfx-version")
        self._output_intent()
        pages = len(pdf.pages)
        if pages % 4:
            self._add(None, f"{pages} pages: a folded booklet needs a multiple of 4 (add {-pages % 4})",
                      "page-count")

    def _output_intent(self) -> None:
        intents = [intent for intent in self.pdf.Root.get("/OutputIntents", Array())
                   if isinstance(intent, Dictionary) and intent.get("/S") == Name("/GTS_PDFX")]
        if not intents:
            self._add(None, "no PDF/X OutputIntent (/OutputIntents with /S /GTS_PDFX): the print shop cannot "
                      "tell which press the colours are for", "output-intent")
            return
        intent = intents[0]
        if not str(intent.get("/OutputConditionIdentifier", "")).strip():
            self._add(None, "the OutputIntent has no OutputConditionIdentifier", "output-intent")
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream):
            self._add(None, "the OutputIntent embeds no output profile (DestOutputProfile), which PDF/X-4 "
                      "requires", "output-intent")
            return
        header = profile.read_bytes()[:20]
        device_class, space = header[12:16], header[16:20].strip()
        if device_class != b"prtr" or space not in (b"CMYK", b"GRAY"):
            self._add(None, f"the OutputIntent's profile is a {device_class.decode('latin-1')!r} profile for "
                      f"{space.decode('latin-1')}, not an output profile for CMYK or grey printing",
                      "output-intent")

    # Pages.

    def _boxes(self, number: int, page) -> None:
        obj = page.obj
        missing = [box for box in ("/TrimBox", "/BleedBox") if box not in obj]
        if missing:
            self._add(number, f"no {' and no '.join(b[1:] for b in missing)}: a print shop needs the trim and "
                      "the bleed of every page", "page-boxes")
            return
        media, trim, bleed = _box(page.mediabox), _box(obj.TrimBox), _box(obj.BleedBox)
        bleed = (max(bleed[0], media[0]), max(bleed[1], media[1]), min(bleed[2], media[2]), min(bleed[3], media[3]))
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        letter = any(abs(width - w) < 1 and abs(height - h) < 1 for w, h in (LETTER, LETTER[::-1]))
        needed = LETTER_BLEED if letter else METRIC_BLEED
        sides = (trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
        if min(sides) < needed - 0.01:
            what = "0.125 in (9 pt) on letter" if letter else "3 mm (8.5 pt)"
            self._add(number, f"the bleed is {min(sides):.1f} pt on its narrowest side; a print shop needs {what} "
                      "beyond the trim on every side", "bleed")

    def _annotation(self, number: int, annotation, resources) -> None:
        appearances = annotation.get("/AP", Dictionary())
        rect = _box(annotation.get("/Rect", Array([0, 0, 0, 0])))
        for key in ("/N", "/R", "/D"):
            appearance = appearances.get(key)
            streams = [appearance] if isinstance(appearance, pikepdf.Stream) else \
                list(appearance.values()) if isinstance(appearance, Dictionary) else []
            for stream in streams:
                if isinstance(stream, pikepdf.Stream):
                    ctm = _appearance_matrix(stream, rect)
                    self._form(number, stream, resources, _Graphics(ctm=ctm), depth=1, what="an annotation")

    # Content.

    def _walk(self, number: int, content, resources, graphics: _Graphics, depth: int) -> None:
        """Check one content stream, with the colours and matrix it starts with; forms recursively."""
        if depth > 12:
            return
        graphics.base = graphics.ctm
        self._fonts(number, resources)
        saved: list[_Graphics] = []
        for instruction in pikepdf.parse_content_stream(content):
            operator = str(instruction.operator)
            if operator == "INLINE IMAGE":
                self._inline_image(number, instruction.iimage, graphics)
                continue
            operands = instruction.operands
            if operator == "q":
                saved.append(graphics.copy())
            elif operator == "Q":
                graphics = saved.pop() if saved else graphics
            elif operator == "cm":
                graphics.ctm = _multiply(tuple(float(v) for v in operands), graphics.ctm)
            elif operator in ("rg", "RG", "k", "K", "g", "G"):
                space = {"rg": Name.DeviceRGB, "k": Name.DeviceCMYK, "g": Name.DeviceGray}[operator.lower()]
                if operator.islower():
                    graphics.fill, graphics.fill_pattern = space, None
                else:
                    graphics.stroke = space
            elif operator in ("cs", "CS"):
                space = _resolve(operands[0], resources)
                if operator == "cs":
                    graphics.fill, graphics.fill_pattern = space, None
                else:
                    graphics.stroke = space
            elif operator == "scn" and operands and isinstance(operands[-1], Name):
                graphics.fill_pattern = str(operands[-1])
            elif operator == "Tr":
                graphics.text_mode = int(operands[0])
            elif operator == "gs":
                self._ext_gstate(number, resources.get("/ExtGState", Dictionary()).get(operands[0]), resources,
                                 graphics, depth)
            elif operator == "sh":
                shading = resources.get("/Shading", Dictionary()).get(operands[0])
                if shading is not None:
                    self._colour(number, _resolve(shading.get("/ColorSpace"), resources), "a shading")
            elif operator == "Do":
                self._x_object(number, operands[0], resources, graphics, depth)
            elif operator in FILLS | BOTH or (operator in TEXT_SHOWING and graphics.text_mode in (0, 2, 4, 6)):
                self._paint(number, graphics, resources, "text" if operator in TEXT_SHOWING else "fills", depth)
            if operator in STROKES | BOTH or (operator in TEXT_SHOWING and graphics.text_mode in (1, 2, 5, 6)):
                self._colour(number, graphics.stroke, "text outlines" if operator in TEXT_SHOWING else "strokes")

    def _paint(self, number: int, graphics: _Graphics, resources, what: str, depth: int) -> None:
        """A fill in the current fill colour: a colour space, or a pattern to look into."""
        if graphics.fill == Name.Pattern or (isinstance(graphics.fill, Array) and graphics.fill[0] == Name.Pattern):
            pattern = resources.get("/Pattern", Dictionary()).get(graphics.fill_pattern or "")
            if isinstance(graphics.fill, Array) and len(graphics.fill) > 1:  # uncoloured: its colour's space
                self._colour(number, _resolve(graphics.fill[1], resources), what)
            if isinstance(pattern, pikepdf.Stream):  # a tiling pattern: its cell is drawn like a form
                ctm = _multiply(_matrix(pattern), graphics.base)
                self._walk(number, pattern, pattern.get("/Resources", resources), _Graphics(ctm=ctm), depth + 1)
            elif isinstance(pattern, Dictionary) and "/Shading" in pattern:
                self._colour(number, _resolve(pattern.Shading.get("/ColorSpace"), resources), "a shading")
            return
        self._colour(number, graphics.fill, what)

    def _colour(self, number: int, space, what: str) -> None:
        if is_rgb(space) or _alternate_is_rgb(space):
            self._add(number, f"RGB colour ({_space_name(space)}) in {what}: a press prints CMYK and grey only",
                      "rgb-colour")
        elif isinstance(space, Array) and len(space) > 0 and space[0] == Name.Lab:
            self._add(number, f"Lab colour in {what}: the print shop's RIP converts it; give it in CMYK to "
                      "be sure how it prints", "lab-colour", WARNING)

    def _ext_gstate(self, number: int, state, resources, graphics: _Graphics, depth: int) -> None:
        if not isinstance(state, Dictionary):
            return
        for key in ("/TR", "/TR2"):
            if key in state and state[key] != Name.Default:
                self._add(number, f"a transfer function ({key[1:]}), which PDF/X does not allow", "transparency")
        mask = state.get("/SMask")
        if isinstance(mask, Dictionary) and isinstance(mask.get("/G"), pikepdf.Stream):
            self._form(number, mask.G, resources, _Graphics(ctm=graphics.ctm), depth + 1, what="a soft mask")

    def _group(self, number: int, holder, what: str) -> None:
        group = holder.get("/Group")
        if isinstance(group, Dictionary) and group.get("/S") == Name.Transparency and "/CS" in group:
            if is_rgb(group.CS):
                self._add(number, f"{what} is a transparency group that blends in RGB ({_space_name(group.CS)}); "
                          "PDF/X-4 needs the press's CMYK (or no blending space)", "transparency")

    def _x_object(self, number: int, name, resources, graphics: _Graphics, depth: int) -> None:
        x_object = resources.get("/XObject", Dictionary()).get(name)
        if not isinstance(x_object, pikepdf.Stream):
            return
        if x_object.get("/Subtype") == Name.Form:
            self._form(number, x_object, resources, graphics, depth + 1, what=f"form {name}")
        elif x_object.get("/Subtype") == Name.Image:
            self._image(number, x_object, graphics)

    def _form(self, number: int, form, resources, graphics: _Graphics, depth: int, what: str) -> None:
        self._group(number, form, what)
        inner = graphics.copy()
        inner.ctm = _multiply(_matrix(form), graphics.ctm)
        self._walk(number, form, form.get("/Resources", resources), inner, depth)

    def _image(self, number: int, image, graphics: _Graphics) -> None:
        width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        if image.get("/ImageMask"):
            self._paint_mask(number, graphics)
        else:
            space = image.get("/ColorSpace")
            if is_rgb(space) or _alternate_is_rgb(space):
                self._add(number, f"{self._where(graphics.ctm)} ({width} × {height} px) is RGB "
                          f"({_space_name(space)}): a press prints CMYK and grey only", "rgb-colour")
        self._resolution(number, self._where(graphics.ctm), width, height, graphics.ctm, image.get("/ImageMask"))

    def _paint_mask(self, number: int, graphics: _Graphics) -> None:
        self._colour(number, graphics.fill, "a stencil mask")

    def _inline_image(self, number: int, inline, graphics: _Graphics) -> None:
        obj = inline.obj
        space = obj.get("/CS", obj.get("/ColorSpace"))
        space = INLINE_SPACES.get(str(space), space)
        width, height = int(obj.get("/W", obj.get("/Width", 0))), int(obj.get("/H", obj.get("/Height", 0)))
        mask = obj.get("/IM", obj.get("/ImageMask"))
        if mask:
            self._paint_mask(number, graphics)
        elif is_rgb(space):
            self._add(number, f"{self._where(graphics.ctm, 'an inline image')} ({width} × {height} px) is RGB: a "
                      "press prints CMYK and grey only", "rgb-colour")
        self._resolution(number, self._where(graphics.ctm, "an inline image"), width, height, graphics.ctm, mask)

    def _where(self, ctm: tuple, what: str = "the image") -> str:
        """"the image at 1.2 in, 0.8 in": its top left corner, from the trimmed page's top left."""
        corners = [(ctm[4] + x * ctm[0] + y * ctm[2], ctm[5] + x * ctm[1] + y * ctm[3]) for x in (0, 1) for y in (0, 1)]
        left, top = min(x for x, _ in corners), max(y for _, y in corners)
        return (f"{what} at {(left - self._top_left[0]) / 72:.1f} in, {(self._top_left[1] - top) / 72:.1f} in "
                "from the top left")

    def _resolution(self, number: int, what: str, width: int, height: int, ctm: tuple, mask) -> None:
        """The image's resolution where the CTM places it (the unit square, scaled): a stencil mask is line
        art, left to the press's own rules."""
        placed_width, placed_height = math.hypot(ctm[0], ctm[1]) / 72, math.hypot(ctm[2], ctm[3]) / 72
        if mask or not (width and height and placed_width > 0 and placed_height > 0):
            return
        ppi = min(width / placed_width, height / placed_height)
        if ppi >= GOOD_PPI:
            return
        needed = f"{math.ceil(placed_width * GOOD_PPI)} × {math.ceil(placed_height * GOOD_PPI)} px"
        message = (f"{what} ({width} × {height} px) prints at {placed_width:.2f} × {placed_height:.2f} in: "
                   f"{ppi:.0f} ppi; a press needs {GOOD_PPI} ppi (at least {MIN_PPI}): give it {needed}")
        self._add(number, message, "image-resolution", ERROR if ppi < MIN_PPI else WARNING)

    def _fonts(self, number: int, resources) -> None:
        for name, font in resources.get("/Font", Dictionary()).items():
            key = font.objgen if font.is_indirect else (number, name)
            if not isinstance(font, Dictionary) or key in self._fonts_seen:
                continue
            self._fonts_seen.add(key)
            if not _embedded(font):
                self._add(number, f"font {str(font.get('/BaseFont', name))[1:]} is not embedded", "font")


def _pdfx_version(pdf: pikepdf.Pdf) -> str | None:
    try:
        version = str(pdf.open_metadata().get("pdfxid:GTS_PDFXVersion", "")).strip()
    except (ValueError, pikepdf.PdfError):
        version = ""
    if not version and pdf.docinfo is not None:
        version = str(pdf.docinfo.get("/GTS_PDFXVersion", "")).strip()
    return version or None


def _embedded(font: Dictionary) -> bool:
    if font.get("/Subtype") == Name.Type3:
        return True  # its glyphs are drawn in the file
    if font.get("/Subtype") == Name.Type0:
        font = font.DescendantFonts[0]
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _resolve(space, resources):
    """A colour space operand or entry as its definition: a named resource is looked up."""
    if isinstance(space, Name) and space not in (Name.DeviceRGB, Name.DeviceCMYK, Name.DeviceGray, Name.Pattern):
        return resources.get("/ColorSpace", Dictionary()).get(space, space)
    return space


def _alternate_is_rgb(space) -> bool:
    """A spot colour (Separation, DeviceN) printed, where the press lacks the ink, through an RGB space."""
    return isinstance(space, Array) and len(space) > 2 and space[0] in (Name.Separation, Name.DeviceN) \
        and is_rgb(space[2])


def _space_name(space) -> str:
    if isinstance(space, Array) and len(space) > 0:
        if space[0] == Name.ICCBased:
            return "ICC-based RGB"
        return str(space[0])[1:] + (f" over {_space_name(space[1])}" if space[0] == Name.Indexed else "")
    return str(space)[1:]


def _box(box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _matrix(stream) -> tuple:
    return tuple(float(v) for v in stream.get("/Matrix", Array(IDENTITY)))


def _multiply(m: tuple, n: tuple) -> tuple:
    """m × n, PDF's order: `m cm` on a CTM n gives m × n."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _appearance_matrix(stream, rect: tuple) -> tuple:
    """Where an annotation's appearance stream is drawn: its BBox, through its Matrix, fitted to the
    annotation's rectangle (ISO 32000-1, 12.5.5)."""
    matrix = _matrix(stream)
    x0, y0, x1, y1 = _box(stream.get("/BBox", Array([0, 0, 1, 1])))
    corners = [(x * matrix[0] + y * matrix[2] + matrix[4], x * matrix[1] + y * matrix[3] + matrix[5])
               for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    left, bottom = min(x for x, _ in corners), min(y for _, y in corners)
    right, top = max(x for x, _ in corners), max(y for _, y in corners)
    scale_x = (rect[2] - rect[0]) / (right - left) if right > left else 1
    scale_y = (rect[3] - rect[1]) / (top - bottom) if top > bottom else 1
    fit = (scale_x, 0, 0, scale_y, rect[0] - left * scale_x, rect[1] - bottom * scale_y)
    return _multiply(matrix, fit)
