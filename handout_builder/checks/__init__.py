"""Checks stage: everything behind `make-handouts check` (reading rules per language, PEMAT, parity,
review dates, alt text); nothing is written."""
