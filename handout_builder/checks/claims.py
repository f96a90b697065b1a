"""Checks stage: the claims ledger for sign-off (`make-handouts check --claims [--json]`): every cited
statement of every handout, where it is written, the text as the reader sees it, and each source it cites
with its kind, so a reviewing clinician can audit the whole content in one sitting."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..model import PRIMARY_KINDS, Drug, Library, Source
from .statements import Page

REGIONS = {"US": "United States (FDA)", "EU": "European Union (EMA)"}


@dataclass(frozen=True)
class CitedSource:
    id: str
    kind: str
    weak: str | None
    publisher: str
    year: int | None
    title: str
    relays_label: bool = False

    @classmethod
    def of(cls, source: Source) -> CitedSource:
        return cls(source.id, source.kind, source.weak, source.publisher, source.year, source.title,
                   source.relays_label)

    @property
    def primary(self) -> bool:
        return self.kind in PRIMARY_KINDS or self.relays_label

    def line(self) -> str:
        weak = f"  WEAK: {self.weak}" if self.weak else ""
        relays = "  (relays the label)" if self.relays_label else ""
        return f"    {self.kind:<13} {self.id}: {self.publisher} ({self.year or 'no date'}){relays}{weak}"


@dataclass(frozen=True)
class Claim:
    path: str  # as `check` shows paths: relative to the project
    line: int
    lang: str
    slug: str
    field: str
    text: str
    sources: tuple[CitedSource, ...]

    @property
    def strong(self) -> bool:
        """Backed by a label or a regulator."""
        return any(s.primary for s in self.sources)

    def lines(self) -> list[str]:
        return [f"{self.path}:{self.line}: [{self.field}] {self.text}", *(s.line() for s in self.sources)]


def page_claims(page: Page, library: Library, display: Callable[[object], str]) -> list[Claim]:
    """The cited statements of one printed handout, in reading order, then its structured facts (the
    emergency block's risks, status rows, trial results, whether the label has a boxed warning), which cite
    their sources as lists."""
    handout = page.handout
    path = display(handout.path)

    def claim(line: int, field: str, text: str, ids) -> Claim:
        return Claim(path, line, handout.lang, handout.slug, field, text,
                     tuple(CitedSource.of(library.sources[i]) for i in ids if i in library.sources))

    claims = [claim(s.line, s.field, s.text, s.sources) for s in page.statements if s.sources]
    for risk in handout.emergency.risks if handout.emergency else ():  # the emergency block's risks
        claims.append(claim(handout.lines.get("emergency", 1), "emergency",
                            f"Call 911 for the signs of {risk.name}: {'; '.join(_plain(s) for s in risk.signs)}",
                            risk.sources))
    if isinstance(handout, Drug):
        text = page.source.text
        for status in (handout.status_us, handout.status_eu):
            key = re.search(rf"^\s+{status.region.lower()}:\s*$", text, re.MULTILINE)
            line = page.source.line(key.start() + 1) if key else handout.lines.get("status", 1)
            claims.append(claim(line, "status", f"{REGIONS[status.region]}: {status.vitiligo} for vitiligo, "
                                f"as of {status.as_of.isoformat()}", status.sources))
        trials = [page.source.line(m.start(1)) for m in re.finditer(r"^\s*-\s+(trial):", text, re.MULTILINE)]
        for n, result in enumerate(handout.results):
            line = trials[n] if n < len(trials) else handout.lines.get("results", 1)
            claims.append(claim(line, "results", f"{result.trial}, week {result.week}, {result.measure}: "
                                f"{_plain(result.this_drug)}; without it: {_plain(result.comparison)}",
                                result.sources))
        present = re.search(r"^\s+(present):", text, re.MULTILINE)
        claims.append(claim(page.source.line(present.start(1)) if present else handout.lines.get("boxed_warning", 1),
                            "boxed_warning", f"The label has a boxed warning: {handout.boxed_warning.present.value}",
                            handout.boxed_warning.sources))
    return [c for c in claims if c.sources]


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", str(html)).strip()


def ledger_lines(claims: list[Claim], lang: str) -> list[str]:
    """The ledger as `check --claims` prints it: a summary, then each claim and its sources."""
    handouts = len({c.slug for c in claims})
    secondary = sum(1 for c in claims if not c.strong)
    weak = sum(1 for c in claims if any(s.weak for s in c.sources))
    lines = [f"Claims ledger ({lang}): {len(claims)} cited statements in {handouts} handouts; {secondary} cite "
             f"no label or regulator, {weak} cite a source called weak."]
    for claim in claims:
        lines += claim.lines()
    return lines


def ledger_rows(claims: list[Claim]) -> list[dict]:
    """The ledger for scripts (`--json`)."""
    return [asdict(c) | {"strong": c.strong} for c in claims]
