"""Checks stage: a handout as its reader gets it, in statements traced back to the content file.

The rendered HTML says where each piece of text is printed: the boxes it sits in (their classes, e.g.
"call-us-if", "emergency"), the headings above it, and whether the handout has an emergency block. The
content file says where it was written (its line) and what it cites (`[@id]`). A statement is the text
of a paragraph, list item, cell or heading up to and including one citation, or its uncited rest. Text
the templates add (headings such as "Call us if", labels) is never a statement, only the context of one.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..model import Drug, Handout

BLOCKS = {"p", "li", "td", "th", "dt", "dd", "caption", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SCOPES = {"section", "article", "aside", "div", "figure", "header", "footer", "nav"}  # a heading ends with these
VOID = {"br", "img", "hr", "wbr", "input", "meta", "link", "source", "col"}
SKIPPED = {"sources", "disclaimer", "words-to-know"}  # classes of what is not the handout's own text
CITE = "\x00"  # where a citation mark was printed in a block's text
CITATION = re.compile(r"\[@[^\]]*\]")
CITATION_AFTER = re.compile(r"[^\w\[]*\[(@[^\]]*)\]")  # a citation right after a piece's last word
WORD = re.compile(r"[^\W_]+")  # letters and digits: "call_us_if" is three words, joined by underscores
# Between two words of the printed text, the content file may have spaces, line breaks, Markdown marks,
# quotes and citations (an underscore only as emphasis, beside a space: never inside a YAML key).
GAP = re.compile(r"(?:\[@[^\]]*\]|\W|(?<=\s)_|_(?=\s))*")
# A block of the page starts a unit of the file: after list marks, a table's "|", an ordered item's number
# or a YAML key, and ends one: before closing marks, citations, and the end of the line or cell.
UNIT_START = re.compile(r"(?:^|.*\|)[\s\-*+>#\"'`_]*(?:\d+[.)]\s*)?(?:[A-Za-z_]\w*:\s*(?:[>|][-+]?\s*)?[\"']?)?$", re.MULTILINE)
UNIT_END = re.compile(r"(?:[ \t.,;:!?)\]\"'*_`]|\[@[^\]]*\])*(?:\||\n|\Z)")  # a citation may wrap
YAML_KEY_LINE = re.compile(r"\s*[A-Za-z_]\w*:\s*$")
DATED_TABLE = re.compile(r"<table\b(?:(?!</table>).)*\bclass=\"as-of\"", re.DOTALL)
YAML_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):", re.MULTILINE)
SECTION_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Place:
    """Where a block is printed: the classes of the elements around it, and the headings above it."""

    boxes: frozenset[str]
    headings: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    text: str  # as printed, with CITE where a citation mark is
    place: Place
    heading: bool


@dataclass(frozen=True)
class Statement:
    """One statement of a handout: what the reader sees, where it is printed and where it was written."""

    source: SourceText
    field: str  # the content field it comes from: "how_to_use", "call_us_if", "section 'Heading'", ...
    start: int  # its span in the content file's text
    end: int
    text: str  # plain, as the reader sees it (no citation numbers)
    sources: tuple[str, ...]  # the ids it cites
    place: Place

    @property
    def line(self) -> int:
        return self.source.line(self.start)

    def line_of(self, phrase: str) -> int:
        """The line where a phrase of this statement's text is written (its first line when not found)."""
        found = self.source.find(phrase, self.start, self.end)
        return self.source.line(found[0]) if found else self.line


@dataclass(frozen=True)
class Page:
    """A rendered handout as statements, and what the whole page has."""

    handout: Handout
    source: SourceText
    statements: tuple[Statement, ...]
    blocks: tuple[Block, ...]  # every block, the templates' own text included
    dated_table: bool  # it prints a table of statuses with their dates (the status partial's "as-of")

    def blocks_in(self, box: str) -> list[Block]:
        return [b for b in self.blocks if box in b.place.boxes]


class SourceText:
    """A content file's text, searched by the words the reader sees."""

    def __init__(self, path: Path):
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        # The file's words outside citations, each with its span, and where each word occurs: a search
        # walks these instead of compiling a pattern per block.
        outside = CITATION.sub(lambda m: " " * len(m[0]), self.text)  # same offsets, no citation words
        self.words = [(m[0].lower(), m.start(), m.end()) for m in WORD.finditer(outside)]
        self.places: dict[str, list[int]] = {}
        for n, (word, _, _) in enumerate(self.words):
            self.places.setdefault(word, []).append(n)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def find(self, printed: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
        """The span of the file's text that prints as `printed` (the same words, in order), from `start`."""
        words = [w.lower() for w in WORD.findall(printed)]
        if not words:
            return None
        end = len(self.text) if end is None else end
        for n in self.places.get(words[0], ()):
            first = self.words[n]
            if first[1] < start:
                continue
            last = n + len(words) - 1
            if first[1] >= end or last >= len(self.words) or self.words[last][2] > end:
                return None
            if all(self.words[n + k][0] == words[k] and GAP.fullmatch(self.text, self.words[n + k - 1][2],
                                                                       self.words[n + k][1])
                   for k in range(1, len(words))):
                return first[1], self.words[last][2]
        return None

    def find_unit(self, printed: str, start: int = 0) -> tuple[int, int] | None:
        """Like find, but only a span that is a whole unit of the file (a list item, a paragraph, a
        field's value, a heading, a cell): the templates' words are found in the file by chance at best."""
        while (span := self.find(printed, start)) is not None:
            line_start = self.line_starts[self.line(span[0]) - 1]
            line_end = self.text.find("\n", span[1])
            line_end = len(self.text) if line_end < 0 else line_end
            last_line = self.text[self.line_starts[self.line(span[1]) - 1]:line_end]
            if (UNIT_START.match(self.text, line_start, span[0]) and UNIT_END.match(self.text, span[1])
                    and not YAML_KEY_LINE.fullmatch(last_line)):
                return span
            start = span[0] + 1
        return None

    def field_at(self, offset: int, topic: bool) -> str:
        """The content field a span belongs to: the YAML key above it, or a topic body's `##` section."""
        front_end = self.text.find("\n---", 3) if topic else len(self.text)
        line_end = self.text.find("\n", offset)
        if topic and offset > front_end:
            headings = list(SECTION_HEADING.finditer(self.text, front_end, len(self.text) if line_end < 0 else line_end))
            return f"section '{headings[-1][1]}'" if headings else "body"
        keys = [m for m in YAML_KEY.finditer(self.text, 0, offset)]
        return keys[-1][1] if keys else ""


class _Reader(HTMLParser):
    """The blocks of a handout's <main>, each with its Place; citation marks kept as CITE."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, tuple[str, ...]]] = []  # (tag, classes) of every open element
        self.saved: list[tuple[tuple[int, str], ...]] = []  # the headings when each open scope began
        self.headings: tuple[tuple[int, str], ...] = ()
        self.buffers: list[tuple[str, list[str]]] = []  # open blocks and their text
        self.skipping = 0  # inside an element whose text is left out (an SVG, a citation, the sources)
        self.blocks: list[Block] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br" and self.buffers and not self.skipping:
                self.buffers[-1][1].append(" ")
            return
        classes = tuple((dict(attrs).get("class") or "").split())
        if self.skipping or tag == "svg" or SKIPPED & set(classes) or (tag == "sup" and "cite" in classes):
            if not self.skipping and tag == "sup" and self.buffers:
                self.buffers[-1][1].append(CITE)
            self.skipping += 1
            self.open.append((tag, classes))
            return
        self.open.append((tag, classes))
        if tag in SCOPES:
            self.saved.append(self.headings)
        if tag in BLOCKS:
            self.buffers.append((tag, []))

    def handle_endtag(self, tag):
        if not any(t == tag for t, _ in self.open):
            return  # a stray end tag
        while self.open:
            open_tag, _ = self.open.pop()
            if self.skipping:
                self.skipping -= 1
            elif open_tag in BLOCKS and self.buffers:
                self._close_block(*self.buffers.pop())
            elif open_tag in SCOPES and self.saved:
                self.headings = self.saved.pop()
            if open_tag == tag:
                return

    def handle_data(self, data):
        if self.buffers and not self.skipping:
            self.buffers[-1][1].append(data)

    def _close_block(self, tag: str, parts: list[str]) -> None:
        text = re.sub(r"\s+", " ", "".join(parts)).strip()
        if not text.replace(CITE, "").strip():
            return
        boxes = frozenset(c for _, classes in self.open for c in classes)
        self.blocks.append(Block(text, Place(boxes, tuple(h for _, h in self.headings)), tag in HEADINGS))
        if tag in HEADINGS:
            level = int(tag[1])
            self.headings = tuple(h for h in self.headings if h[0] < level) + ((level, text.replace(CITE, "")),)


def read_page(handout: Handout, html: str) -> Page:
    """The statements of a handout's rendered HTML, each traced to its line of the handout's file."""
    main = html.split("<main>", 1)[-1].split("</main>", 1)[0]
    reader = _Reader()
    reader.feed(main)
    reader.close()
    source = SourceText(handout.path)
    topic = not isinstance(handout, Drug)
    statements = []
    if not topic:  # the drug's facts line mixes template words with these fields
        statements += _fields(handout, source, ("form", "schedule"))
    searched_from: dict[str, int] = {}  # a text printed twice is looked for after its first place
    for block in reader.blocks:
        plain = block.text.replace(CITE, "")
        span = source.find_unit(plain, searched_from.get(plain, 0))
        if span is None or (block.heading and not _heading_line(source, span[0], topic)):
            continue  # the templates' own words, or another file's (a topic's drug table)
        searched_from[plain] = span[1]
        statements += _split(block, span, source, source.field_at(span[0], topic))
    dated_table = bool(DATED_TABLE.search(main))
    return Page(handout, source, tuple(statements), tuple(reader.blocks), dated_table)


def _heading_line(source: SourceText, offset: int, topic: bool) -> bool:
    """A heading is the author's only in a topic: its title or a `##` line (a drug's come from the template)."""
    line = source.text[source.line_starts[source.line(offset) - 1]:offset]
    return topic and (line.lstrip().startswith("#") or line.startswith("title:"))


def _split(block: Block, span: tuple[int, int], source: SourceText, field: str) -> list[Statement]:
    """A block's statements: each piece up to a citation mark, with the ids that citation names."""
    pieces = block.text.split(CITE)
    cited = [True] * (len(pieces) - 1) + [False]
    # A citation comes before its sentence's full stop: the stop belongs to the piece it ends.
    for n in range(1, len(pieces)):
        stop = re.match(r"^[.,;:!?)\]»”\"']+", pieces[n])
        if stop:
            pieces[n - 1] += stop[0]
            pieces[n] = pieces[n][stop.end():]
    statements, cursor = [], span[0]
    for piece, has_cite in zip(pieces, cited):
        text = piece.strip()
        found = source.find(text, cursor, span[1]) if WORD.search(text) else None
        if found is None:
            continue
        ids: tuple[str, ...] = ()
        cursor = found[1]
        if has_cite and (match := CITATION_AFTER.match(source.text, found[1])):
            ids = tuple(p.strip().lstrip("@") for p in match[1].split(";") if p.strip())
            cursor = match.end()
        statements.append(Statement(source, field, found[0], found[1], text, ids, block.place))
    return statements


def _fields(drug: Drug, source: SourceText, keys: tuple[str, ...]) -> list[Statement]:
    """One-line fields printed inside a line of the template's own words."""
    statements = []
    for key in keys:
        line = drug.lines.get(key)
        value = getattr(drug, key)
        span = source.find(value, source.line_starts[line - 1]) if line else None
        if span:
            statements.append(Statement(source, key, span[0], span[1], value, (),
                                        Place(frozenset({"drug-facts"}), ())))
    return statements
