"""PDF stage: the print-shop edition's last step, on the joined PDF/X-4 brochure: what WeasyPrint leaves
in RGB goes to the press's CMYK, and the metadata says what the file is.

- Raster images (a PNG logo, an image in a topic) are converted through the press profile, losslessly (a
  PNG cannot hold CMYK, so WeasyPrint writes them as they are, in DeviceRGB); grey images stay grey.
- WeasyPrint 70 draws the crop marks as an SVG in RGB black (stroke="black"): they are drawn in black ink.
- The XMP metadata declares PDF/UA-1 beside PDF/X-4 (the edition keeps its structure tree: engine.py),
  and its document id is made from the content version, not at random as WeasyPrint makes it, so the
  same inputs give the same bytes (the file identifier is made again from the contents).
Everything else is in CMYK already (render/press.py); the preflight (preflight.py) checks it all.
"""

from __future__ import annotations

import uuid
import zlib
from io import BytesIO
from pathlib import Path

import pikepdf
from pikepdf import Name

from ..content.press import press_colours
from .join import content_streams

RGB_SPACES = (Name.DeviceRGB, Name.CalRGB)
COLOUR_OPERATORS = {"rg", "RG", "k", "K", "g", "G", "sc", "scn", "SC", "SCN", "cs", "CS"}
DRAWS_MORE = {"BT", "Do", "sh", "INLINE IMAGE"}  # text, images, forms, shadings: not a crop mark


def make_press_ready(data: bytes, profile: Path, content_version: str) -> bytes:
    """The joined print-shop brochure (PDF/X-4) with its images and crop marks in CMYK, declared PDF/UA-1
    too, and a document id from `content_version`."""
    pdf = pikepdf.open(BytesIO(data))
    version = pdf.pdf_version
    _images_in_cmyk(pdf, profile)
    _crop_marks_in_black_ink(pdf)
    document_id = uuid.uuid5(uuid.NAMESPACE_URL, f"make-handouts:content-version:{content_version}")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfuaid:part"] = "1"
        meta["xmpMM:DocumentID"] = f"uuid:{document_id}"
        meta["xmpMM:InstanceID"] = f"uuid:{document_id}"
    del pdf.trailer.ID  # qpdf keeps a file's first identifier: this one was made from the random one above
    buffer = BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
             deterministic_id=True, fix_metadata_version=False, min_version=version, force_version=version)
    return buffer.getvalue()


def is_rgb(space) -> bool:
    """Whether a colour space (a name or an array) is RGB: DeviceRGB, CalRGB, ICC-based with 3 channels, or
    indexed over one of those."""
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = space[0]
        if family == Name.ICCBased:
            return int(space[1].get("/N", 0)) == 3
        if family == Name.Indexed:
            return is_rgb(space[1])
        return family in RGB_SPACES
    return space in RGB_SPACES


def _images_in_cmyk(pdf: pikepdf.Pdf, profile: Path) -> None:
    press = press_colours(profile)
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image and not obj.get("/ImageMask") \
                and is_rgb(obj.get("/ColorSpace")):
            picture = pikepdf.PdfImage(obj).as_pil_image()
            obj.write(zlib.compress(press.image(picture).tobytes()), filter=Name.FlateDecode)
            obj.ColorSpace, obj.BitsPerComponent = Name.DeviceCMYK, 8
            for key in ("/DecodeParms", "/Decode"):
                if key in obj:
                    del obj[key]


def _crop_marks_in_black_ink(pdf: pikepdf.Pdf) -> None:
    """Forms that draw only lines in RGB black (WeasyPrint's crop marks) draw them in black ink (K)."""
    for content, _ in content_streams(pdf):
        if not isinstance(content, pikepdf.Stream) or content.get("/Subtype") != Name.Form:
            continue
        instructions = pikepdf.parse_content_stream(content)
        operators = {str(operator) for _, operator in instructions}
        colours = [(list(operands), str(operator)) for operands, operator in instructions
                   if str(operator) in COLOUR_OPERATORS]
        if operators & DRAWS_MORE or not colours or \
                any(op not in ("rg", "RG") or any(float(v) != 0 for v in operands) for operands, op in colours):
            continue
        black = [pikepdf.ContentStreamInstruction([0, 0, 0, 1], pikepdf.Operator("k" if str(op) == "rg" else "K"))
                 if str(op) in ("rg", "RG") else pikepdf.ContentStreamInstruction(operands, op)
                 for operands, op in instructions]
        content.write(pikepdf.unparse_content_stream(black))
