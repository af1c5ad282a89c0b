"""Cells for CSV and XLSX exports that a spreadsheet program will not run as formulas.

OWASP "CSV Injection": a cell that begins with =, +, -, @, a tab or a carriage return may be
taken as a formula by Excel, LibreOffice or WPS, and a formula can run commands or send data
away. Such text cells are prefixed with a single quote, which the programs show as text.
Numbers, dates and empty cells are left as they are.
"""

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]
