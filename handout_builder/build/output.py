"""Build stage: write files atomically, keep the output folder's manifest.json in step with what is on
disk, and refuse a place no command may write its output to."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ..content.project import PROJECT_FOLDERS
from ..editions import LANGUAGES, SOURCE_LANGUAGE
from ..problems import BuildFailed, Problem, Problems

MANIFEST = "manifest.json"
CATALOG = "index.html"  # the front desk's page (catalog.py), in English; each other language's beside it
LOCK = ".build.lock"


def catalog_page(lang: str) -> str:
    """The catalog page of a language: index.html for English, index.es.html for Spanish."""
    return CATALOG if lang == SOURCE_LANGUAGE else CATALOG.replace(".html", f".{lang}.html")


@dataclass(frozen=True)
class ManifestEntry:
    """One built PDF, as scripts and the catalog read it from manifest.json."""

    slug: str
    kind: str  # one of editions.KINDS
    lang: str
    paper: str
    variant: str  # editions.Variant.name: regular, large-print, ...
    path: str  # relative to the output folder, with forward slashes
    title: str
    reviewed_on: str
    pages: int
    bytes: int
    sha256: str


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place: never a half-written file.
    A file that cannot be written (a read-only folder, a full disk) is BuildFailed, naming it; the file
    that was there before is untouched."""
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as error:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        raise cannot_write(path, error) from None
    except BaseException:  # a kill or a bug: no half-written file either
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        raise


def cannot_write(path: Path, error: OSError) -> BuildFailed:
    """The user's problem with a file or folder the tool must write: `path: error: cannot write here: ...`."""
    return BuildFailed([Problem(str(path), None, f"cannot write here: {error.strerror or error}", "write")],
                       "nothing was written")


def check_writable(folder: Path) -> None:
    """Make `folder` if needed and write a scratch file in it: BuildFailed now, naming the folder, rather
    than after the work that was to go there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise cannot_write(folder, error) from None


def entry_for(data: bytes, **fields) -> ManifestEntry:
    return ManifestEntry(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), **fields)


def read_manifest(out_dir: Path) -> list[ManifestEntry]:
    try:
        raw = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return [ManifestEntry(**item) for item in raw]
    except (FileNotFoundError, ValueError, TypeError):
        return []  # a missing or foreign manifest is rebuilt from this build's outputs


def update_manifest(out_dir: Path, written: list[ManifestEntry], earlier: list[ManifestEntry] | None = None
                    ) -> list[ManifestEntry]:
    """Merge this build's entries into the manifest, keeping earlier entries whose files still exist
    (`earlier`: the entries to keep from, by default the manifest on disk)."""
    new_paths = {e.path for e in written}
    earlier = read_manifest(out_dir) if earlier is None else earlier
    kept = [e for e in earlier if e.path not in new_paths and (out_dir / e.path).is_file()]
    entries = sorted([*kept, *written], key=lambda e: e.path)
    _write_manifest(out_dir, entries)
    return entries


def _write_manifest(out_dir: Path, entries: list[ManifestEntry]) -> None:
    text = json.dumps([asdict(e) for e in entries], indent=2, ensure_ascii=False) + "\n"
    write_atomic(out_dir / MANIFEST, text.encode("utf-8"))


@contextmanager
def build_lock(out_dir: Path):
    """Hold an exclusive lock on the output folder: a second build into it waits for the first, so two
    builds never interleave their files, manifest and fingerprints."""
    import fcntl

    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = open(out_dir / LOCK, "a+b")
    except OSError as error:  # a read-only folder
        raise cannot_write(out_dir, error) from None
    try:
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # the kernel drops it if the build is killed
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except BaseException:
        # A first build that failed (e.g. a WeasyPrint problem) leaves no output folder behind.
        if created and [p.name for p in out_dir.iterdir()] == [LOCK]:
            (out_dir / LOCK).unlink()
            out_dir.rmdir()
        raise


def retract(out_dir: Path, paths: set[str]) -> None:
    """Drop entries from the manifest before their files are replaced, so that at every moment (even
    after a kill) each manifest entry describes the file on disk."""
    entries = read_manifest(out_dir)
    if any(e.path in paths for e in entries):
        _write_manifest(out_dir, [e for e in entries if e.path not in paths])


def remove_leftovers(out_dir: Path) -> None:
    """Delete temporary files a killed build left behind (call with the build lock held)."""
    for temp in out_dir.rglob(".*.tmp"):
        temp.unlink(missing_ok=True)


def remove_leftovers_if_idle(out_dir: Path) -> None:
    """The same, from a build that writes nothing (nothing changed), only if no other build holds the
    lock: another build's temporary file is its PDF on the way in, not a leftover."""
    import fcntl

    if not any(out_dir.rglob(".*.tmp")):
        return
    try:
        with open(out_dir / LOCK, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            remove_leftovers(out_dir)
    except OSError:  # busy (another build is writing), or a folder this build may not write: leave it
        pass


# What a command writes, for output_folder_problem: a build's PDFs (build --out), its HTML (build --html),
# one patient's copy (personalize -o, a file) or a folder of them (batch --out).
BUILD, HTML, COPY, COPIES = "build", "html", "copy", "copies"


def is_output_folder(folder: Path) -> bool:
    """A folder a build wrote: it holds the manifest, or the lock every build takes before it writes."""
    try:
        return (folder / MANIFEST).is_file() or (folder / LOCK).is_file()
    except OSError:  # a folder this user may not enter: the write itself will say so
        return False


def output_folder_problem(root: Path, target: Path, receives: str) -> Problem | None:
    """Why `target` must not receive what a command writes (`receives`: BUILD, HTML, COPY or COPIES), or
    None. Every command that writes asks before it writes anything: nothing lands on a filesystem root or
    among the project's content, templates or styles; a patient's copy never lands in a build output
    folder, where it could replace a standard handout the front desk prints; and a build does not scatter
    its files into a folder that holds something else."""
    folder = (target.parent if receives == COPY else target).resolve()
    project = root.resolve()
    what = {BUILD: "built handouts", HTML: "HTML files", COPY: "patient copies", COPIES: "patient copies"}[receives]
    own = "(e.g. handouts-to-send/)" if receives in (COPY, COPIES) else "(e.g. out/)"
    inside = next((name for name in PROJECT_FOLDERS if folder.is_relative_to((project / name).resolve())), None)

    def place(where: Path) -> str:  # "this is" the folder itself, "this is in" it for anything below
        return "this is" if target.resolve() == where else "this is in"

    message = None
    if folder == Path(folder.anchor):
        message = f"{place(folder)} the filesystem root: {what} go in a folder of their own {own}"
    elif inside:
        message = (f"{place((project / inside).resolve())} the project's {inside}/ folder: {what} never go among the "
                   f"content, templates and styles; choose a folder of their own {own}")
    elif receives in (COPY, COPIES):
        holder = next((f for f in (folder, *folder.parents) if is_output_folder(f)), None)
        if holder is not None:
            message = (f"{place(holder)} the build output folder {Problems(root).display(holder)}, whose PDFs "
                       f"the front desk prints: {what} there could replace a standard handout; write to a "
                       f"folder of their own {own}")
    elif folder.is_dir() and os.access(folder, os.R_OK | os.X_OK):  # else the write itself will say so
        entries = [path.name for path in folder.iterdir()]
        if receives == BUILD and entries and not is_output_folder(folder):
            message = (f"this folder holds other files and is not an earlier output folder (no {MANIFEST}): "
                       "the build would mix its files in with them; choose a new or empty folder")
        elif receives == HTML and any(name not in LANGUAGES for name in entries):
            message = (f"this folder holds files other than the language folders "
                       f"({', '.join(f'{lang}/' for lang in LANGUAGES)}) an earlier --html wrote; choose a new "
                       "or empty folder")
    return message and Problem(Problems(root).display(target), None, message, "output-folder", in_file=False)


def refuse_output_folders(root: Path, *targets: tuple[Path | None, str], action: str = "nothing was built") -> None:
    """BuildFailed naming every (target, receives) that output_folder_problem refuses; None targets are
    skipped. The commands that write a folder ask this before they start."""
    refused = [problem for target, receives in targets
               if target is not None and (problem := output_folder_problem(root, target, receives))]
    if refused:
        raise BuildFailed(refused, action)
