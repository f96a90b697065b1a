"""Content stage: content files read as text (UTF-8, size-limited), YAML and TOML data with line numbers,
and typed field access that reports `path:line` problems (missing, wrong type, unknown key) instead of
raising.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ..problems import Problems
from .project import MAX_FILE_BYTES



def read_text(path: Path, problems: Problems, what: str = "file", within: Path | None = None) -> str | None:
    """A content or brand file's text; None (with the problem reported) when it is missing, too big, not
    UTF-8, or (given `within`, the folder it belongs in) a link to a file outside that folder: a link
    would publish, or echo in messages, a file from anywhere on the disk. A leading byte-order mark,
    which some editors write, is dropped."""
    if within is not None:
        target = path.resolve()
        if not target.is_relative_to(within.resolve()):
            problems.add(path, None, f"{what} is a link to {target}, outside {problems.display(within)}/: "
                         "content files must be in the project, not linked from elsewhere", code="link")
            return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(path, None, f"{what} not found", code="missing-file")
        return None
    except IsADirectoryError:
        problems.add(path, None, f"{what} expected, found a folder", code="missing-file")
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.add(path, None, f"the file is {len(data) // 1024} KB; content files are at most "
                     f"{MAX_FILE_BYTES // 1024} KB", code="file-size")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        problems.add(path, None, f"not UTF-8 text (byte 0x{data[error.start]:02x} at line {line}){hint}: "
                     "save it as UTF-8", code="encoding")
        return None
    if "\0" in text:  # valid UTF-8, but no text file holds NUL: UTF-16 without its byte-order mark
        line = text[:text.index("\0")].count("\n") + 1
        problems.add(path, None, f"not UTF-8 text (a NUL byte at line {line}; it looks like UTF-16): "
                     "save it as UTF-8", code="encoding")
        return None
    return text.removeprefix("\ufeff")


class LocatedDict(dict):
    """A mapping that remembers the line of each key (1-based) and of itself."""

    line: int | None = None
    lines: dict


class LocatedList(list):
    line: int | None = None
    lines: list


class ImpossibleDate(str):
    """A value written as a date that no calendar has (2026-02-30, 2026-13-01): PyYAML raises ValueError
    for it, so it is kept as text, and the field that reads it says what is wrong, at its line."""

    reason: str = ""


class _NoAliasComposer(Composer):
    """Composes the document, refusing anchors (&name) and aliases (*name): content files never need
    them, and nested aliases expand a few hundred bytes into gigabytes ("billion laughs"). Refused here,
    before any value is built."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise ComposerError(None, None, f"alias '*{event.anchor}' is not allowed: content files write "
                                "every value out (no anchors or aliases)", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise ComposerError(None, None, f"anchor '&{event.anchor}' is not allowed: content files write "
                                "every value out (no anchors or aliases)", event.start_mark)
        return super().compose_node(parent, index)


class _LineLoader(Reader, Scanner, Parser, _NoAliasComposer, SafeConstructor, Resolver):
    """PyYAML's safe loader, keeping line numbers and refusing duplicate keys, anchors and aliases. Its
    error messages say what was found where ("expected ',' or ']', but got ':'"); libyaml's do not."""

    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _NoAliasComposer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None

if CParser is not None:
    class _FastLineLoader(CParser, _NoAliasComposer, SafeConstructor, Resolver):
        """The same on libyaml's parser, when PyYAML has it: ten times faster. The document is composed by
        _NoAliasComposer, not libyaml, so that anchors are refused here too. A file it refuses is parsed
        again by _LineLoader, for the clearer message."""

        # CParser composes in C; these make it compose through the Python composer above instead.
        check_node, get_node, get_single_node = Composer.check_node, Composer.get_node, Composer.get_single_node

        def __init__(self, stream):
            CParser.__init__(self, stream)
            _NoAliasComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:
    _FastLineLoader = _LineLoader


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line, result.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):  # `? [a, b]` or `? {a: b}`: valid YAML, but no field name
            raise yaml.MarkedYAMLError(problem=f"a field name must be a word, found {_kind(key)}",
                                       problem_mark=key_node.start_mark)
        if key in result:
            raise yaml.MarkedYAMLError(problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.lines = node.start_mark.line + 1, [c.start_mark.line + 1 for c in node.value]
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as error:
        value = ImpossibleDate(node.value)
        value.reason = str(error)
        return value


for _loader in {_LineLoader, _FastLineLoader}:
    _loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_yaml(text: str, path: Path, problems: Problems, line_offset: int = 0) -> Any:
    """Parse YAML; on a syntax error, report it at its line and return None."""
    try:
        try:
            data = yaml.load(text, Loader=_FastLineLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError:
            data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        message = f"invalid YAML: {error.problem or error.context}"
        if error.context and error.context_mark and error.problem_mark \
                and error.context_mark.line != error.problem_mark.line:
            # The real mistake is often where the construct began (an unclosed bracket or quote).
            message += f" ({error.context} started on line {error.context_mark.line + 1 + line_offset})"
        problems.add(path, line, message, code="yaml")
        return None
    except yaml.YAMLError as error:
        problems.add(path, None, f"invalid YAML: {error}", code="yaml")
        return None
    if data is None:
        problems.add(path, 1 + line_offset, "no fields found: the file (or front matter) is empty", code="schema")
    elif line_offset:
        _shift(data, line_offset)
    return data


def _shift(value: Any, offset: int) -> None:
    if isinstance(value, LocatedDict):
        value.line += offset
        value.lines = {k: n + offset for k, n in value.lines.items()}
        for item in value.values():
            _shift(item, offset)
    elif isinstance(value, LocatedList):
        value.line += offset
        value.lines = [n + offset for n in value.lines]
        for item in value:
            _shift(item, offset)


def toml_lines(text: str) -> dict[tuple[str, str], int]:
    """Map (table, key) to its line in a flat TOML file (the brand file): tomllib keeps no positions."""
    lines, table = {}, ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if match := re.match(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]", line):
            table = match[1]
            lines[(table, "")] = number
        elif match := re.match(r"^([A-Za-z0-9_-]+|\"[^\"]*\")\s*=", line):
            lines.setdefault((table, match[1].strip('"')), number)
    return lines


class Fields:
    """Typed, line-aware access to one mapping. Keys never read are reported as unknown by `done()`."""

    def __init__(self, data: Any, path: Path, problems: Problems, where: str = "",
                 line: int | None = None, lines: dict | None = None):
        self.path, self.problems, self.where = path, problems, where
        self.ok = isinstance(data, dict)
        self.data = data if self.ok else {}
        # A nested table's problems point at its key (`line`); a file's at its first field.
        self.line = line if line is not None else getattr(data, "line", None)
        self.lines = lines if lines is not None else getattr(data, "lines", {})
        self.read: set[str] = set()
        if not self.ok:
            self.problems.add(path, self.line, f"expected a table of fields{self._in()}, "
                              f"found {_kind(data)}", code="schema")

    def _in(self) -> str:
        return f" in '{self.where}'" if self.where else ""

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key, self.line)

    def report(self, key: str, message: str, code: str = "schema") -> None:
        self.problems.add(self.path, self.line_of(key), message, code=code)

    def _get(self, key: str, required: bool, kind: str) -> Any:
        self.read.add(key)
        if key not in self.data or self.data[key] is None:
            if required and self.ok:
                self.problems.add(self.path, self.line, f"missing required field '{key}'{self._in()}"
                                  f" ({kind})", code="schema")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True) -> str:
        value = self._get(key, required, "text")
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.report(key, f"'{key}' must be text, found {_kind(value)}")
            return ""
        value = str(value).strip()
        if not value and required:
            self.report(key, f"'{key}' is empty")
        return value

    def integer(self, key: str, minimum: int = 1, required: bool = True) -> int | None:
        """A whole number; an optional one that is absent is None."""
        value = self._get(key, required, "a whole number")
        if value is None:
            return minimum if required else None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.report(key, f"'{key}' must be a whole number of at least {minimum}, found {value!r}")
            return minimum
        return value

    def number(self, key: str, required: bool = False) -> float | None:
        value = self._get(key, required, "a number")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            self.report(key, f"'{key}' must be a percentage from 0 to 100, found {value!r}")
            return None
        return float(value)

    def boolean(self, key: str, required: bool = True) -> bool:
        value = self._get(key, required, "true or false")
        if value is not None and not isinstance(value, bool):
            self.report(key, f"'{key}' must be true or false, found {value!r}")
            return False
        return bool(value)

    def answer(self, key: str, answers: type[Enum]) -> Enum:
        """A yes/no question that may also have other answers (an Enum whose first two members are yes and
        no): true -> the first, false -> the second; a missing or wrong answer -> the last."""
        members = list(answers)
        value = self._get(key, True, "one of true, false, " + ", ".join(m.value for m in members[2:]))
        if isinstance(value, bool):
            return members[0] if value else members[1]
        for member in members:
            if value == member.value:
                return member
        if value is not None:
            self.report(key, f"'{key}' must be true, false or one of: {', '.join(m.value for m in members[2:])}; "
                        f"found {value!r}")
        return members[-1]

    def date(self, key: str) -> date:
        value = self._get(key, True, "a date, YYYY-MM-DD")
        if value is None:
            return date.min
        if isinstance(value, ImpossibleDate):
            self.report(key, f"'{key}' is {value}, a day that does not exist ({value.reason}): give a real "
                        "date, YYYY-MM-DD")
            return date.min
        if not isinstance(value, date):
            self.report(key, f"'{key}' must be a date written YYYY-MM-DD, found {value!r}")
            return date.min
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self._get(key, default is None, "one of " + ", ".join(choices))
        if value is None:
            return default or choices[0]
        if value not in choices:
            self.report(key, f"'{key}' must be one of: {', '.join(choices)}; found {value!r}")
            return choices[0]
        return value

    def texts(self, key: str, required: bool = True, minimum: int = 1,
              maximum: int | None = None) -> list[tuple[str, int | None]]:
        """A list of text items, each with its own line."""
        value = self._get(key, required, "a list")
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, list):
            self.report(key, f"'{key}' must be a list (one '- item' per line), found {_kind(value)}")
            return []
        if len(value) < minimum:
            self.report(key, f"'{key}' needs at least {minimum} item{'s' if minimum > 1 else ''}")
        if maximum is not None and len(value) > maximum:
            self.report(key, f"'{key}' has {len(value)} items; at most {maximum}")
        lines = getattr(value, "lines", [self.line_of(key)] * len(value))
        items = []
        for item, line in zip(value, lines):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.problems.add(self.path, line, f"each item of '{key}' must be non-empty text, "
                                  f"found {_kind(item)}", code="schema")
            else:
                items.append((str(item).strip(), line))
        return items

    def table(self, key: str, required: bool = True) -> Fields:
        value = self._get(key, required, "a table of fields")
        where = f"{self.where}.{key}" if self.where else key
        if value is None:
            return Fields({}, self.path, self.problems, where, self.line_of(key))
        return Fields(value, self.path, self.problems, where, self.line_of(key))

    def items(self, key: str) -> list[Fields]:
        """An optional list of tables (e.g. trial results)."""
        value = self._get(key, False, "a list")
        if value is None:
            return []
        if not isinstance(value, list):
            self.report(key, f"'{key}' must be a list, found {_kind(value)}")
            return []
        return [Fields(item, self.path, self.problems, f"{key}[{n + 1}]", self.line_of(key))
                for n, item in enumerate(value)]

    def done(self) -> None:
        """Report every key that no field reader asked for: strict is the only mode."""
        for key in self.data:
            if key not in self.read:
                known = ", ".join(sorted(self.read))
                self.report(key, f"unknown field '{key}'{self._in()} (known fields: {known})")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a table", LocatedDict: "a table", list: "a list", LocatedList: "a list",
            str: f"text {value!r}", bool: f"{str(value).lower()}"}.get(type(value), repr(value))
