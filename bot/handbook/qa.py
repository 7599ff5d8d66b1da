"""Building the retriever from the configured files."""

from __future__ import annotations

from pathlib import Path

from bot.handbook.retriever import Retriever
from bot.handbook.source import Unit, load_faq, load_handbook
from bot.handbook.text import Lexicon

LEXICON = Path(__file__).resolve().parent.parent.parent / "data" / "qa_lexicon.yaml"


def build_retriever(handbook: Path, faq: Path | None, extra: list[Unit] | None = None,
                    lexicon: Path = LEXICON) -> Retriever:
    book = load_handbook(handbook)
    units = list(book.units) + (load_faq(faq) if faq else []) + list(extra or [])
    return Retriever(units, Lexicon.load(lexicon))
