"""PDF stage: imposition of a padded print-shop brochure imposed 2-up for saddle stitching on a duplex printer.

Letter pages go side by side on Tabloid (11x17 in), A4 on A3. Sheet k (from the outside) carries pages
n-2k, 2k+1 on its front and 2k+2, n-2k-1 on its back, so the printed stack folds into reading order.
The sheets are landscape, so the back must be printed "flip on short edge" to stand the right way up.
Runs on a copy with pypdf, after WeasyPrint: the booklet is a print artefact, not the accessible edition.
"""

from __future__ import annotations

import io

# Big enough for the paper, by the smaller paper's name: Letter on Tabloid, A4 on A3.
SHEET_NAMES = {"letter": "Tabloid (11x17 in)", "a4": "A3"}
DUPLEX = "flip on short edge"


def booklet_note(paper: str) -> str:
    """How to print and finish the booklet of an edition on `paper`: what the build tells the user."""
    return (f"booklet: print on {SHEET_NAMES[paper]} paper, double-sided, {DUPLEX}; "
            "fold the stack in half and staple along the fold")


def sheet_order(pages: int) -> list[tuple[int, int]]:
    """The (left, right) page numbers, 1-based, of each printed side in order: front 1, back 1, ..."""
    if pages % 4:
        raise ValueError(f"a saddle-stitched booklet needs a multiple of 4 pages, not {pages}")
    sides = []
    for k in range(pages // 4):
        sides.append((pages - 2 * k, 2 * k + 1))
        sides.append((2 * k + 2, pages - 2 * k - 1))
    return sides


def creep_shift(sheet: int, sheets: int, creep: float) -> float:
    """How far (pt) to move the pages of `sheet` (0 = outermost) toward the spine: the innermost sheet
    sticks out furthest at the fore-edge once folded, by the paper's thickness times the sheets around it."""
    return 0.0 if sheets < 2 else creep * sheet / (sheets - 1)


def impose_booklet(pdf: bytes, creep: float = 0.0) -> tuple[bytes, int]:
    """The 2-up saddle-stitch booklet of a print-shop PDF (with bleed and marks): its bytes and sheet
    sides. Each page is cut to its TrimBox, so neither bleed nor crop marks reach the facing page."""
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation
    from pypdf.generic import RectangleObject

    source = PdfReader(io.BytesIO(pdf))
    pages = source.pages
    trim = pages[0].trimbox
    width, height = float(trim.width), float(trim.height)
    order = sheet_order(len(pages))
    sheets = len(order) // 2
    writer = PdfWriter()
    for side, (left, right) in enumerate(order):
        sheet = writer.add_page(PageObject.create_blank_page(width=2 * width, height=height))
        shift = creep_shift(side // 2, sheets, creep)
        for number, spine_on_right in ((left, True), (right, False)):
            page = pages[number - 1]
            box = page.trimbox
            x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
            # Creep: the page moves toward the spine, and what would cross the fold is cut off.
            if spine_on_right:
                x1 -= shift
                x_at = width - (x1 - x0)
            else:
                x0 += shift
                x_at = width
            page.cropbox = RectangleObject((x0, y0, x1, y1))
            sheet.merge_transformed_page(page, Transformation().translate(x_at - x0, -y0))
    writer.add_metadata({"/Title": (source.metadata or {}).get("/Title", "Booklet") + " (booklet)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(order)
