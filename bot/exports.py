"""Writing Excel files for staff: one styled sheet (bold, shaded, frozen header; dates and percentages formatted)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def style_header(ws: Any) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    ws.freeze_panes = "A2"


def fill_sheet(ws: Any, rows: Sequence[Sequence[Any]], *, widths: Sequence[int] = (), date_columns: Sequence[int] = (),
               percent_columns: Sequence[int] = ()) -> None:
    """Rows (the first is the header) into a worksheet, with column widths and number formats (1-based columns)."""
    for r in rows:
        ws.append(list(r))
    for col in date_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "yyyy-mm-dd hh:mm"
    for col in percent_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "0.0%"
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    style_header(ws)


def write_sheet(out: Path, title: str, rows: Sequence[Sequence[Any]], **kw: Any) -> Path:
    """A one-sheet workbook at `out`."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    fill_sheet(ws, rows, **kw)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
