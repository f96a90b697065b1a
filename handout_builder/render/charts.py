"""Render stage: a drug's trial results (its data file's percentages) as bar geometry for the SVG chart.

Python lays the bars out so the template only draws them; every bar carries its number and its group's
name in words, so the chart never relies on colour and reads the same in grayscale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Drug

WIDTH = 720  # the SVG's viewBox width; it scales to the column
LABEL_WIDTH = 230  # left column: who the bar is for
BAR_SPACE = 340  # the bar for 100%
BAR_HEIGHT = 34
ROW = 46  # one bar and its gap
GROUP_HEADING = 40  # the line naming the study and week above its bars


@dataclass(frozen=True)
class Bar:
    label: str  # "With Opzelura" or "Without the medicine"
    value: str  # the number printed at the bar's end
    y: int
    length: float  # 0 when there is nothing to draw ("no comparison")
    kind: str  # "drug", "comparison" or "none": picks a fill pattern, never the only cue


@dataclass(frozen=True)
class Group:
    heading: str
    y: int  # baseline of the heading
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    title: str  # the SVG's <title>: its alt text, every figure in words
    measure: str
    groups: tuple[Group, ...]
    sources: tuple[str, ...]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    scale_end: int = LABEL_WIDTH + BAR_SPACE


def trial_chart(drug: Drug, _: Callable[[str], str] = str) -> Chart | None:
    """The chart of a drug's results that have a percentage; None when no result has one. Its words go
    through `_` (the output language's gettext)."""
    results = [r for r in drug.results if r.this_drug_percent is not None]
    if not results:
        return None
    groups, y, words = [], 0, []
    for result in results:
        y += GROUP_HEADING
        heading = _("%(trial)s, week %(week)s") % {"trial": result.trial, "week": result.week}
        bars = [(_("With %(brand)s") % {"brand": drug.brand}, result.this_drug_percent, "drug")]
        bars.append((_("Without the medicine"), result.comparison_percent,
                     "comparison" if result.comparison_percent is not None else "none"))
        drawn, top = [], y + 10
        for label, percent, kind in bars:
            value = (_("%(number)s in 100") % {"number": f"{percent:g}"} if percent is not None
                     else _("no comparison group"))
            length = BAR_SPACE * percent / 100 if percent is not None else 0
            drawn.append(Bar(label, value, top, round(length, 1), kind))
            top += ROW
        groups.append(Group(heading, y, tuple(drawn)))
        said = "; ".join(f"{b.label[0].lower()}{b.label[1:]}, {b.value}" for b in drawn)
        words.append(f"{heading}: {said}")
        y = top
    measures = {r.measure for r in results}
    measure = measures.pop() if len(measures) == 1 else _("the studies' goals")
    title = (_("Bar chart of the share of people who reached %(measure)s.") % {"measure": measure}
             + " " + ". ".join(words) + ".")
    sources = tuple(dict.fromkeys(s for r in results for s in r.sources))
    return Chart(title, measure, tuple(groups), sources, height=y + 10)
