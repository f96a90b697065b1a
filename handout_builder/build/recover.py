"""Build stage: a damaged or missing manifest.json rebuilt from the PDFs on disk, so the catalog (and every
script reading the manifest) keeps listing the PDFs a build wrote, instead of silently dropping them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from ..editions import BROCHURE, LEAFLET, Edition
from .fingerprint import FOLDER_KINDS, Record
from .output import MANIFEST, ManifestEntry, update_manifest


def recover_manifest(root: Path, out_dir: Path, warn: Callable[[str], None]) -> None:
    """If the manifest is damaged (not a list of entries) or missing while PDFs are on disk, write it again
    from those PDFs, and say so. Only PDFs this tool wrote are taken back: each must be the file
    fingerprints.json recorded (a PDF copied in by hand is not listed for the front desk). Call with the
    build lock held."""
    path = out_dir / MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(entries, list):
            [ManifestEntry(**entry) for entry in entries]
            return  # readable: nothing to recover
        state = "damaged"
    except FileNotFoundError:
        state = "missing"
    except (ValueError, TypeError):
        state = "damaged"
    pdfs = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.glob("*/*/*.pdf"))
    if state == "missing" and not pdfs:
        return  # a new output folder
    record = Record(out_dir)
    recovered, skipped = [], []
    for relative in pdfs:
        entry = _entry_from_pdf(root, out_dir, relative, record)
        (recovered if entry else skipped).append(entry or relative)
    update_manifest(out_dir, recovered)
    note = f"; not listed, as no build of this folder wrote them: {', '.join(skipped)}" if skipped else ""
    warn(f"{path}: warning: the manifest was {state}; rebuilt it from the {len(recovered)} PDF"
         f"{'s' if len(recovered) != 1 else ''} on disk{note} [manifest]")


def _entry_from_pdf(root: Path, out_dir: Path, relative: str, record: Record) -> ManifestEntry | None:
    """The entry of one PDF, from its path (slug and edition), its bytes and its metadata (title, review
    date); None if the path names no output, the kind is unknown, or the file is not the one recorded."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    named = Edition.of_path(relative)
    if named is None:
        return None
    slug, edition = named
    kind = _kind(root, slug, edition.lang)
    data = (out_dir / relative).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    recorded = record.entries.get(relative)
    if kind is None or not isinstance(recorded, dict) or recorded.get("sha256") != sha256:
        return None
    try:
        reader = PdfReader(out_dir / relative)
        info = reader.metadata or {}
        pages = len(reader.pages)
    except (PdfReadError, OSError, ValueError):
        return None
    title = str(info.get("/Title", slug)).rsplit(" | ", 1)[0]  # "<title> | <clinic>", as the templates write it
    created = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(info.get("/CreationDate", "")))  # the review date
    if not created:
        return None
    return ManifestEntry(slug=slug, kind=kind, lang=edition.lang, paper=edition.paper,
                         variant=edition.variant.name, path=relative, title=title,
                         reviewed_on="-".join(created.groups()), pages=pages, bytes=len(data), sha256=sha256)


def _kind(root: Path, slug: str, lang: str) -> str | None:
    if slug in (BROCHURE, LEAFLET):
        return slug
    for folder, ext, kind in FOLDER_KINDS:
        if (root / "handouts" / folder / f"{slug}.{lang}.{ext}").is_file():
            return kind
    return None
