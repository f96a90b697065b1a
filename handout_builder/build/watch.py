"""Build stage: watch: rebuild what changed whenever content, templates, styles or the brand file change.

Each round is an ordinary incremental build, so only outputs whose inputs changed are rendered again.
Problems are reported and the watch goes on: the author fixes the file and the next save builds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..problems import BuildFailed, Problems
from .incremental import build
from .output import BUILD, refuse_output_folders


def watched_folders(root: Path, brand_file: Path | None) -> list[Path]:
    folders = [root / "handouts", root / "templates", root / "styles"]
    if brand_file is not None:
        folders.append(brand_file.resolve().parent)
    return [f for f in dict.fromkeys(p.resolve() for p in folders) if f.is_dir()]


def watch(root: Path, paper: str = "letter", brand_file: Path | None = None, out_dir: Path | None = None,
          jobs: int | None = None, log: Callable[[str], None] = print, stop_event=None) -> None:
    """Build, then build again after each batch of changes until `stop_event` is set or Ctrl-C."""
    import watchfiles

    out_dir = (out_dir or root / "out").resolve()
    refuse_output_folders(root, (out_dir, BUILD))  # refused before it is watched, not again at every save

    def build_once() -> None:
        try:
            build(root, [], paper=paper, brand_file=brand_file, out_dir=out_dir, log=log, jobs=jobs)
        except BuildFailed as failure:
            log(failure.report())

    editor_files = watchfiles.DefaultFilter()

    def relevant(change, path: str) -> bool:
        # The build's own output (when --out is inside a watched folder) must not trigger another build.
        return editor_files(change, path) and not Path(path).is_relative_to(out_dir)

    build_once()
    folders = watched_folders(root, brand_file)
    log(f"watching {', '.join(str(f) for f in folders)} (Ctrl-C to stop)")
    for changes in watchfiles.watch(*folders, watch_filter=relevant, stop_event=stop_event,
                                    debounce=300, raise_interrupt=False):
        names = sorted({Problems(root).display(path) for _, path in changes})
        log(f"changed: {', '.join(names)}")
        build_once()

