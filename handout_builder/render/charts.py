"""Render stage: a drug's trial results (its data file's percentages) as bar geometry for the SVG chart.

Python lays the bars out so the template only draws them; every bar carries its number and its group's
name in words, so the chart never relies on colour and reads the same in grayscale.

Two layouts, each drawn to be scaled to the width of its column: the regular one 720 units wide, and the
large-print one 450 units wide, the large-print column in points on A4 (451 pt; 468 on letter), so that
one unit prints at a point or more and its 18-unit text at 18 pt or more, like all large-print text (the
720-unit drawing's 21-unit labels came out at 13.7 pt). Its bars are shorter, to leave the labels and
numbers room at that size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Drug


@dataclass(frozen=True)
class Layout:
    """Where a chart's pieces go, in the SVG's units."""

    width: int  # the viewBox width
    font_size: int
    bar_space: int  # the bar for 100%
    bar_height: int
    group_heading: int  # from the end of the group above to the baseline of a group's heading
    label_width: int  # the column of the bars' labels, whose right edge is the bars' axis
    baseline: int  # from a bar's top to the baseline of its label and value
    row_gap: int  # below each bar


REGULAR = Layout(width=720, font_size=21, bar_space=340, bar_height=34, group_heading=40, label_width=230,
                 baseline=24, row_gap=12)
# At 18 units, "Without the medicine" is 169 units wide and "100 de cada 100" in bold 150: 190 (the label and
# its gap) + 100 + 10 + 150 = 450.
LARGE_PRINT = Layout(width=450, font_size=18, bar_space=100, bar_height=26, group_heading=30, label_width=190,
                     baseline=19, row_gap=10)
BAR_SPACE = REGULAR.bar_space  # the regular chart's bar for 100%


@dataclass(frozen=True)
class Bar:
    label: str  # "With Opzelura" or "Without the medicine"
    value: str  # the number printed at the bar's end
    y: int  # top of the bar
    length: float  # 0 when there is nothing to draw ("no comparison")
    kind: str  # "drug", "comparison" or "none": picks a fill pattern, never the only cue
    value_x: float  # where the value starts, past the bar's end


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
    layout: Layout = REGULAR

    @property
    def width(self) -> int:
        return self.layout.width


def trial_chart(drug: Drug, _: Callable[[str], str] = str, large_print: bool = False) -> Chart | None:
    """The chart of a drug's results that have a percentage; None when no result has one. Its words go
    through `_` (the output language's gettext)."""
    results = [r for r in drug.results if r.this_drug_percent is not None]
    if not results:
        return None
    layout = LARGE_PRINT if large_print else REGULAR
    groups, y, words = [], 0, []
    for result in results:
        y += layout.group_heading
        heading = _("%(trial)s, week %(week)s") % {"trial": result.trial, "week": result.week}
        bars = [(_("With %(brand)s") % {"brand": drug.brand}, result.this_drug_percent, "drug")]
        bars.append((_("Without the medicine"), result.comparison_percent,
                     "comparison" if result.comparison_percent is not None else "none"))
        drawn, top = [], y + 10
        for label, percent, kind in bars:
            value = (_("%(number)s in 100") % {"number": f"{percent:g}"} if percent is not None
                     else _("no comparison group"))
            length = round(layout.bar_space * percent / 100 if percent is not None else 0, 1)
            drawn.append(Bar(label, value, top, length, kind, value_x=layout.label_width + length + 10))
            top += layout.bar_height + layout.row_gap
        groups.append(Group(heading, y, tuple(drawn)))
        said = "; ".join(f"{b.label[0].lower()}{b.label[1:]}, {b.value}" for b in drawn)
        words.append(f"{heading}: {said}")
        y = top
    measures = {r.measure for r in results}
    measure = measures.pop() if len(measures) == 1 else _("the studies' goals")
    title = (_("Bar chart of the share of people who reached %(measure)s.") % {"measure": measure}
             + " " + ". ".join(words) + ".")
    sources = tuple(dict.fromkeys(s for r in results for s in r.sources))
    return Chart(title, measure, tuple(groups), sources, height=y + 10, layout=layout)
