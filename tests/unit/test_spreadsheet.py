"""One rule for every CSV cell the course writes: no text a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest

from mlops_concepts.contract.spreadsheet import csv_cell, csv_safe


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =cmd|' /C calc'!A0", " +1", "\n-1", " \t@x"],
)
def test_formula_prefixes_get_an_apostrophe_also_after_leading_spaces(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["design", "", "a=b", "O'Brien", "1-2", "'=already", "x\n=1"])
def test_other_text_is_unchanged(text):
    assert csv_safe(text) == text


def test_numbers_stay_numbers_and_none_is_empty():
    assert csv_cell(-1.5) == -1.5 and csv_cell(0) == 0
    assert csv_cell(None) == ""
    assert csv_cell("-1") == "'-1"
