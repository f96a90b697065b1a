"""Content stage: the author's Markdown to safe HTML, checking citations, images and links on the way.

Citations ([@id]) and glossary words become markers (`<sup data-cite>`, `<span data-term>`) because
their numbering and first-use marking depend on the output they land in (see render/renderer.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ..model import Block, Section
from ..problems import Problems

CITATION = re.compile(r"\[(@[^\]]*)\]")
CITATION_ID = re.compile(r"^@([a-z0-9][a-z0-9-]*)$")
COMPONENT = re.compile(r"^\[\[([a-z0-9-]+)\]\]$")
COMPONENTS = ("drug-table", "jak-signal-diagram", "phototherapy-log", "questions-checklist")
IMAGE_TYPES = (".svg", ".png")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


class ProseReader:
    """Turns Markdown into HTML for one project, reporting problems at `path:line`."""

    def __init__(self, sources: dict, glossary: dict[str, str], images_dir: Path, problems: Problems):
        self.sources = sources
        self.images_dir = images_dir.resolve()
        self.problems = problems
        self.md = MarkdownIt("commonmark", {"html": False}).enable("table")
        # markdown-it quietly turns links it distrusts (file:, data:) into text; let every one through
        # to the checks below, so the author is told why it is refused.
        self.md.validateLink = lambda url: True
        # markdown-it binds rules to its renderer, so each is wrapped to reach this reader.
        self.md.add_render_rule("text", lambda _, *args: self._render_text(*args))
        self.md.add_render_rule("image", lambda _, *args: self._render_image(*args))
        # One pattern for every glossary word (longest first), matched as a whole word, plural too.
        terms = sorted(glossary, key=len, reverse=True)
        self.terms = {t.lower(): t for t in terms}
        self.term_pattern = (re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")(s|es)?\b",
                                        re.IGNORECASE) if terms else None)

    # --- public entry points -------------------------------------------------------------
    def inline(self, text: str, path: Path, line: int | None) -> Markup:
        """One line of text: a list item, a summary, a status."""
        tokens = self.md.parseInline(text.strip())
        self._check_inline(tokens[0].children or [], path, line)
        return Markup(self.md.renderer.render(tokens, self.md.options, {}))

    def paragraphs(self, text: str, path: Path, line: int | None) -> Markup:
        """A field of one or more paragraphs (and lists), without headings or components."""
        tokens = self.md.parse(text)
        for token in tokens:
            if token.type == "heading_open":
                self.problems.add(path, line, "headings are not allowed in this field", code="schema")
            elif token.type == "inline":
                if COMPONENT.match(token.content.strip()):
                    self.problems.add(path, line, f"{token.content.strip()} can only be used in a topic's body",
                                      code="component")
                self._check_inline(token.children or [], path, line)
        return Markup(self.md.renderer.render(tokens, self.md.options, {}))

    def sections(self, body: str, path: Path, first_line: int, slug: str) -> tuple[Section, ...]:
        """A topic's body, split into sections at each `##` heading."""
        tokens = self.md.parse(body)
        sections: list[Section] = []
        heading, line, blocks, pending = None, first_line, [], []
        used_anchors: set[str] = set()

        def flush_html():
            if pending:
                blocks.append(Block(html=Markup(self.md.renderer.render(pending, self.md.options, {}))))
                pending.clear()

        def close_section():
            flush_html()
            if heading is not None or blocks:
                anchor = f"{slug}-{slugify(heading or 'intro')}"
                while anchor in used_anchors:
                    anchor += "-2"
                used_anchors.add(anchor)
                sections.append(Section(heading, anchor, tuple(blocks), line))

        i = 0
        while i < len(tokens):
            token = tokens[i]
            token_line = first_line + token.map[0] if token.map else None
            if token.type == "heading_open":
                level = int(token.tag[1])
                text = tokens[i + 1].content.strip()
                self._check_inline(tokens[i + 1].children or [], path, token_line)
                if level == 2:
                    close_section()
                    heading, line, blocks = text, token_line, []
                    i += 3
                    continue
                if level != 3:
                    self.problems.add(path, token_line,
                                      f"heading level {level} is not used: start a section with '## ' "
                                      "and a sub-heading with '### ' (the title comes from the front matter)",
                                      code="heading")
            if (token.type == "paragraph_open" and tokens[i + 1].type == "inline"
                    and (match := COMPONENT.match(tokens[i + 1].content.strip()))):
                name = match[1]
                if name not in COMPONENTS:
                    self.problems.add(path, token_line, f"unknown component [[{name}]]; "
                                      f"known: {', '.join(f'[[{c}]]' for c in COMPONENTS)}", code="component")
                flush_html()
                blocks.append(Block(component=name))
                i += 3
                continue
            if token.type == "inline":
                self._check_inline(token.children or [], path, token_line)
            pending.append(token)
            i += 1
        close_section()
        return tuple(sections)

    # --- checks -------------------------------------------------------------------------
    def _check_inline(self, children, path: Path, line: int | None) -> None:
        for child in children:
            if child.type == "text":
                for match in CITATION.finditer(child.content):
                    self._check_citation(match[1], path, line)
            elif child.type == "image":
                self._check_image(child, path, line)
            elif child.type == "link_open":
                self.problems.add(path, line, f"links are not allowed in handout text "
                                  f"({child.attrs.get('href')}): a printed page cannot be clicked; "
                                  "put web addresses in sources.yaml", code="link")
            if child.children:
                self._check_inline(child.children, path, line)

    def _check_citation(self, inside: str, path: Path, line: int | None) -> None:
        for part in inside.split(";"):
            part = part.strip()
            match = CITATION_ID.match(part)
            if not match:
                self.problems.add(path, line, f"malformed citation [{inside}]: write [@source-id] or "
                                  "[@one; @two]", code="citation")
            elif match[1] not in self.sources:
                self.problems.add(path, line, f"unknown source '{match[1]}': add it to sources.yaml",
                                  code="citation")

    def _check_image(self, token, path: Path, line: int | None) -> None:
        src = token.attrs.get("src", "")
        alt = "".join(c.content for c in token.children or []).strip()
        if not alt:
            self.problems.add(path, line, f"image {src} has no alt text: write ![what it shows]({src})",
                              code="alt-text")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith(("/", "\\")):
            self.problems.add(path, line, f"image {src} is refused: images must be files in "
                              f"{self.problems.display(self.images_dir)}/, named by a relative path", code="image")
            token.attrs["src"] = ""
            return
        target = (self.images_dir.parent / src).resolve()  # relative to handouts/, as in the guide
        if not target.is_relative_to(self.images_dir):
            self.problems.add(path, line, f"image {src} is refused: it is outside "
                              f"{self.problems.display(self.images_dir)}/", code="image")
            token.attrs["src"] = ""
        elif target.suffix.lower() not in IMAGE_TYPES or not target.is_file():
            self.problems.add(path, line, f"image {src} not found (SVG or PNG files in "
                              f"{self.problems.display(self.images_dir)}/)", code="image")
            token.attrs["src"] = ""
        else:
            token.attrs["src"] = target.as_uri()

    # --- rendering ----------------------------------------------------------------------
    def _render_text(self, tokens, idx, options, env) -> str:
        out = []
        text = tokens[idx].content
        pos = 0
        for match in CITATION.finditer(text):
            out.append(self._mark_terms(text[pos:match.start()]))
            ids = " ".join(p.strip().lstrip("@") for p in match[1].split(";"))
            out.append(f'<sup class="cite" data-cite="{escape(ids)}"></sup>')
            pos = match.end()
        out.append(self._mark_terms(text[pos:]))
        # A citation follows its sentence: drop the space the author typed before it.
        return "".join(out).replace(' <sup class="cite"', '<sup class="cite"')

    def _mark_terms(self, text: str) -> str:
        if not self.term_pattern:
            return str(escape(text))
        out, pos = [], 0
        for match in self.term_pattern.finditer(text):
            out.append(str(escape(text[pos:match.start()])))
            key = self.terms[match[1].lower()]
            out.append(f'<span data-term="{escape(key)}">{escape(match[0])}</span>')
            pos = match.end()
        out.append(str(escape(text[pos:])))
        return "".join(out)

    def _render_image(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        alt = "".join(c.content for c in token.children or [])
        return f'<img src="{escape(token.attrs.get("src", ""))}" alt="{escape(alt)}">'
