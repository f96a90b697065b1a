"""Content stage: the emergency sign lists (handouts/emergency.<lang>.yaml) and each handout's `emergency:`
list of the risks it names, resolved into the block that tells the reader to call 911 for those signs.

A sign that means "call 911" must never sit under "Call us if": the handout names the risk by id, and the
signs come from one shared list per language, so every handout gives the same signs in the same words.
"""

from __future__ import annotations

from pathlib import Path

from ..model import Emergency, EmergencyRisk
from ..problems import Problems
from .fields import Fields, parse_yaml, read_text
from .project import SLUG
from .prose import ProseReader


def emergency_path(handouts: Path, lang: str) -> Path:
    return handouts / f"emergency.{lang}.yaml"


def read_emergency_risks(path: Path, prose: ProseReader, problems: Problems) -> dict[str, EmergencyRisk] | None:
    """Every risk of the language's emergency file, checked; None when the project has no such file (it
    only needs one once a handout names a risk)."""
    if not path.exists():
        return None
    text = read_text(path, problems, within=path.parent)  # in handouts/, not a link to elsewhere
    data = None if text is None else parse_yaml(text, path, problems)
    if data is None:
        return {}
    top = Fields(data, path, problems)
    table = top.table("risks")
    risks: dict[str, EmergencyRisk] = {}
    for key in list(table.data):
        risk_id = str(key)
        if not SLUG.match(risk_id):
            table.report(key, f"risk id '{risk_id}' must be lowercase letters, digits and hyphens",
                         code="emergency")
        entry = table.table(key)
        name = entry.text("name")
        signs = tuple(prose.inline(sign, path, line) for sign, line in entry.texts("signs"))
        # A risk may have no source yet (a standard list kept ready); no handout may name it then.
        ids = entry.texts("sources", minimum=0)
        for source_id, line in ids:
            if source_id not in prose.sources:
                problems.add(path, line, f"unknown source '{source_id}': add it to sources.yaml", code="citation")
        entry.done()
        risks[risk_id] = EmergencyRisk(id=risk_id, name=name, signs=signs,
                                       sources=tuple(source_id for source_id, _ in ids))
    top.done()
    return risks


def handout_emergency(fields: Fields, risks: dict[str, EmergencyRisk] | None, risks_path: Path) -> Emergency | None:
    """A topic's or drug's optional `emergency:` list of risk ids, as the block its page prints."""
    chosen = fields.texts("emergency", required=False)
    if not chosen:
        return None
    problems = fields.problems
    shown = problems.display(risks_path)
    if risks is None:
        problems.add(fields.path, fields.line_of("emergency"), f"'emergency' names risks, but there is no "
                     f"{shown} to give their signs: add it (see handouts/README.md)", code="emergency")
        return None
    picked: list[EmergencyRisk] = []
    for risk_id, line in chosen:
        risk = risks.get(risk_id)
        if risk is None:
            known = ", ".join(sorted(risks)) or "none"
            problems.add(fields.path, line, f"unknown emergency risk '{risk_id}' (known, in {shown}: {known})",
                         code="emergency")
        elif risk in picked:
            problems.add(fields.path, line, f"emergency risk '{risk_id}' is listed twice", code="emergency")
        else:
            if not risk.sources:
                problems.add(fields.path, line, f"emergency risk '{risk_id}' has no sources in {shown}: cite "
                             "where a label or regulator names the risk before a handout names it",
                             code="citation")
            picked.append(risk)
    return Emergency(tuple(picked)) if picked else None
