"""Build stage: the fingerprint of each output, a SHA-256 of everything that goes into it, read from the raw files.

This module must stay cheap: a build where nothing changed decides from it alone, so it parses no content
and imports neither WeasyPrint nor pypdf. Paths inside the project are hashed relative to it and outside
files by role, so two copies of the same project get the same fingerprints (and PDFs, which print it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import tomllib
from pathlib import Path

from ..content.project import MAX_FILE_BYTES, catalog_path, content_file
from ..editions import BROCHURE, DRUG, LEAFLET, TOPIC
from ..render.fonts import font_dir
from .output import write_atomic

RECORD = "fingerprints.json"
FOLDER_KINDS = (("topics", "md", TOPIC), ("drugs", "yaml", DRUG))
DRUG_TABLE = b"[[drug-table]]"  # a topic with this marker reads every drug file
LIBRARY_FOLDER = Path(__file__).resolve().parent.parent  # handout_builder/: its code shapes every PDF


def content_version(fingerprint: str) -> str:
    """The short version printed in a PDF's footer and metadata, to trace a printed page to its sources."""
    return fingerprint[:10]


class Inputs:
    """The raw input files of one project and language, hashed at most once per build."""

    def __init__(self, root: Path, brand_file: Path | None = None, lang: str = "en"):
        self.root = root.resolve()
        self.folder = self.root / "handouts"
        self.brand_file = (brand_file or self.folder / "clinic.toml").resolve()
        self.lang = lang
        self._hashes: dict[Path, str] = {}
        self._shared: list | None = None
        # slug -> (kind, path); None when a file name is unexpected (the content stage reports it).
        self.content: dict[str, tuple[str, Path]] | None = {}
        for folder, ext, kind in FOLDER_KINDS:
            directory = self.folder / folder
            names = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
            for name in names:
                if name.startswith("."):
                    continue
                named = content_file(name, ext)
                if named is None or (named[1] == lang and named[0] in self.content):
                    self.content = None
                    return
                if named[1] == lang:
                    self.content[named[0]] = (kind, directory / name)

    def handouts(self, slugs: list[str]) -> list[tuple[str, str]] | None:
        """(slug, kind) of every handout, topics first as the content stage orders them; None when only
        the content stage can tell (an unknown slug or an unexpected file name, to report as a problem)."""
        if self.content is None or any(s not in self.content and s != BROCHURE for s in slugs):
            return None
        return [(slug, kind) for slug, (kind, _) in self.content.items()]

    def fingerprint(self, slug: str, kind: str, *options: str) -> str:
        """The output's fingerprint; `options` are what changes its PDF: language, paper, variant..."""
        parts = [("output", slug, kind), ("options", *options), *self._shared_parts()]
        parts += [(self._name(p), self._hash(p)) for p in self._content_of(slug, kind)]
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()

    def shared(self) -> str:
        """A digest of what every output reads (see _shared_parts): with a document's HTML, it decides
        the document's PDF (the brochure's part cache keys on both)."""
        return hashlib.sha256(json.dumps(self._shared_parts(), ensure_ascii=False).encode("utf-8")).hexdigest()

    def _content_of(self, slug: str, kind: str) -> list[Path]:
        """The content files one output reads: its own, and every drug for a [[drug-table]]."""
        content = self.content or {}
        if kind in (BROCHURE, LEAFLET):
            plan = self._brochure_plan()
            slugs = [s for s in content if plan is None or s in plan]
        else:
            slugs = [slug] if slug in content else []
        paths = [content[s][1] for s in slugs]
        if any(content[s][0] == TOPIC and DRUG_TABLE in self._bytes(content[s][1]) for s in slugs):
            paths += [path for kind_, path in content.values() if kind_ == DRUG]
        return sorted(set(paths))

    def _brochure_plan(self) -> set[str] | None:
        for brand in (self.brand_file, self.folder / "clinic.toml"):
            table = self._brand(brand).get("brochure")
            if isinstance(table, dict):
                return {str(s) for key in ("topics", "drugs") for s in table.get(key) or []}
        return None

    def _brand(self, path: Path) -> dict:
        """A brand file's tables; {} when it is unreadable, invalid or too big (the content stage says so)."""
        try:
            data = self._bytes(path)
            return tomllib.loads(data.decode("utf-8")) if len(data) <= MAX_FILE_BYTES else {}
        except (OSError, ValueError):
            return {}

    def _shared_parts(self) -> list:
        """What every output reads: brand, logo, press profile, sources, glossary, templates, styles,
        images, the language's translations, fonts, and the code and versions that turn them into PDFs."""
        if self._shared is None:
            # The language's gettext catalog too: the templates' words ("No approval found") are in it.
            files = [self.folder / "sources.yaml", self.folder / f"glossary.{self.lang}.yaml",
                     self.folder / "clinic.toml", catalog_path(self.root, self.lang)]
            for folder in (self.root / "templates", self.root / "styles", self.folder / "images"):
                files += sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
            parts = [(self._name(p), self._hash(p)) for p in files]
            parts.append(("brand", self._hash(self.brand_file)))
            parts.append(("logo", self._hash(self._named_by_brand("clinic", "logo"))))
            parts.append(("print profile", self._hash(self._named_by_brand("print", "profile"))))
            fonts = font_dir()
            parts += [("font", p.name, self._hash(p)) for p in sorted(fonts.glob("*.ttf"))] if fonts else []
            # Every module of the library, by its path inside it: a subpackage's module counts too. The
            # app's (web/) make no PDF: editing a page of the app rebuilds nothing.
            parts += [("code", p.relative_to(LIBRARY_FOLDER).as_posix(), self._hash(p))
                      for p in sorted(LIBRARY_FOLDER.rglob("*.py"))
                      if p.relative_to(LIBRARY_FOLDER).parts[0] != "web"]
            parts.append(("versions", _version("make-handouts"), _version("weasyprint")))
            self._shared = parts
        return self._shared

    def _named_by_brand(self, table: str, key: str) -> Path:
        """A file the brand file names (the logo, the press profile); its folder when it names none."""
        fields = self._brand(self.brand_file).get(table)
        name = fields.get(key, "") if isinstance(fields, dict) else ""
        return self.brand_file.parent / str(name)

    def _name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def _bytes(self, path: Path) -> bytes:
        return path.read_bytes()

    def _hash(self, path: Path) -> str:
        if path not in self._hashes:
            try:
                self._hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._hashes[path] = "missing"  # the content stage reports it, if it matters
        return self._hashes[path]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Record:
    """fingerprints.json in the output folder: per output path, the fingerprint it was built from and the
    SHA-256 of the file written. An output is fresh only if both still match."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        try:
            self.entries: dict[str, dict] = json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        if not isinstance(self.entries, dict):
            self.entries = {}

    def is_fresh(self, path: str, fingerprint: str) -> bool:
        entry = self.entries.get(path)
        if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint:
            return False
        try:
            data = (self.out_dir / path).read_bytes()
        except OSError:
            return False  # deleted by hand
        return hashlib.sha256(data).hexdigest() == entry.get("sha256")

    def save(self, built: dict[str, tuple[str, str]]) -> None:
        """Record {path: (fingerprint, sha256)} for this build's outputs, keeping the others' entries."""
        for path, (fingerprint, sha256) in built.items():
            self.entries[path] = {"fingerprint": fingerprint, "sha256": sha256}
        text = json.dumps(dict(sorted(self.entries.items())), indent=2) + "\n"
        write_atomic(self.out_dir / RECORD, text.encode("utf-8"))
