"""PDF stage: crop marks for the print shop, drawn in a slug beyond the bleed, where printers expect them.

WeasyPrint draws its crop marks (CSS `marks: crop`) inside the bleed, on the artwork that runs off the
page: once trimmed a little off, a mark would show. Here each page's MediaBox grows by a slug around the
BleedBox; the TrimBox and BleedBox stay as they are, and at each corner two thin lines in the slug line up
with the trim edges, starting just outside the bleed. They are drawn in the registration colour (every
plate), marked as an artifact so that assistive technology skips them.
"""

from __future__ import annotations

from io import BytesIO

GAP = 3.0  # pt between the bleed edge and a mark, so that a mark never touches the bleed
LENGTH = 18.0  # pt: a quarter inch, as printers draw them
SLUG = GAP + LENGTH + 3.0  # pt of slug around the bleed: the marks and a little paper
WIDTH = 0.3  # pt: a hairline that still prints
REGISTRATION = "/CropMarkRegistration"  # the colour space's resource name on each page


def add_crop_marks(pdf: bytes) -> bytes:
    """The PDF with a slug around every page's bleed and crop marks in it; every other byte of the pages'
    content as it was."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, Stream

    document = pikepdf.open(BytesIO(pdf))
    # Separation /All: the registration colour, on every plate; shown as black.
    registration = document.make_indirect(Array([
        Name.Separation, Name.All, Name.DeviceGray,
        Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([1]), C1=Array([0]), N=1)]))
    for page in document.pages:
        trim = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
        bleed = [float(v) for v in page.obj.get("/BleedBox", page.mediabox)]
        media = [bleed[0] - SLUG, bleed[1] - SLUG, bleed[2] + SLUG, bleed[3] + SLUG]
        page.obj.MediaBox = Array(media)
        if "/CropBox" in page.obj:
            page.obj.CropBox = Array(media)
        page.obj.TrimBox, page.obj.BleedBox = Array(trim), Array(bleed)
        page.add_resource(registration, Name.ColorSpace, Name(REGISTRATION))
        # The page's own drawing is kept in a saved graphics state, so the marks start from the default one.
        page.contents_add(Stream(document, b"q\n"), prepend=True)
        page.contents_add(Stream(document, b"Q\n" + _marks(trim, bleed)))
    out = BytesIO()
    document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
                  deterministic_id=True, fix_metadata_version=False, min_version=document.pdf_version)
    return out.getvalue()


def _marks(trim: list[float], bleed: list[float]) -> bytes:
    """The content stream of the eight lines: at each trim corner, one along each trim edge, outward."""
    left, bottom, right, top = trim
    lines = []
    for x, outward_x, clear_x in ((left, -1, left - bleed[0]), (right, 1, bleed[2] - right)):
        for y, outward_y, clear_y in ((bottom, -1, bottom - bleed[1]), (top, 1, bleed[3] - top)):
            start_x, start_y = clear_x + GAP, clear_y + GAP
            # A horizontal line level with the trim's horizontal edge, beyond the bleed to the side...
            lines.append((x + outward_x * start_x, y, x + outward_x * (start_x + LENGTH), y))
            # ...and a vertical one in line with its vertical edge, beyond the bleed above or below.
            lines.append((x, y + outward_y * start_y, x, y + outward_y * (start_y + LENGTH)))
    path = "".join(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l\n" for x0, y0, x1, y1 in lines)
    return (f"/Artifact <</Type /Page>> BDC\nq\n{REGISTRATION} CS 1 SCN {WIDTH} w 0 J\n{path}S\nQ\nEMC\n"
            ).encode("ascii")
