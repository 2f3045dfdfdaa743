"""Text that a spreadsheet opens as data, never as a formula (OWASP "CSV injection").

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
also after a tab, a carriage return or leading spaces: a student id or a name such as
``=cmd|' /C calc'!A0`` would run on the instructor's machine when they open ``grades.csv``. Every
CSV the course writes (``grades.csv`` from :mod:`.export`, the class report's per-item CSV from
:mod:`.report`) puts each text cell through :func:`csv_safe` and is written with the :mod:`csv`
module, which quotes commas, quotes and line breaks, so no text can forge a row or a column.
Numbers are not text: they are written as they are (a score of -1 stays a number).
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """``text`` with a ``'`` before it when a spreadsheet could read it as a formula.

    The apostrophe is what spreadsheets themselves use for "this is text"; it is added also when
    the formula sign comes after leading spaces or line breaks, which some spreadsheets skip.
    """
    text = str(text)
    if text[:1] in FORMULA_PREFIXES or text.lstrip()[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


def csv_cell(value):
    """One cell of a CSV row: text made :func:`csv_safe`, numbers as they are, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_safe(value)
    return value
