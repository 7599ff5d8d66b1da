"""What WeChat puts in a message's text, turned into plain parts: quotes (引用) and 接龙 arrive as XML app messages
or as the puppet's rendering of them. Pure functions; no wechaty import."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from bot.gateways.base import Quote

# Some puppets render a quote as:  「张三：原文」\n- - - - - - - - - - - - - - -\n回复
_RENDERED_QUOTE = re.compile(r"^「(?:(?P<who>[^：:]{1,30})[：:])?(?P<quoted>.*?)」\s*\n\s*(?:-\s*){5,}\n(?P<reply>.*)$", re.S)


@dataclass(frozen=True)
class Parsed:
    text: str
    quote: Quote | None = None
    kind: str = "text"  # text | solitaire | app


def parse_text(raw: str) -> Parsed:
    """Split a raw message text into the reply, the quoted message and the kind."""
    stripped = raw.strip()
    if stripped.startswith("<") and "<appmsg" in stripped:
        return _parse_appmsg(stripped)
    m = _RENDERED_QUOTE.match(raw)
    if m:
        return Parsed(m.group("reply").strip(), Quote(m.group("quoted").strip()))
    return Parsed(raw)


def _parse_appmsg(xml: str) -> Parsed:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return Parsed("", kind="app")
    app = root if root.tag == "appmsg" else root.find(".//appmsg")
    if app is None:
        return Parsed("", kind="app")
    kind = (app.findtext("type") or "").strip()
    title = (app.findtext("title") or "").strip()
    if kind == "57":  # a reply quoting another message
        ref = app.find("refermsg")
        quoted = ref.findtext("content") if ref is not None else ""
        quoted = parse_text(quoted or "").text if quoted and quoted.lstrip().startswith("<") else (quoted or "")
        sender = ref.findtext("chatusr") or ref.findtext("fromusr") if ref is not None else None
        svrid = ref.findtext("svrid") if ref is not None else None
        return Parsed(title, Quote(quoted.strip(), sender, svrid))
    if kind == "53" or "接龙" in title[:10]:  # 接龙 (group solitaire)
        return Parsed(_solitaire_text(app, title), kind="solitaire")
    return Parsed(title, kind="app")


def _solitaire_text(app: ET.Element, title: str) -> str:
    """Render a 接龙 as '#接龙\\n<title>\\n1. 张三\\n2. 李四', the shape acks.solitaire_names reads."""
    lines = ["#接龙", title]
    entries = [e.text or "" for e in app.iter() if e.tag in ("content", "des") and e.text]
    body = "\n".join(entries)
    lines += [line for line in body.splitlines() if re.match(r"^\s*\d{1,3}[.、．)]", line)]
    return "\n".join(lines)
