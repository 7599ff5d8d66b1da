"""群昵称 conventions: how a school asks students to name themselves in class groups ('姓名-学号'), as patterns that
read a name and a 学号 (or its last four digits) back out of a room alias."""

from __future__ import annotations

import re

DEFAULT_ALIAS_PATTERNS = ("姓名-学号", "学号姓名", "姓名（学号后四位）")
_PLACEHOLDERS = {"姓名": r"(?P<name>[\u4e00-\u9fff·]{2,5})", "学号后四位": r"(?P<tail>\d{4})",
                 "学号": r"(?P<no>\d{6,13})"}


def compile_alias_pattern(pattern: str) -> re.Pattern[str]:
    """'姓名-学号' -> a regex; separators between the parts are forgiving (-, _, —, spaces, or none)."""
    out, i = "", 0
    while i < len(pattern):
        for key in ("学号后四位", "姓名", "学号"):
            if pattern.startswith(key, i):
                out += _PLACEHOLDERS[key]
                i += len(key)
                break
        else:
            ch = pattern[i]
            if ch in "-_—－ ":
                out += r"\s*[-_—－\s]?\s*"
            elif ch in "（(":
                out += r"\s*[（(]"
            elif ch in "）)":
                out += r"[)）]"
            else:
                out += re.escape(ch)
            i += 1
    if "(?P<name>" not in out or ("(?P<no>" not in out and "(?P<tail>" not in out):
        raise ValueError(f"alias pattern {pattern!r} needs 姓名 and 学号 (or 学号后四位)")
    return re.compile(r"^\s*" + out.replace(r"\s*\s*", r"\s*") + r"\s*$")


def parse_alias(alias: str, patterns: tuple[re.Pattern[str], ...] | None = None) -> tuple[str, str | None, str | None] | None:
    """(name, full 学号 or None, last four digits or None) from a conventional alias."""
    alias = alias.strip()
    for pattern in patterns or _DEFAULT_COMPILED:
        m = pattern.match(alias)
        if m:
            g = m.groupdict()
            return g["name"], g.get("no"), g.get("tail")
    return None


_DEFAULT_COMPILED = tuple(compile_alias_pattern(p) for p in DEFAULT_ALIAS_PATTERNS)


def clean_name(shown: str) -> str:
    """A name safe for group messages: 学号-like digit runs removed."""
    cleaned = re.sub(r"\d{4,13}", "", shown)
    cleaned = re.sub(r"^[\s\-_—－()（）]+|[\s\-_—－()（）]+$", "", cleaned)
    return cleaned or shown
