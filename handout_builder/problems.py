"""Problems, shared by every stage: each collects Problem records; the CLI prints them and sets the exit code.

A problem is Sphinx style: `path:line: severity: message [code]`. The path is a real file the user can open,
shown relative to the project; a problem that belongs to an option or argument names it instead (`--lang`,
`SLUG`) and is not counted as a file. A problem in a PDF gives its page instead of a line:
`path: page 3: severity: message [code]`. Errors stop the command; warnings are printed and let it go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR, WARNING = "error", "warning"


class Elsewhere(str):
    """A place that is not a file: an option or argument (`--lang`, `SLUG`), an output being made (the
    brochure, the leaflet), the mail server, the printer. Named as it is, never counted as a file."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, where they can fix it."""

    path: str  # a file (relative to the project when inside it), or an option when not `in_file`
    line: int | None
    message: str
    code: str  # what kind of problem, e.g. "schema", "reading-level": scripts and tests key on it
    severity: str = ERROR
    in_file: bool = True
    page: int | None = None  # in a PDF, from 1

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.page:
            where += f": page {self.page}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple:
        return (not self.in_file, self.path, self.line or 0, self.page or 0, self.message)


def summary(problems: list[Problem], action: str) -> str:
    """"3 problems in 2 files and with --lang; nothing was built." Errors are counted, warnings mentioned;
    an option (or the mail server, the printer) is named, not counted as a file."""
    errors = [p for p in problems if p.is_error]
    warnings = len(problems) - len(errors)
    files = len({p.path for p in errors if p.in_file})
    others = sorted({p.path for p in errors if not p.in_file})
    where = []
    if files:
        where.append(f"in {files} file{'s' if files != 1 else ''}")
    if others:
        where.append(f"with {', '.join(others)}")
    n = len(errors)
    text = " ".join([f"{n} problem{'s' if n != 1 else ''}", " and ".join(where)]).strip()
    if warnings:
        text += f" (and {warnings} warning{'s' if warnings != 1 else ''})"
    return f"{text}; {action}."


class BuildFailed(Exception):
    """Raised when the input has errors; carries every problem found (warnings too), reported at once."""

    def __init__(self, problems: list[Problem], action: str = "nothing was built"):
        self.problems = sorted(set(problems), key=Problem.sort_key)
        self.action = action
        super().__init__(self.summary())

    def __reduce__(self):  # raised in a pool worker, it is pickled to the parent with its problems
        return type(self), (self.problems, self.action)

    def summary(self) -> str:
        return summary(self.problems, self.action)

    def report(self) -> str:
        return "\n".join([*(str(p) for p in self.problems), self.summary()])


class Problems:
    """A collector that stages append to; `raise_if_any` ends the stage when an error was found."""

    def __init__(self, root: Path | None = None):
        self.root = root
        self.items: list[Problem] = []

    def add(self, path: Path | str, line: int | None, message: str, *, code: str,
            severity: str = ERROR, page: int | None = None) -> None:
        """A problem in a file (at a line, or a PDF's page), or at a place that is not one (an Elsewhere)."""
        if isinstance(path, Elsewhere):
            self.items.append(Problem(str(path), None, message, code, severity, in_file=False, page=page))
        else:
            self.items.append(Problem(self.display(path), line, message, code, severity, page=page))

    def warn(self, path: Path | str, line: int | None, message: str, *, code: str) -> None:
        self.add(path, line, message, code=code, severity=WARNING)

    def about(self, what: str, message: str, *, code: str = "option") -> None:
        """A problem about something that is not a file: an option or argument (named as the user types it,
        e.g. --lang or SLUG), the mail server, the printer."""
        self.add(Elsewhere(what), None, message, code=code)

    def display(self, path: Path | str) -> str:
        """Show paths relative to the project folder when they are inside it, as editors expect."""
        path = Path(path)
        if self.root is not None:
            # The path as given first: a link inside the project is shown where it is, not where it points.
            for shown, root in ((path.absolute(), self.root.absolute()), (path.resolve(), self.root.resolve())):
                try:
                    return str(shown.relative_to(root))
                except ValueError:
                    pass
        return str(path)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def __bool__(self) -> bool:
        """True when there is an error (warnings alone do not stop anything)."""
        return any(p.is_error for p in self.items)

    def raise_if_any(self, action: str = "nothing was built") -> None:
        if self:
            raise BuildFailed(self.items, action)
