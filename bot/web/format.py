"""Small formatting helpers for the templates: rates, changes, indicators."""

from __future__ import annotations

from bot.web.slots import Indicator


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


def indicator(ind: Indicator) -> str:
    def one(v: float | None) -> str:
        if v is None:
            return "—"
        return pct(v) if ind.unit == "%" else f"{v:g}{ind.unit}"

    return one(ind.value) + (f" / {one(ind.target)}" if ind.target is not None else "")
