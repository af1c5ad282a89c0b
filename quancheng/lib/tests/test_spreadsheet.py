import pytest

from quancheng.lib.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    "text", ["=1+1", "+86", "-2+3", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"]
)
def test_formula_starts_are_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_other_values_are_kept():
    assert safe_row(["张伟", "", None, -5, 3.5, "a=b"]) == ["张伟", "", None, -5, 3.5, "a=b"]
