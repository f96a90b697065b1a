"""Web stage: the app's records in one SQLite file (WAL) in the data folder: accounts, sessions, favourites,
the audit log and the education record. No patient data is ever written here.

Flask-free, so that `make-handouts users ...` uses the same tables without starting the app.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

DATABASE = "app.sqlite3"
# Another program holding the file (a backup, a second server) makes a writer wait this long, then fail
# with a message in the page rather than hang the request.
BUSY_TIMEOUT_S = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'en',
    created TEXT NOT NULL
);
-- A session row is keyed by the SHA-256 of the cookie's random id: the file alone opens no session.
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    started REAL NOT NULL,
    seen REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS favourites (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    PRIMARY KEY (user_id, slug)
);
-- Who did what (sign-ins, prints, builds, account changes); never a patient's data.
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
-- The education record: each handout given, by whom, how, and the opaque id printed on a personalised
-- copy's plan sheet. Users are kept by name, so the record outlives an account.
CREATE TABLE IF NOT EXISTS given (
    id INTEGER PRIMARY KEY,
    record TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    slug TEXT NOT NULL,
    lang TEXT NOT NULL,
    paper TEXT NOT NULL,
    variant TEXT NOT NULL,
    how TEXT NOT NULL,
    personalised INTEGER NOT NULL,
    copies INTEGER NOT NULL DEFAULT 1
);
"""


def database_path(data_dir: Path) -> Path:
    return data_dir / DATABASE


def connect(data_dir: Path) -> sqlite3.Connection:
    """A connection to the data folder's database, made (with the folder, private to this user) if new."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = database_path(data_dir)
    new = not path.exists()
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,  # we BEGIN ourselves
                                 check_same_thread=False)
    connection.row_factory = sqlite3.Row
    if new:
        os.chmod(path, 0o600)
    connection.execute("PRAGMA foreign_keys = ON")
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
    connection.executescript(SCHEMA)
    return connection


@contextmanager
def writing(connection: sqlite3.Connection):
    """One write transaction, taken at once (BEGIN IMMEDIATE): a locked file fails here, before anything
    is done, and an exception inside rolls everything back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def now() -> str:
    """A timestamp for the records: UTC, to the second, ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def audit(connection: sqlite3.Connection, user: str, action: str, detail: str = "") -> None:
    connection.execute("INSERT INTO audit (at, user, action, detail) VALUES (?, ?, ?, ?)",
                       (now(), user, action, detail))


def is_locked(error: sqlite3.Error) -> bool:
    """The file is held by another program (or another server)."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
