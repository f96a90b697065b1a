"""Web stage: the app's forms (Flask-WTF: each carries its CSRF token). Labels and messages are written in
the templates and views, in the user's language; the patient fields are checked by the one validator of
patient fields (deliver/patient.py), not here.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..editions import LANGUAGES, PAPERS
from .accounts import ROLES

MAX_COPIES = 50


class SignIn(FlaskForm):
    name = StringField(validators=[InputRequired()])
    password = PasswordField(validators=[InputRequired()])
    next = HiddenField()


class Language(FlaskForm):
    lang = SelectField(choices=[(lang, lang) for lang in LANGUAGES])


class Edition(FlaskForm):
    """Which handout, in which edition: the front desk's print, basket and favourite buttons."""

    slug = HiddenField(validators=[InputRequired()])
    lang = SelectField(choices=[(lang, lang) for lang in LANGUAGES])
    paper = SelectField(choices=[(paper, paper) for paper in PAPERS])
    large_print = BooleanField()
    copies = IntegerField(default=1, validators=[Optional(), NumberRange(1, MAX_COPIES)])


class Copies(FlaskForm):
    copies = IntegerField(default=1, validators=[Optional(), NumberRange(1, MAX_COPIES)])


class Plain(FlaskForm):
    """A button with nothing but its CSRF token (sign out, empty the basket, rebuild...)."""


class Patient(FlaskForm):
    """A patient's copy. Read as text, passed whole to patient.check_request; never stored anywhere."""

    slug = SelectField(validate_choice=False)
    patient = StringField()
    prescriber = StringField()
    plan = TextAreaField()
    next_visit = StringField()
    lang = SelectField(choices=[(lang, lang) for lang in LANGUAGES], validate_choice=False)
    paper = SelectField(choices=[(paper, paper) for paper in PAPERS], validate_choice=False)
    large_print = BooleanField()
    password = StringField()
    email = StringField()
    copies = IntegerField(default=1, validators=[Optional(), NumberRange(1, MAX_COPIES)])


class NewUser(FlaskForm):
    name = StringField()
    role = SelectField(choices=[(role, role) for role in ROLES], validate_choice=False)
    lang = SelectField(choices=[(lang, lang) for lang in LANGUAGES], validate_choice=False)
    password = PasswordField()
    again = PasswordField()


class NewPassword(FlaskForm):
    current = PasswordField()
    password = PasswordField()
    again = PasswordField()


class Named(FlaskForm):
    """An action on one account (remove it)."""

    name = HiddenField(validators=[InputRequired()])


class Build(FlaskForm):
    """Marketing's builds: which outputs, on which paper."""

    what = SelectField(choices=[(w, w) for w in ("brochure", "print-shop", "booklet", "leaflet")])
    paper = SelectField(choices=[(paper, paper) for paper in PAPERS])
