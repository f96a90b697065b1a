"""Web stage: accounts: roles, the password rules, argon2 hashes, and `make-handouts users ...`.

There is no default account: the first one is made on the command line (`users add NAME --role admin`),
then admins add the others in the app. Flask-free, like db.py.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..editions import LANGUAGES, SOURCE_LANGUAGE
from ..problems import BuildFailed, Problems
from . import db

from .roles import (ADMIN, ADMINISTRATOR, AREAS, CLINICIAN, CONTENT, CONTENT_OWNER, FRONT_DESK,  # noqa: F401
                    LIBRARY, MARKETER, MARKETING, PERSONAL, ROLE_AREAS, ROLES)

MIN_PASSWORD = 12
MAX_PASSWORD = 128  # argon2 takes any length; this only stops a pasted novel
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
# The 10,000 most common passwords: the first 10,000 lines of Django's common-passwords.txt.gz (Royce
# Williams' list of leaked passwords, by frequency; BSD licence), lower case, one a line.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
NOT_SAVED = "no account was changed"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    lang: str

    def may(self, area: str) -> bool:
        return area in ROLE_AREAS.get(self.role, ())


@cache
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current defaults (RFC 9106's low-memory profile)


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split())


def password_problems(password: str, name: str) -> list[str]:
    """What is wrong with a new password (empty: nothing). Length and a list of common passwords, as
    NIST SP 800-63B and ASVS ask; no rules about kinds of characters."""
    problems = []
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_PASSWORD:
        problems.append(f"the password has {length} characters: use at least {MIN_PASSWORD} (a few words "
                        "make a good one)")
    elif length > MAX_PASSWORD:
        problems.append(f"the password is longer than {MAX_PASSWORD} characters")
    folded = password.casefold()
    if folded in common_passwords():
        problems.append("the password is one of the most common passwords: choose another")
    elif name and name.casefold() in folded:
        problems.append("the password contains the user name: choose another")
    elif len(set(folded)) < 4:
        problems.append("the password repeats too few characters: choose another")
    return problems


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches. With no hash (no such user) a dummy one is checked, so a wrong name
    takes as long as a wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password: a stand-in for a user who does not exist")


def user_problems(name: str, role: str, lang: str = SOURCE_LANGUAGE) -> list[tuple[str, str]]:
    """(field, message) for a new account's name, role and language."""
    problems = []
    if not USER_NAME.match(name):
        problems.append(("name", "a user name is 2 to 40 lower-case letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit (e.g. ana.diaz)"))
    if role not in ROLES:
        problems.append(("role", f"unknown role (roles: {', '.join(ROLES)})"))
    if lang not in LANGUAGES:
        problems.append(("lang", f"unknown language (languages: {', '.join(LANGUAGES)})"))
    return problems


def create_user(connection: sqlite3.Connection, name: str, role: str, password: str,
                lang: str = SOURCE_LANGUAGE, by: str = "command line") -> list[tuple[str, str]]:
    """Add an account; the (field, message) problems instead if any (nothing is saved then)."""
    problems = user_problems(name, role, lang) + [("password", m) for m in password_problems(password, name)]
    if problems:
        return problems
    hashed = hash_password(password)
    with db.writing(connection):
        if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            return [("name", f"there is already a user called {name}")]
        connection.execute("INSERT INTO users (name, role, password_hash, lang, created) VALUES (?, ?, ?, ?, ?)",
                           (name, role, hashed, lang, db.now()))
        db.audit(connection, by, "user added", f"{name} ({role})")
    return []


def set_password(connection: sqlite3.Connection, name: str, password: str, by: str) -> list[tuple[str, str]]:
    """A new password for an account; its sessions end (a stolen session dies with the old password)."""
    problems = [("password", m) for m in password_problems(password, name)]
    if problems:
        return problems
    hashed = hash_password(password)
    with db.writing(connection):
        row = connection.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            return [("name", f"there is no user called {name}")]
        connection.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, row["id"]))
        connection.execute("DELETE FROM sessions WHERE user_id = ?", (row["id"],))
        db.audit(connection, by, "password changed", name)
    return []


def remove_user(connection: sqlite3.Connection, name: str, by: str) -> bool:
    """Remove an account, its sessions and favourites (the education record keeps its name)."""
    with db.writing(connection):
        removed = connection.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
        if removed:
            db.audit(connection, by, "user removed", name)
    return bool(removed)


def list_users(connection: sqlite3.Connection) -> list[sqlite3.Row]:
    return connection.execute("SELECT name, role, lang, created FROM users ORDER BY name").fetchall()


def find_user(connection: sqlite3.Connection, name: str) -> tuple[User | None, str | None]:
    """The account and its password hash, or (None, None)."""
    row = connection.execute("SELECT id, name, role, lang, password_hash FROM users WHERE name = ?",
                             (name,)).fetchone()
    if row is None:
        return None, None
    return User(row["id"], row["name"], row["role"], row["lang"]), row["password_hash"]


# --- `make-handouts users ...`: each raises BuildFailed for the command line to report ---------------

def _raise(problems: list[tuple[str, str]], action: str = NOT_SAVED) -> None:
    collected = Problems()
    for field, message in problems:
        collected.about(_OPTION.get(field, field), message, code="account")
    collected.raise_if_any(action)


_OPTION = {"name": "NAME", "role": "--role", "lang": "--lang", "password": "the password"}


def add_account(data_dir: Path, name: str, role: str, password: str, lang: str = SOURCE_LANGUAGE) -> str:
    _raise(create_user(db.connect(data_dir), name, role, password, lang))
    return f"added {name} ({role}) to {db.database_path(data_dir)}"


def change_password(data_dir: Path, name: str, password: str) -> str:
    _raise(set_password(db.connect(data_dir), name, password, by="command line"))
    return f"changed the password of {name}; their sessions ended"


def remove_account(data_dir: Path, name: str) -> str:
    if not remove_user(db.connect(data_dir), name, by="command line"):
        _raise([("name", f"there is no user called {name}")])
    return f"removed {name}"


def account_lines(data_dir: Path) -> list[str]:
    rows = list_users(db.connect(data_dir))
    if not rows:
        return [f"no accounts yet in {db.database_path(data_dir)}: add one with "
                "`make-handouts users add NAME --role admin`"]
    width = max(len(row["name"]) for row in rows)
    return [f"{row['name']:<{width}}  {row['role']:<13}  {row['lang']}  since {row['created'][:10]}" for row in rows]
