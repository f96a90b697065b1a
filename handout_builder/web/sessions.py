"""Web stage: server-side sessions: the cookie holds only a random id; the session lives in a row of the
app's database, so signing out ends it on the server. A session ends after 15 minutes idle or 8 hours in
all, whatever the browser keeps.

Sessions hold the user, the form (CSRF) token, the basket and the language: never patient data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from . import db

IDLE_S = 15 * 60
TOTAL_S = 8 * 60 * 60
# How stale the "last seen" time may be: writing it on every request would make every page a write.
SEEN_EVERY_S = 30


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class StoredSession(CallbackDict, SessionMixin):
    def __init__(self, data: dict | None = None, token: str | None = None, user_id: int | None = None,
                 started: float | None = None, seen: float | None = None, expired: bool = False):
        def changed(_):
            self.modified = True

        super().__init__(data or {}, changed)
        self.token = token
        self.user_id = user_id
        self.started = started
        self.seen = seen
        self.expired = expired  # this request came with a session that had run out
        self.modified = False
        self.ended = False
        self.rotated = False

    def sign_in(self, user_id: int) -> None:
        """A new session id for the signed-in user: an id handed out before sign-in is never reused."""
        self.clear()
        self.user_id = user_id
        self.rotated = True

    def sign_out(self) -> None:
        self.clear()
        self.user_id = None
        self.ended = True


class DatabaseSessions(SessionInterface):
    """Flask's session, kept in the `sessions` table. `connection()` gives this thread's database."""

    def __init__(self, connection, cookie_name: str, secure: bool):
        self.connection = connection
        self.cookie_name = cookie_name
        self.secure = secure

    def open_session(self, app: Flask, request: Request) -> StoredSession:
        token = request.cookies.get(self.cookie_name)
        if not token:
            return StoredSession()
        row = self.connection().execute("SELECT user_id, started, seen, data FROM sessions WHERE key = ?",
                                        (_key(token),)).fetchone()
        if row is None:
            return StoredSession(expired=True)
        now = time.time()
        if now - row["seen"] > IDLE_S or now - row["started"] > TOTAL_S:
            connection = self.connection()
            with db.writing(connection):
                connection.execute("DELETE FROM sessions WHERE key = ?", (_key(token),))
            return StoredSession(expired=True)
        return StoredSession(json.loads(row["data"]), token, row["user_id"], row["started"], row["seen"])

    def save_session(self, app: Flask, session: StoredSession, response: Response) -> None:
        connection = self.connection()
        now = time.time()
        if session.ended or (session.rotated and session.token):
            with db.writing(connection):
                connection.execute("DELETE FROM sessions WHERE key = ?", (_key(session.token or ""),))
            session.token = None
            if session.ended:
                response.delete_cookie(self.cookie_name, path="/", secure=self.secure, httponly=True,
                                       samesite="Lax")
                return
        if session.token is None:
            if not session and not session.rotated:
                return  # nothing to keep: no row, no cookie
            session.token = secrets.token_urlsafe(32)
            with db.writing(connection):
                connection.execute("INSERT INTO sessions (key, user_id, started, seen, data) VALUES (?, ?, ?, ?, ?)",
                                   (_key(session.token), session.user_id, now, now, json.dumps(dict(session))))
            response.set_cookie(self.cookie_name, session.token, httponly=True, secure=self.secure,
                                samesite="Lax", path="/")
        elif session.modified or now - (session.seen or 0) > SEEN_EVERY_S:
            with db.writing(connection):
                connection.execute("UPDATE sessions SET seen = ?, data = ? WHERE key = ?",
                                   (now, json.dumps(dict(session)), _key(session.token)))
        response.vary.add("Cookie")


def forget_expired(connection) -> None:
    """Remove sessions that can no longer be used (on start-up and at each sign-in)."""
    now = time.time()
    with db.writing(connection):
        connection.execute("DELETE FROM sessions WHERE seen < ? OR started < ?", (now - IDLE_S, now - TOTAL_S))
