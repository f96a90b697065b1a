"""The content model, shared by every stage: frozen records that the content stage builds and the
templates read.

Text fields hold `Prose`: HTML made by the content stage (content/prose.py) from the author's Markdown, with
citations and glossary words left as markers that the render stage numbers and marks for each output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path

from markupsafe import Markup

from .editions import DRUG, TOPIC

Prose = Markup  # safe HTML with citation and glossary markers (see prose.py)

STATUS_VALUES = ("approved", "under review", "not approved")
# What a source is, strongest first for the facts a patient acts on: the drug's label (or a copy of it),
# a regulator's own page (FDA, EMA), a peer-reviewed paper, a professional guideline, anything else.
SOURCE_KINDS = ("label", "regulator", "peer-reviewed", "guideline", "secondary")
PRIMARY_KINDS = ("label", "regulator")  # what the facts a patient acts on must cite
ROUTES = ("topical", "oral")


@dataclass(frozen=True)
class Source:
    """An entry of sources.yaml, cited in text as [@id]."""

    id: str
    title: str
    publisher: str
    year: int | None  # None: the source prints no date
    kind: str  # one of SOURCE_KINDS
    url: str | None = None
    weak: str | None = None  # why the facts sheet or a review calls it weak; None: not called weak
    # The facts sheet gives this secondary source for the label's own statements (e.g. "Opzelura, US
    # labelling: [drugs.com; LactMed]"): it carries the label's word until the label itself is on the sheet.
    relays_label: bool = False

    @property
    def primary(self) -> bool:
        """A label or a regulator (or a source that relays the label's own statements)."""
        return self.kind in PRIMARY_KINDS or self.relays_label


@dataclass(frozen=True)
class Review:
    """Who last checked a handout's medical content, when, and how often it must be checked."""

    reviewed_by: str
    reviewed_on: date
    review_every_months: int
    draft: bool = False  # a draft prints with a DRAFT watermark


@dataclass(frozen=True)
class MailServer:
    """The brand file's optional [smtp] table: the clinic's outgoing mail server (never its password)."""

    host: str | None = None
    port: int | None = None
    starttls: bool | None = None
    user: str | None = None
    sender: str | None = None  # "from"
    ca_file: Path | None = None  # a certificate to trust for STARTTLS, beside the brand file


CMYK = tuple[float, float, float, float]  # cyan, magenta, yellow, black, each from 0 to 1


@dataclass(frozen=True)
class Press:
    """The brand file's optional [print] table: how the print shop prints the brochure."""

    profile: Path  # the press's ICC output profile (CMYK), inside the brand file's folder
    primary: CMYK | None = None  # the brand colours in the press's inks, when the brand gives them;
    accent: CMYK | None = None  # otherwise converted from [colors] through the profile


@dataclass(frozen=True)
class Clinic:
    """The brand file: who the clinic is and how its handouts look."""

    name: str
    phone: str
    website: str
    address: str
    email: str
    logo: Path  # absolute path, inside the brand file's folder
    primary: str  # "#rrggbb"
    accent: str
    brand_file: Path
    smtp: MailServer | None = None
    press: Press | None = None  # without it, the print-shop brochure is built in RGB

    @property
    def website_display(self) -> str:
        """The website as printed in running text: without the scheme, which readers do not type."""
        return self.website.split("://", 1)[-1].rstrip("/")


@dataclass(frozen=True)
class BrochurePlan:
    """The brochure's title and the order of its topics and drugs."""

    title: str
    subtitle: str
    topics: tuple[str, ...]
    drugs: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """A piece of a section: either HTML, or a named component the templates draw (e.g. drug-table)."""

    html: Prose | None = None
    component: str | None = None


@dataclass(frozen=True)
class Section:
    """A `##` section of a topic."""

    heading: str | None
    anchor: str
    blocks: tuple[Block, ...]
    line: int


@dataclass(frozen=True)
class LeafletText:
    """A topic's optional shorter texts for the tri-fold leaflet; each left out falls back to the
    handout's own (its summary, all of its "call us if" items)."""

    summary: Prose | None = None  # one short sentence shown instead of the summary
    call_us_if: tuple[Prose, ...] = ()  # the call_us_if items the leaflet's flap shows (copied exactly)


@dataclass(frozen=True)
class EmergencyRisk:
    """A risk whose signs mean "call 911" (handouts/emergency.<lang>.yaml), named the way a sentence names
    it ("a heart attack"), with the signs a reader can notice."""

    id: str  # e.g. "heart-attack", as a handout's `emergency:` list names it
    name: str
    signs: tuple[Prose, ...]
    sources: tuple[str, ...]  # where the sources name the risk (the sign lists may have none of their own)


@dataclass(frozen=True)
class Emergency:
    """A handout's emergency block, printed apart from and above "Call us if": the risks the handout
    names, in its order, and their signs, each printed once."""

    risks: tuple[EmergencyRisk, ...]

    @property
    def signs(self) -> tuple[Prose, ...]:
        return tuple(dict.fromkeys(sign for risk in self.risks for sign in risk.signs))

    @property
    def risk_names(self) -> tuple[str, ...]:
        return tuple(risk.name for risk in self.risks)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(source for risk in self.risks for source in risk.sources))

    @staticmethod
    def union(emergencies) -> Emergency | None:
        """One block for several handouts (the leaflet's flap): every risk they name, once, in order."""
        risks = {risk.id: risk for emergency in emergencies if emergency for risk in emergency.risks}
        return Emergency(tuple(risks.values())) if risks else None


@dataclass(frozen=True)
class Topic:
    slug: str
    lang: str
    path: Path
    title: str
    summary: Prose
    key_points: tuple[Prose, ...]
    what_you_can_do: tuple[Prose, ...]
    call_us_if: tuple[Prose, ...]
    sections: tuple[Section, ...]
    review: Review
    leaflet: LeafletText = LeafletText()
    emergency: Emergency | None = None  # the 911 block, when the topic names an emergency sign's risk
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # front matter key -> line
    kind: str = field(default=TOPIC, init=False)


@dataclass(frozen=True)
class RegulatoryStatus:
    """A drug's status for vitiligo in one region, always dated."""

    region: str  # "US" or "EU"
    vitiligo: str  # one of STATUS_VALUES
    text: Prose
    as_of: date
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TrialResult:
    """One trial figure: what share of people reached a goal, on the drug and on the comparison."""

    trial: str
    measure: str
    week: int
    this_drug: Prose
    this_drug_percent: float | None
    comparison: Prose
    comparison_percent: float | None
    sources: tuple[str, ...]


class Answer(Enum):
    """Whether a label carries a boxed warning. Not a bool: "unconfirmed" (the sources could not confirm
    it) prints a box that says so instead of guessing."""

    YES = "yes"
    NO = "no"
    UNCONFIRMED = "unconfirmed"

    def __bool__(self):
        # "if warning.present" would take UNCONFIRMED (and NO) for yes: compare with a member instead.
        raise TypeError("an Answer is not a bool: compare it with Answer.YES, NO or UNCONFIRMED")


@dataclass(frozen=True)
class BoxedWarning:
    present: Answer
    text: Prose
    sources: tuple[str, ...]

    @property
    def printed(self) -> bool:
        """The handout prints the warning's box (with "ask us" when unconfirmed)."""
        return self.present is not Answer.NO


@dataclass(frozen=True)
class Drug:
    slug: str
    lang: str
    path: Path
    generic: str
    brand: str
    maker: str
    drug_class: str
    route: str  # one of ROUTES
    form: str
    schedule: str
    targets: tuple[str, ...]
    summary: Prose
    key_points: tuple[Prose, ...]
    what_it_is: Prose
    status_us: RegulatoryStatus
    status_eu: RegulatoryStatus
    other_uses: Prose
    how_to_use: tuple[Prose, ...]
    what_to_expect: Prose
    results: tuple[TrialResult, ...]
    side_effects_common: tuple[Prose, ...]
    side_effects_serious: tuple[Prose, ...]
    boxed_warning: BoxedWarning
    monitoring: tuple[Prose, ...]
    pregnancy: Prose
    call_us_if: tuple[Prose, ...]
    review: Review
    emergency: Emergency | None = None  # the 911 block, when the drug names an emergency sign's risk
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # top-level key -> line
    kind: str = field(default=DRUG, init=False)

    @property
    def title(self) -> str:
        return f"{self.brand} ({self.generic})"


Handout = Topic | Drug


@dataclass(frozen=True)
class Library:
    """Everything loaded from a project: brand, brochure plan, content, sources, glossary and the
    emergency sign lists."""

    root: Path
    clinic: Clinic
    brochure: BrochurePlan
    topics: dict[str, Topic]
    drugs: dict[str, Drug]
    sources: dict[str, Source]
    glossary: dict[str, str]
    lang: str = "en"
    emergency: dict[str, EmergencyRisk] = field(default_factory=dict)  # risk id -> its signs

    def handout(self, slug: str) -> Handout:
        return self.topics.get(slug) or self.drugs[slug]

    @property
    def handouts(self) -> list[Handout]:
        return [*self.topics.values(), *self.drugs.values()]

    def brochure_contents(self, include_drafts: bool = False) -> tuple[list[Topic], list[Drug], date]:
        """The brochure's (and leaflet's) topics and drugs in their order, and the newest review date
        among them; drafts stay out unless asked for (they still build on their own)."""
        topics = [self.topics[slug] for slug in self.brochure.topics]
        drugs = [self.drugs[slug] for slug in self.brochure.drugs]
        if not include_drafts:
            topics = [t for t in topics if not t.review.draft]
            drugs = [d for d in drugs if not d.review.draft]
        return topics, drugs, max(h.review.reviewed_on for h in (*topics, *drugs))
