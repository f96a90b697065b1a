"""Review stage: how old each handout's medical review is, and whether it is overdue."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .model import Handout


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
