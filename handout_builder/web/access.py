"""Web stage: who may open what: the one decorator every route carries, `@allow(AREA)`.

The app refuses to start if a route lacks it (app.py checks every endpoint), so a new page cannot be
left open by forgetting it.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for

ANYONE = "anyone"  # the sign-in page
SIGNED_IN = "signed-in"  # any role: sign out, the user's own language and password


def allow(area: str):
    """Let in the roles that have `area` (accounts.ROLE_AREAS), or anyone signed in, or anyone."""
    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if area != ANYONE:
                user = g.get("user")
                if user is None:
                    if request.method == "GET":
                        # Only the path: a query string is never carried on.
                        return redirect(url_for("auth.login", next=request.path))
                    abort(401)
                if area != SIGNED_IN and not user.may(area):
                    abort(403)
            return view(*args, **kwargs)

        checked.allowed = area
        return checked
    return decorate
