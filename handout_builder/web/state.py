"""Web stage: the app-wide objects a page uses (the settings, the workshop, the build jobs, the clinic),
as the app factory keeps them in `app.extensions`."""

from __future__ import annotations

from flask import current_app

SETTINGS, WORKSHOP, JOBS, CLINIC = "settings", "workshop", "jobs", "clinic"


def keep(app, name: str, value) -> None:
    app.extensions[f"handouts.{name}"] = value


def setting(name: str):
    """An app-wide object by name: setting("workshop")."""
    return current_app.extensions[f"handouts.{name}"]
