"""Content stage: read every content file of one language, the sources, the glossary, the emergency sign
lists and the brand file into the model (a Library), collecting every problem."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..model import (ROUTES, SOURCE_KINDS, STATUS_VALUES, Answer, BoxedWarning, Drug, Emergency, LeafletText,
                     Library,
                     RegulatoryStatus, Review, Source, Topic, TrialResult)
from ..problems import Problems
from .brand import read_brand_file, read_brochure_plan
from .emergency import emergency_path, handout_emergency, read_emergency_risks
from .fields import Fields, parse_yaml, read_text
from .project import SLUG, content_file
from .prose import ProseReader

# JAK inhibitor labels carry class-wide warnings: each such drug file must say whether its label has a boxed
# warning, and cite the label, so that a new file cannot leave the warning out unnoticed (in any language).
JAK_CLASS = re.compile(r"\bJAK inhibitor\b|\binhibidor(?:es)? de (?:la )?JAK\b", re.IGNORECASE)


def load_library(root: Path, brand_file: Path | None = None, lang: str = "en") -> Library:
    """Read and check everything; raise BuildFailed with every problem found, or return the model."""
    problems = Problems(root)
    handouts = root / "handouts"
    sources = _read_sources(handouts / "sources.yaml", problems)
    glossary = _read_glossary(handouts / f"glossary.{lang}.yaml", problems)
    prose = ProseReader(sources, glossary, handouts / "images", problems)
    risks_path = emergency_path(handouts, lang)
    risks = read_emergency_risks(risks_path, prose, problems)

    def emergency(fields: Fields) -> Emergency | None:
        return handout_emergency(fields, risks, risks_path)

    default_brand = handouts / "clinic.toml"
    # A brand file given with --brand may be kept anywhere (its logo must be beside it); the project's
    # own must really be in handouts/, like every content file.
    clinic, brochure_table = read_brand_file(brand_file or default_brand, problems,
                                             within=None if brand_file else handouts)
    if brochure_table is None and brand_file is not None:
        # A brand file from elsewhere need not repeat the brochure order: the project's applies.
        _, brochure_table = read_brand_file(default_brand, Problems(root), within=handouts)
    if brochure_table is None and clinic is not None:
        problems.add(brand_file or default_brand, None, "missing table [brochure] (title, topics, drugs)",
                     code="schema")

    # A file that does not parse maps to None: its syntax error is reported, and nothing else about it.
    topics = {}
    for path, slug in _content_files(handouts / "topics", "md", lang, problems):
        topics[slug] = _read_topic(path, slug, lang, prose, problems, emergency, handouts)
    drugs = {}
    for path, slug in _content_files(handouts / "drugs", "yaml", lang, problems):
        if slug in topics:
            problems.add(path, None, f"slug '{slug}' is used by a topic too; slugs must be unique", code="slug")
        drugs[slug] = _read_drug(path, slug, lang, prose, problems, emergency, handouts)

    brochure = None
    if brochure_table is not None and clinic is not None:
        brochure = read_brochure_plan(brochure_table, clinic.name, lang)
        for kind, slugs, known in (("topic", brochure.topics, topics), ("drug", brochure.drugs, drugs)):
            for slug in slugs:
                if slug not in known:
                    brochure_table.report(f"{kind}s", f"[brochure] {kind}s names unknown {kind} '{slug}'"
                                          f" (known: {', '.join(sorted(known)) or 'none'})")
    problems.raise_if_any()
    return Library(root=root, clinic=clinic, brochure=brochure, topics=topics, drugs=drugs,
                   sources=sources, glossary=glossary, lang=lang, emergency=risks or {})


def _content_files(folder: Path, ext: str, lang: str, problems: Problems):
    if not folder.is_dir():
        problems.add(folder, None, "folder not found", code="missing-file")
        return
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        named = content_file(path.name, ext)
        if named is None:
            problems.add(path, None, f"unexpected file name: content files are named "
                         f"<slug>.<language>.{ext}, e.g. what-is-vitiligo.en.{ext} (slug: lowercase "
                         "letters, digits and hyphens)", code="file-name")
        elif named[1] == lang:
            yield path, named[0]


def _read_sources(path: Path, problems: Problems) -> dict[str, Source]:
    data = _read_yaml_file(path, problems, path.parent)
    if data is None:
        return {}
    top = Fields(data, path, problems)
    sources = {}
    for key in list(top.data):
        if not SLUG.match(str(key)):
            top.report(key, f"source id '{key}' must be lowercase letters, digits and hyphens", code="citation")
        entry = top.table(key)
        url = entry.text("url", required=False)
        if url and not re.match(r"^https?://\S+$", url):
            entry.report("url", f"url must start with http:// or https://, found {url!r}")
        year = entry.integer("year", minimum=1900, required=False)  # left out when the source has no date
        sources[str(key)] = Source(id=str(key), title=entry.text("title"),
                                   publisher=entry.text("publisher"), year=year,
                                   kind=entry.choice("kind", SOURCE_KINDS), url=url or None,
                                   weak=entry.text("weak", required=False) or None,
                                   relays_label=entry.choice("relays", ("label",), default="no") == "label")
        entry.done()
    return sources


def _read_glossary(path: Path, problems: Problems) -> dict[str, str]:
    data = _read_yaml_file(path, problems, path.parent)
    if data is None:
        return {}
    top = Fields(data, path, problems)
    return {str(term): top.text(term) for term in list(top.data)}


def _read_yaml_file(path: Path, problems: Problems, handouts: Path):
    """A YAML content file, which must really be in `handouts` (not a link to a file elsewhere)."""
    text = read_text(path, problems, within=handouts)
    return None if text is None else parse_yaml(text, path, problems)


def _review(fields: Fields) -> Review:
    return Review(reviewed_by=fields.text("reviewed_by"), reviewed_on=fields.date("reviewed_on"),
                  review_every_months=fields.integer("review_every_months"),
                  draft=fields.boolean("draft", required=False))


# A reader keeps only a few points in mind: the box that opens each handout holds 2 to 5 (the authors' guide).
KEY_POINTS = (2, 5)


def _inline_list(fields: Fields, key: str, prose: ProseReader, minimum: int = 1, required: bool = True,
                 maximum: int | None = None):
    return tuple(prose.inline(text, fields.path, line)
                 for text, line in fields.texts(key, required=required, minimum=minimum, maximum=maximum))


def _key_points(fields: Fields, prose: ProseReader):
    return _inline_list(fields, "key_points", prose, minimum=KEY_POINTS[0], maximum=KEY_POINTS[1])


def _check_source_ids(fields: Fields, key: str, sources: dict) -> tuple[str, ...]:
    ids = fields.texts(key)
    for source_id, line in ids:
        if source_id not in sources:
            fields.problems.add(fields.path, line, f"unknown source '{source_id}': add it to sources.yaml",
                                code="citation")
    return tuple(source_id for source_id, _ in ids)


def _read_topic(path: Path, slug: str, lang: str, prose: ProseReader, problems: Problems,
                emergency: Callable[[Fields], Emergency | None], handouts: Path) -> Topic | None:
    text = read_text(path, problems, within=handouts)
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        problems.add(path, 1, "a topic starts with front matter: a '---' line, the fields, and another "
                     "'---' line", code="front-matter")
        return None
    end = next(n for n, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    front = parse_yaml("\n".join(lines[1:end]), path, problems, line_offset=1)
    if front is None:
        return None
    body, body_line = "\n".join(lines[end + 1:]), end + 2
    fields = Fields(front, path, problems, line=None if isinstance(front, dict) else 2)
    topic = Topic(
        slug=slug, lang=lang, path=path,
        title=fields.text("title"),
        summary=prose.inline(fields.text("summary"), path, fields.line_of("summary")),
        key_points=_key_points(fields, prose),
        what_you_can_do=_inline_list(fields, "what_you_can_do", prose),
        call_us_if=_inline_list(fields, "call_us_if", prose),
        sections=prose.sections(body, path, body_line, slug),
        review=_review(fields),
        leaflet=_leaflet_text(fields, prose),
        emergency=emergency(fields),
        lines=dict(fields.lines),
    )
    fields.done()
    if not any(s.heading for s in topic.sections):
        problems.add(path, body_line, "the body has no sections: start each one with a '## ' heading",
                     code="schema")
    return topic


def _leaflet_text(fields: Fields, prose: ProseReader) -> LeafletText:
    """The optional `leaflet` table. Its "call us if" items must be copies of the topic's own, so the
    leaflet never tells a reader something about when to call that the handout does not."""
    table = fields.table("leaflet", required=False)
    summary = table.text("summary", required=False)
    own = fields.data.get("call_us_if")  # read (and its problems reported) by _read_topic
    own = {str(item).strip() for item in own} if isinstance(own, list) else set()
    chosen = table.texts("call_us_if", required=False)
    for text, line in chosen:
        if own and text not in own:
            table.problems.add(table.path, line, f"leaflet.call_us_if item {text!r} is not one of this "
                               "topic's call_us_if items: copy the item exactly", code="leaflet")
    table.done()
    return LeafletText(summary=prose.inline(summary, table.path, table.line_of("summary")) if summary else None,
                       call_us_if=tuple(prose.inline(text, table.path, line) for text, line in chosen))


def _status(fields: Fields, region: str, prose: ProseReader, sources: dict) -> RegulatoryStatus:
    table = fields.table(region.lower())
    status = RegulatoryStatus(
        region=region, vitiligo=table.choice("vitiligo", STATUS_VALUES),
        text=prose.inline(table.text("text"), table.path, table.line_of("text")),
        as_of=table.date("as_of"), sources=_check_source_ids(table, "sources", sources))
    table.done()
    return status


def _require_stated_boxed_warning(fields: Fields, warning: Fields) -> None:
    """For a JAK inhibitor, leaving the boxed warning unsaid (or unsourced) is never allowed."""
    data = warning.data
    stated = isinstance(data.get("present"), bool) or data.get("present") in {a.value for a in Answer}
    sourced = isinstance(data.get("sources"), list) and any(str(s).strip() for s in data["sources"])
    if not (stated and sourced):
        fields.problems.add(fields.path, fields.lines.get("boxed_warning") or fields.line_of("drug_class"),
                            "a JAK inhibitor must say whether its label carries a boxed warning: "
                            "give boxed_warning.present (true, false or unconfirmed) and the label in "
                            "boxed_warning.sources", code="boxed-warning")


def _read_drug(path: Path, slug: str, lang: str, prose: ProseReader, problems: Problems,
               emergency: Callable[[Fields], Emergency | None], handouts: Path) -> Drug | None:
    data = _read_yaml_file(path, problems, handouts)
    if data is None:
        return None
    fields = Fields(data, path, problems, line=None if isinstance(data, dict) else 1)
    sources = prose.sources

    def inline(key: str) -> str:
        return prose.inline(fields.text(key), path, fields.line_of(key))

    def paragraphs(key: str) -> str:
        return prose.paragraphs(fields.text(key), path, fields.line_of(key))

    results = []
    for item in fields.items("results"):
        results.append(TrialResult(
            trial=item.text("trial"), measure=item.text("measure"), week=item.integer("week"),
            this_drug=prose.inline(item.text("this_drug"), path, item.line_of("this_drug")),
            this_drug_percent=item.number("this_drug_percent"),
            comparison=prose.inline(item.text("comparison"), path, item.line_of("comparison")),
            comparison_percent=item.number("comparison_percent"),
            sources=_check_source_ids(item, "sources", sources)))
        item.done()
    side_effects = fields.table("side_effects")
    common = _inline_list(side_effects, "common", prose)
    serious = _inline_list(side_effects, "serious", prose)
    side_effects.done()
    warning_fields = fields.table("boxed_warning")
    warning = BoxedWarning(present=warning_fields.answer("present", Answer),
                           text=prose.inline(warning_fields.text("text"), path,
                                             warning_fields.line_of("text")),
                           sources=_check_source_ids(warning_fields, "sources", sources))
    warning_fields.done()
    drug_class = fields.text("drug_class")
    if JAK_CLASS.search(drug_class):
        _require_stated_boxed_warning(fields, warning_fields)
    status = fields.table("status")
    targets = fields.texts("targets")
    for target, line in targets:
        if not re.match(r"^(JAK[123]|TYK2|TEC)$", target):
            problems.add(path, line, f"unknown target '{target}' (JAK1, JAK2, JAK3, TYK2 or TEC)", code="schema")

    drug = Drug(
        slug=slug, lang=lang, path=path,
        generic=fields.text("generic"), brand=fields.text("brand"), maker=fields.text("maker"),
        drug_class=drug_class, route=fields.choice("route", ROUTES),
        form=fields.text("form"), schedule=fields.text("schedule"),
        targets=tuple(t for t, _ in targets),
        summary=inline("summary"), key_points=_key_points(fields, prose),
        what_it_is=paragraphs("what_it_is"),
        status_us=_status(status, "US", prose, sources), status_eu=_status(status, "EU", prose, sources),
        other_uses=paragraphs("other_uses"),
        how_to_use=_inline_list(fields, "how_to_use", prose),
        what_to_expect=paragraphs("what_to_expect"),
        results=tuple(results),
        side_effects_common=common, side_effects_serious=serious,
        boxed_warning=warning,
        monitoring=_inline_list(fields, "monitoring", prose),
        pregnancy=paragraphs("pregnancy"),
        call_us_if=_inline_list(fields, "call_us_if", prose),
        review=_review(fields),
        emergency=emergency(fields),
        lines=dict(fields.lines),
    )
    status.done()
    fields.done()
    return drug
