"""Reading the spreadsheets people send: CSV (UTF-8, UTF-8 with BOM, GBK as Excel saves it in China) and XLSX
(several sheets, merged title rows above the header). One reader for rosters, timetables and platform exports.

`read_sheets(path)` returns every sheet as rows of stripped text with their 1-based row numbers in the file;
`find_header(sheet, aliases)` finds the header row (it need not be the first: exports put titles above it) and maps
known column names to indices. Every problem is a `TableError` with one sentence for the person who sent the file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.texts import files as texts

MAX_BYTES = 20 * 1024 * 1024  # an export of a whole city is a few MB; anything bigger is a mistake
HEADER_SCAN = 15  # rows searched for the header: titles, dates and notes sit above it
SUFFIXES = (".csv", ".xlsx", ".xlsm")


class TableError(ValueError):
    """A file that cannot be read as a table; the message names the file and says why, in Chinese."""


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[str]]  # cell text, stripped; a merged cell's value sits in its first cell
    numbers: list[int]  # the 1-based row number in the file of each row


@dataclass(frozen=True)
class Header:
    sheet: Sheet
    index: int  # position of the header in sheet.rows
    columns: dict[str, int]  # key -> column
    names: list[str]  # the header cells as written
    unknown: list[str] = field(default_factory=list)  # header cells no alias matched

    @property
    def row(self) -> int:
        return self.sheet.numbers[self.index]

    def data(self) -> list[tuple[int, list[str]]]:
        """(row number, cells) of the non-empty rows below the header."""
        out = []
        for n, row in zip(self.sheet.numbers[self.index + 1:], self.sheet.rows[self.index + 1:], strict=True):
            if any(c for c in row):
                out.append((n, row))
        return out

    def get(self, row: list[str], key: str) -> str:
        i = self.columns.get(key)
        return row[i] if i is not None and i < len(row) else ""


def norm_header(text: object) -> str:
    """Header cells compared without spaces, line breaks, full width or a unit in brackets: '形考成绩（分）'."""
    s = re.sub(r"\s+", "", str(text or "")).replace("（", "(").replace("）", ")").lower()
    return re.sub(r"\((分|%|次|天|元|人|门)\)$", "", s)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns 学号 into 2024110001.0
    return str(value).strip()


def read_sheets(path: Path, *, max_bytes: int = MAX_BYTES) -> list[Sheet]:
    """Every sheet of an XLSX file, or the one table of a CSV file."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TableError(texts.NOT_FOUND.format(name=name)) from None
    if size > max_bytes:
        raise TableError(texts.TOO_BIG.format(name=name, size=size / 1024 / 1024, limit=max_bytes // 1024 // 1024))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix == ".xls":
        raise TableError(texts.OLD_XLS.format(name=name))
    raise TableError(texts.UNSUPPORTED.format(name=name))


def _read_csv(path: Path) -> Sheet:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise TableError(texts.NOT_TEXT.format(name=path.name))
    if "\x00" in text[:4096]:
        raise TableError(texts.BINARY_CSV.format(name=path.name))
    try:
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise TableError(texts.BAD_CSV.format(name=path.name, error=exc)) from None
    return Sheet(path.stem, rows, list(range(1, len(rows) + 1)))


def _read_xlsx(path: Path) -> list[Sheet]:
    from openpyxl import load_workbook

    head = path.read_bytes()[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE container: an encrypted (password) workbook or an old .xls
        raise TableError(texts.PASSWORD.format(name=path.name))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(texts.CORRUPT.format(name=path.name, error=type(exc).__name__)) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            rows, numbers = [], []
            for i, row in enumerate(ws.iter_rows(values_only=True), 1):
                rows.append([_cell(v) for v in row])
                numbers.append(i)
            while rows and not any(rows[-1]):
                rows.pop()
                numbers.pop()
            sheets.append(Sheet(ws.title, rows, numbers))
        return sheets
    finally:
        wb.close()


def read_table(path: Path) -> Sheet:
    """The first sheet that has any content (for files that hold one table)."""
    sheets = read_sheets(path)
    for s in sheets:
        if s.rows:
            return s
    raise TableError(texts.EMPTY.format(name=path.name))


def find_header(sheet: Sheet, aliases: Mapping[str, Sequence[str]], required: Sequence[str] = (),
                *, scan: int = HEADER_SCAN) -> Header | None:
    """The first row among the top `scan` rows that names every required key (by any alias), or the row naming
    the most keys when nothing is required. Aliases match whole cells; a trailing number (作业1, 形考2) is left to
    the caller's patterns."""
    wanted = {key: {norm_header(a) for a in names} for key, names in aliases.items()}
    best: Header | None = None
    for i, row in enumerate(sheet.rows[:scan]):
        cells = [norm_header(c) for c in row]
        columns: dict[str, int] = {}
        for key, names in wanted.items():
            for j, c in enumerate(cells):
                if c and c in names and j not in columns.values():
                    columns[key] = j
                    break
        if required and not all(k in columns for k in required):
            continue
        if columns and (best is None or len(columns) > len(best.columns)):
            unknown = [row[j] for j, c in enumerate(cells) if c and j not in columns.values()]
            best = Header(sheet, i, columns, list(row), unknown)
            if required:
                return best
    return best
