"""Problem reporting: every stage collects Problem records; the CLI prints them and sets the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the user's input, at a place they can open in an editor."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class BuildFailed(Exception):
    """Raised when the input has problems; carries all of them so they are reported at once."""

    def __init__(self, problems: list[Problem], action: str = "nothing was built"):
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.message))
        self.action = action
        super().__init__(self.summary())

    def summary(self) -> str:
        files = len({p.path for p in self.problems})
        n = len(self.problems)
        return (f"{n} problem{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}; "
                f"{self.action}.")

    def report(self) -> str:
        return "\n".join([*(str(p) for p in self.problems), self.summary()])


class Problems:
    """A collector that stages append to; `raise_if_any` ends the stage when something was wrong."""

    def __init__(self, root: Path | None = None):
        self.root = root
        self.items: list[Problem] = []

    def add(self, path: Path | str, line: int | None, message: str) -> None:
        self.items.append(Problem(self.display(path), line, message))

    def display(self, path: Path | str) -> str:
        """Show paths relative to the project folder when they are inside it, as editors expect."""
        path = Path(path)
        if self.root is not None:
            try:
                return str(path.resolve().relative_to(self.root.resolve()))
            except ValueError:
                pass
        return str(path)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, action: str = "nothing was built") -> None:
        if self.items:
            raise BuildFailed(self.items, action)
