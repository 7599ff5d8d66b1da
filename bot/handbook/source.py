"""Where answers come from: the handbook's `###` sections, curated Q&A pairs, and .docx/.pdf imports."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.yamlio import YamlError, load_yaml

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{#([A-Za-z0-9_\-]+)\})?\s*$")


@dataclass(frozen=True)
class Unit:
    """One answerable unit: a handbook section or a Q&A pair."""

    id: str
    title: str
    body: str
    chapter: str = ""
    source: str = "handbook"  # handbook | faq
    line: int = 0


@dataclass
class Handbook:
    units: list[Unit]
    warnings: list[str] = field(default_factory=list)
    title: str = "学生手册"
    chapters: int = 0  # `##` headings
    generated: int = 0  # sections that had no {#id} and got a stable one
    empty: list[str] = field(default_factory=list)  # titles of sections without text (skipped)


class HandbookError(ValueError):
    """A handbook that cannot be used; the message (English, with file and line) is for operators, `reason` and
    `title` let an import report say it in Chinese."""

    def __init__(self, message: str, *, reason: str = "", title: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # format | duplicate | empty | unreadable
        self.title = title


@dataclass(frozen=True)
class HandbookImport:
    """The report of `handbook import` (the command line, or a file sent in chat): the same words in both."""

    name: str  # the file as sent
    dry_run: bool
    ok: bool
    problem: str = ""  # why not: a HandbookError reason
    title: str = ""  # the section a duplicate id names
    chapters: int = 0
    sections: int = 0
    generated: int = 0
    empty: tuple[str, ...] = ()
    written: str = ""  # where the Markdown was written (as the operator named it)


def stable_id(title: str) -> str:
    """An id for a section that has none: the same title always gets the same id."""
    return "sec-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def parse_markdown(text: str, file: str = "handbook.md") -> Handbook:
    """`###` sections are the units (with {#id}); `##` headings are chapters; `#` is the book's title."""
    units: list[Unit] = []
    warnings: list[str] = []
    empty: list[str] = []
    chapters = generated = 0
    seen: dict[str, int] = {}
    book_title, chapter = "学生手册", ""
    current: tuple[str, str, int] | None = None  # (id, title, line)
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        sid, title, line = current
        content = "\n".join(body).strip()
        if not content:
            warnings.append(f"{file}, line {line}: section “{title}” has no text; skipped")
            empty.append(title)
            return
        units.append(Unit(sid, title, content, chapter, "handbook", line))

    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADING.match(line)
        if not m:
            if current is not None:
                body.append(line)
            continue
        level, title, sid = len(m.group(1)), m.group(2).strip(), m.group(3)
        if level <= 2:
            close()
            current, body = None, []
            if level == 1:
                book_title = re.sub(r"[（(].*?[)）]", "", title).strip() or book_title
            else:
                chapter = title
                chapters += 1
            continue
        if level == 3:
            close()
            body = []
            if not sid:
                sid = stable_id(title)
                generated += 1
                warnings.append(f"{file}, line {n}: section “{title}” has no {{#id}}; using {sid}")
            if sid in seen:
                raise HandbookError(f"{file}, line {n}: duplicate section id '{sid}' (first at line {seen[sid]})",
                                    reason="duplicate", title=title)
            seen[sid] = n
            current = (sid, title, n)
            continue
        if current is not None:  # deeper headings belong to the section's text
            body.append(title)
    close()
    if not units:
        raise HandbookError(f"{file}: no answerable sections (### headings with text) found", reason="empty")
    short = book_title if len(book_title) <= 12 else "学生手册"
    return Handbook(units, warnings, short, chapters, generated, empty)


def load_handbook(path: Path) -> Handbook:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HandbookError(f"{path}: file not found") from None
    return parse_markdown(text, str(path))


def load_faq(path: Path) -> list[Unit]:
    """Curated pairs: a YAML list of {id, q, a}."""
    if not path.exists():
        return []
    located = load_yaml(path)
    data = located.data or []
    if not isinstance(data, list):
        raise YamlError(path, "the FAQ file is a list of {id, q, a}", "", 1)
    units, ids = [], set()
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not item.get("q") or not item.get("a"):
            raise located.error((i,), "each entry needs q: (question) and a: (answer)")
        extra = set(item) - {"id", "q", "a", "by", "at"}
        if extra:
            raise located.error((i, sorted(extra)[0]), "unknown key (known: id, q, a)")
        fid = str(item.get("id") or f"faq-{i + 1}")
        if fid in ids:
            raise located.error((i, "id"), f"duplicate id '{fid}'")
        ids.add(fid)
        units.append(Unit(fid, str(item["q"]), str(item["a"]), "", "faq", located.line_of((i,)) or 0))
    return units


# -- imports from Word and PDF ----------------------------------------------------------------------------------------
def docx_to_markdown(path: Path) -> str:
    """Headings 1/2/3 of a .docx become #/##/###; paragraphs become the sections' text."""
    from docx import Document

    doc = Document(str(path))
    out: list[str] = []
    for p in doc.paragraphs:
        text = p.text.strip()
        if not text:
            continue
        style = (p.style.name or "").lower() if p.style is not None else ""
        m = re.match(r"(heading|标题)\s*(\d)", style)
        if m:
            level = min(int(m.group(2)), 3)
            out.append(f"\n{'#' * level} {text}\n")
        else:
            out.append(text)
    return "\n".join(out).strip() + "\n"


_PDF_CHAPTER = re.compile(r"^\s*(第[一二三四五六七八九十]+[章部分]|[一二三四五六七八九十]+、).{1,30}$")
_PDF_SECTION = re.compile(r"^\s*(\d{1,2}[.．、]\s*|（[一二三四五六七八九十]+）).{2,40}$")


def pdf_to_markdown(path: Path) -> str:
    """Lines that look like chapter headings (一、…) become ##, numbered headings (1. …) become ###."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    out: list[str] = []
    for page in reader.pages:
        for line in (page.extract_text() or "").splitlines():
            line = line.strip()
            if not line:
                continue
            if _PDF_CHAPTER.match(line):
                out.append(f"\n## {line}\n")
            elif _PDF_SECTION.match(line) and not line.endswith(("。", "；", "，")):
                title = re.sub(r"^\s*(\d{1,2}[.．、]\s*|（[一二三四五六七八九十]+）)", "", line)
                out.append(f"\n### {title}\n")
            else:
                out.append(line)
    return "\n".join(out).strip() + "\n"


def import_file(path: Path) -> str:
    """Markdown text of a .md/.docx/.pdf handbook."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_to_markdown(path)
    if suffix == ".pdf":
        return pdf_to_markdown(path)
    if suffix in (".md", ".markdown", ".txt"):
        return path.read_text(encoding="utf-8-sig")
    raise HandbookError(f"{path}: unsupported handbook format (use .md, .docx or .pdf)", reason="format")
