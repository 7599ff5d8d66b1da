"""Strict YAML loading that remembers where every value came from.

PyYAML's defaults bite operators: `18:00` becomes 1080 (sexagesimal), `no` becomes False, a date becomes a
`date`, and a duplicated key silently keeps the last value. This loader keeps clock times and dates as strings,
accepts only true/false as booleans, refuses duplicate keys, and records the line of every key path so that an
error can say "config.yaml, groups.classes[2].topic, line 31".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


class YamlError(Exception):
    """A readable error naming the file, the key path and the line."""

    def __init__(self, file: str | Path, message: str, key: str = "", line: int | None = None) -> None:
        self.file = str(file)
        self.key = key
        self.line = line
        self.message = message
        where = self.file
        if key:
            where += f", {key}"
        if line:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML-1.2-like scalars: no sexagesimal ints, no yes/no booleans, no implicit dates."""


# Drop every implicit resolver, then add back only the unsurprising ones.
_StrictLoader.yaml_implicit_resolvers = {}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789"),
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


@dataclass
class Located:
    """Parsed data plus the 1-based line of each key path."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    file: str = ""

    def line_of(self, path: KeyPath) -> int | None:
        """The line of the deepest known prefix of `path`."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)

    def error(self, path: KeyPath, message: str) -> YamlError:
        return YamlError(self.file, message, format_path(path), self.line_of(path))


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(file, "merge keys (<<) are not supported", format_path(path), key_node.start_mark.line + 1)
            key = _walk(key_node, (*path, "?"), {}, file)
            if not isinstance(key, str | int):
                raise YamlError(file, "keys must be plain text", format_path(path), key_node.start_mark.line + 1)
            key = str(key)
            if key in out:
                first = lines.get((*path, key))
                raise YamlError(
                    file,
                    f"duplicate key '{key}' (first at line {first})",
                    format_path((*path, key)),
                    key_node.start_mark.line + 1,
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, (*path, key), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    loader = _StrictLoader("")
    return loader.construct_object(node, deep=True)


def load_yaml(path: str | Path, text: str | None = None) -> Located:
    """Parse a YAML file strictly; raise YamlError with file and line on any problem."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise YamlError(file, "file not found") from None
        except UnicodeDecodeError as exc:
            raise YamlError(file, f"not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(file, f"malformed YAML: {exc.problem or exc.context}", "", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(file, f"malformed YAML: {exc}") from None
    if node is None:
        return Located(None, {(): 1}, file)
    lines: dict[KeyPath, int] = {}
    data = _walk(node, (), lines, file)
    return Located(data, lines, file)
