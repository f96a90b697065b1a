"""Web stage: the education record: each handout given (printed, downloaded, emailed), by whom, in which
edition and when, with the opaque id printed on a personalised copy's plan sheet. Never a patient's name
or any other patient field: the id is how the clinic's own notes point at a copy.
"""

from __future__ import annotations

import csv
import io
import secrets
import sqlite3

from ..editions import Edition
from . import db

# No 0/O or 1/I/L: read off paper and typed into the clinic's notes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
HOW = ("printed", "downloaded", "emailed")
CSV_COLUMNS = ("record", "at", "user", "slug", "lang", "paper", "variant", "how", "personalised", "copies")


def new_record_id() -> str:
    """e.g. "K7QX-42MD": random, so it says nothing about the patient or the order of visits."""
    letters = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def record_given(connection: sqlite3.Connection, user: str, slug: str, edition: Edition, how: str,
                 personalised: bool, copies: int = 1, record: str | None = None) -> str:
    """Write one row (inside the caller's transaction: it commits only once the handout is given)."""
    assert how in HOW
    record = record or new_record_id()
    connection.execute("INSERT INTO given (record, at, user, slug, lang, paper, variant, how, personalised, copies) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (record, db.now(), user, slug, edition.lang, edition.paper, edition.variant.name, how,
                        int(personalised), copies))
    return record


def recent(connection: sqlite3.Connection, limit: int = 50) -> list[sqlite3.Row]:
    return connection.execute(f"SELECT {', '.join(CSV_COLUMNS)} FROM given ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()


def as_csv(connection: sqlite3.Connection) -> str:
    """The whole record, oldest first, for the clinic's records. Cells that a spreadsheet would run as a
    formula (=, +, -, @) are quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in connection.execute(f"SELECT {', '.join(CSV_COLUMNS)} FROM given ORDER BY id"):
        writer.writerow(["'" + str(v) if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return out.getvalue()
