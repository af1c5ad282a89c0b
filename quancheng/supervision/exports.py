"""CSV and XLSX downloads of a statistics table."""

import csv
import io

from openpyxl import Workbook

from quancheng.lib.spreadsheet import safe_row

from .statistics import Table


def table_csv(table: Table) -> bytes:
    """UTF-8 with a byte order mark, so that spreadsheet programs read the Chinese headers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(table.export_columns))
    writer.writerows(safe_row("" if v is None else v for v in row) for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def table_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31].replace("（", "(").replace("）", ")"))
    sheet.append(safe_row(table.export_columns))
    for row in table.rows:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
