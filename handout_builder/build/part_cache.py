"""Build stage: the cache of laid-out brochure parts, in the output folder: .parts/<key>.pdf.

A part's key is the SHA-256 of its HTML and of everything else its PDF is made from: the stylesheets, fonts,
images, brand file and logo, the code and the versions (the `environment`: fingerprint.Inputs.shared).
So an entry is right for as long as its key matches, and a build after a one-drug edit lays out only the
parts whose HTML changed. Entries are written atomically; one a build cannot read is made again. After
each brochure, the entries that no brochure in the folder uses any more are deleted (.parts/used.json).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .output import write_atomic

FOLDER = ".parts"
USED = "used.json"


class PartCache:
    def __init__(self, out_dir: Path, environment: str):
        self.folder = out_dir / FOLDER
        self.environment = environment

    def key(self, html: str) -> str:
        return hashlib.sha256(f"{self.environment}\n{html}".encode("utf-8")).hexdigest()

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.pdf").read_bytes()
        except OSError:
            return None

    def put(self, key: str, pdf: bytes) -> None:
        write_atomic(self.folder / f"{key}.pdf", pdf)

    def forget(self, key: str) -> None:
        """Drop an entry that turned out unreadable."""
        (self.folder / f"{key}.pdf").unlink(missing_ok=True)

    def keep(self, output: str, keys: list[str]) -> None:
        """Record the entries `output` (a brochure's path) was made from; delete those no output uses."""
        used = self._used()
        used[output] = sorted(set(keys))
        write_atomic(self.folder / USED, (json.dumps(dict(sorted(used.items())), indent=1) + "\n").encode())
        wanted = {key for keys in used.values() for key in keys}
        for path in self.folder.glob("*.pdf"):
            if path.stem not in wanted:
                path.unlink(missing_ok=True)

    def _used(self) -> dict[str, list[str]]:
        try:
            used = json.loads((self.folder / USED).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return used if isinstance(used, dict) else {}
