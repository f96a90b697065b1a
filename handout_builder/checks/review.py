"""Checks stage: how old each handout's medical review is, whether it is overdue, and the list of every
handout with its review date (`make-handouts list`)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from ..model import Handout, Library
from ..render.translation import month_year


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


@dataclass(frozen=True)
class ReviewAge:
    months: int  # whole months since the review
    due_on: date
    overdue: bool

    def describe(self) -> str:
        age = "this month" if self.months == 0 else \
            f"{self.months} month{'s' if self.months != 1 else ''} ago"
        return f"{age}, OVERDUE since {self.due_on.isoformat()}" if self.overdue else age


def review_age(handout: Handout, today: date) -> ReviewAge:
    review = handout.review
    due_on = add_months(review.reviewed_on, review.review_every_months)
    return ReviewAge(months=max(whole_months_between(review.reviewed_on, today), 0), due_on=due_on,
                     overdue=today >= due_on)


def overdue_message(handout: Handout, today: date) -> str | None:
    age = review_age(handout, today)
    if not age.overdue:
        return None
    review = handout.review
    return (f"review overdue: reviewed {review.reviewed_on.isoformat()} by {review.reviewed_by}, "
            f"due every {review.review_every_months} months, so by {age.due_on.isoformat()}")


def future_message(handout: Handout, today: date) -> str | None:
    """A review cannot have happened after today: the date would print ("Reviewed January 2030") and no
    overdue warning would come for years."""
    reviewed_on = handout.review.reviewed_on
    if reviewed_on <= today:
        return None
    return (f"reviewed_on {reviewed_on.isoformat()} is in the future (today is {today.isoformat()}): give the "
            "day the review was done")


def list_handouts(library: Library, today: date) -> list[dict]:
    """Every handout with its title and review: what `make-handouts list` prints (and --json gives)."""
    return [dict(slug=h.slug, kind=h.kind, title=h.title, lang=h.lang,
                 reviewed_on=h.review.reviewed_on.isoformat(), reviewed=month_year(h.review.reviewed_on, h.lang),
                 reviewed_by=h.review.reviewed_by, draft=h.review.draft,
                 review_age_months=age.months, review_due_on=age.due_on.isoformat(), overdue=age.overdue,
                 review_age=age.describe())
            for h in library.handouts for age in [review_age(h, today)]]


def list_project(root, brand_file, lang: str, today: date) -> list[dict]:
    """`make-handouts list`: load one language's content (BuildFailed on a problem) and list it."""
    from ..content.library import load_library

    return list_handouts(load_library(root, brand_file, lang), today)
