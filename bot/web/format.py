"""Small formatting helpers for the templates: rates, changes, progress indicators."""

from __future__ import annotations

from bot.progress.report import Indicator
from bot.texts import progress as progress_texts


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def delta(now: float | None, before: float | None) -> str:
    """'↑3.2' / '↓1.0' / '' (percentage points) against the previous period."""
    if now is None or before is None:
        return ""
    d = (now - before) * 100
    if abs(d) < 0.05:
        return "→"
    return f"{'↑' if d > 0 else '↓'}{abs(d):.1f}"


def short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figure(value: float | None, percent: bool) -> str:
    """A rate as a percentage, a count of days or actions with one decimal at most."""
    if value is None:
        return "—"
    return pct(value) if percent else f"{value:.1f}".rstrip("0").rstrip(".")


def indicator(ind: Indicator) -> str:
    """'93.8%✓' / '8.2✗': the figure and whether it meets the target in force."""
    return figure(ind.value, ind.percent) + progress_texts.MARKS[ind.meets]


def change(ind: Indicator) -> str:
    """Against the month before: percentage points for a rate, days or actions for a count."""
    if not ind.percent:
        if ind.value is None or ind.before is None:
            return ""
        d = ind.value - ind.before
        return "→" if abs(d) < 0.05 else f"{'↑' if d > 0 else '↓'}{abs(d):.1f}"
    return delta(ind.value, ind.before)


def target(ind: Indicator) -> str:
    return "" if ind.target is None else figure(ind.target, ind.percent)
