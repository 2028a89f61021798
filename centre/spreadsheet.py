"""Cells of the CSV files people open in a spreadsheet (bulk results, history exports): text that a
spreadsheet would run as a formula (=, +, -, @, tab, carriage return) is written with a leading
apostrophe, so a client name or a carrier's message can never become a formula on a staff member's
machine (CSV injection)."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
