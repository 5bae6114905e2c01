"""Codebook files: nested YAML and JSON, flat CSV (name, parent, description, ...).

Nested format (YAML shown; JSON has the same structure)::

    name: Positive partnership processes
    codes:
      - name: Communication
        description: How partners share information ...
        inclusion: ...
        exclusion: ...
        examples: ["We email every Friday."]
        colour: "#1b9e77"
        codes:                # children, same fields
          - name: Listening

A top-level list of codes (without the ``name``/``codes`` wrapper) is accepted
too. CSV columns: ``name`` (required), ``parent``, ``description``,
``inclusion``, ``exclusion``, ``examples`` (joined with `` | ``), ``colour``.

Errors name the file and the line of the offending code.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from qdakit.errors import CodebookError, ImportFormatError
from qdakit.io.base import read_text_file
from qdakit.io.limits import check_depth, limit, over
from qdakit.io.output import atomic_write, unneutralise, write_table
from qdakit.io.textclean import clean_code
from qdakit.model import Code, Codebook

__all__ = ["read_codebook", "write_codebook", "codebook_from_records"]

_FIELDS = {"name", "description", "inclusion", "exclusion", "examples", "colour", "color",
           "codes", "children", "parent", "guid", "definition"}
_EXAMPLE_SEP = " | "


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that records each mapping's line as ``__line__``.

    It also refuses what a safe loader still lets through: nesting deeper than
    ``MAX_DEPTH`` (the composer recurses) and aliases that expand to more than
    ``MAX_YAML_NODES`` values (a few hundred bytes of "billion laughs" would
    otherwise take gigabytes); see :mod:`qdakit.io.limits`.
    """

    where = "<yaml>"
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > limit("MAX_DEPTH"):
                mark = self.peek_event().start_mark
                check_depth(self._depth, f"{self.where}, line {mark.line + 1}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Any) -> Any:
        _expanded_size(node, self.where)
        return super().construct_document(node)


def _expanded_size(root: yaml.Node, where: str) -> int:
    """How many values ``root`` holds once every alias is expanded; refuses too many, and cycles."""
    cap, memo = limit("MAX_YAML_NODES"), dict[int, int]()

    def size(node: yaml.Node) -> int:
        if id(node) in memo:
            if memo[id(node)] < 0:
                raise ImportFormatError(f"{where}, line {node.start_mark.line + 1}: a YAML alias refers to "
                                        "the value that contains it; remove the alias (*name).")
            return memo[id(node)]
        memo[id(node)] = -1
        if isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v) for v in node.value)
        elif isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            n = 1
        if n > cap:
            raise over("MAX_YAML_NODES", f"{where}, line {node.start_mark.line + 1}",
                       f"its aliases (*name) expand to more than {cap:,} values")
        memo[id(node)] = n
        return n

    return size(root)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_codebook(path: str | Path) -> Codebook:
    """Read a codebook from ``.yaml``/``.yml``, ``.json`` or ``.csv``.

    Raises
    ------
    CodebookError
        Unknown format, unparsable file, a code without a name, duplicate names,
        an unknown parent or a cycle; the message names the file and line.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json", ".csv"}:
        raise CodebookError(f"{p}: unknown codebook format {suffix!r}; use .yaml, .json or .csv "
                            "(or .qdc via qdakit's REFI-QDA reader)")
    try:
        text = read_text_file(p)
    except Exception as exc:  # ImportFormatError is also a ValueError; re-type it
        raise CodebookError(str(exc)) from None
    if suffix == ".csv":
        return _read_csv(text, p)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CodebookError(f"{p}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise CodebookError(str(over("MAX_DEPTH", str(p), "nesting too deep to read"))) from None
        return _from_nested(data, p, lambda name: _json_line(text, name))
    loader = _LineLoader(text)
    loader.where = str(p)
    try:
        data = loader.get_single_data()
    except ImportFormatError as exc:  # a limit
        raise CodebookError(str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise CodebookError(f"{p}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    finally:
        loader.dispose()
    return _from_nested(data, p, None)


def _json_line(text: str, name: str) -> int | None:
    m = re.search(r'"name"\s*:\s*' + re.escape(json.dumps(name)), text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _from_nested(data: Any, path: Path, line_of: Any) -> Codebook:
    if isinstance(data, dict):
        items = data.get("codes", data.get("children"))
        if items is None:
            raise CodebookError(f"{path}: expected a list of codes under 'codes:' (or a top-level list)")
    else:
        items = data
    if not isinstance(items, list):
        raise CodebookError(f"{path}: 'codes' must be a list of codes, got {type(items).__name__}")
    codes: list[Code] = []
    lines: list[int | None] = []

    def walk(entries: list[Any], parent: str | None, depth: int) -> None:
        check_depth(depth, str(path))
        for entry in entries:
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, dict):
                raise CodebookError(f"{path}: each code must be a mapping with a 'name', got {entry!r}")
            line = entry.get("__line__") or (line_of(entry.get("name", "")) if line_of else None)
            where = f"{path}, line {line}" if line else str(path)
            unknown = set(entry) - _FIELDS - {"__line__"}
            if unknown:
                raise CodebookError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; valid fields: "
                                    f"{', '.join(sorted(_FIELDS - {'color', 'children', 'definition'}))}")
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise CodebookError(f"{where}: a code has no name; give every code a 'name:'")
            examples = entry.get("examples") or ()
            if isinstance(examples, str):
                examples = [examples]
            text_fields = {k: entry.get(k) for k in ("parent", "colour", "color", "guid")}
            if not isinstance(examples, (list, tuple)) or any(isinstance(e, (list, dict)) for e in examples) or any(
                    v is not None and not isinstance(v, (str, int, float)) for v in text_fields.values()):
                raise CodebookError(f"{where}: code {name!r}: 'examples' must be a list of texts and "
                                    "'parent', 'colour', 'guid' single texts")
            code = Code(
                name=name.strip(),
                parent=str(entry["parent"]) if entry.get("parent") else parent,
                description=str(entry.get("description") or entry.get("definition") or "").strip(),
                inclusion=str(entry.get("inclusion") or "").strip(),
                exclusion=str(entry.get("exclusion") or "").strip(),
                examples=tuple(str(e).strip() for e in examples),
                colour=str(entry.get("colour") or entry.get("color") or "") or None,
                **({"guid": str(entry["guid"])} if entry.get("guid") else {}),
            )
            lines.append(int(line) if line else None)
            code = clean_code(code, where)
            codes.append(code)
            children = entry.get("codes", entry.get("children")) or []
            if not isinstance(children, list):
                raise CodebookError(f"{where}: 'codes' under {name!r} must be a list")
            walk(children, code.name, depth + 1)

    try:
        walk(items, None, 1)
    except ImportFormatError as exc:  # a limit
        raise CodebookError(str(exc)) from None
    if not codes:
        raise CodebookError(f"{path}: the codebook has no codes")
    return Codebook(codes, source=str(path), lines=lines)


def _read_csv(text: str, path: Path) -> Codebook:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "name" not in fields:
        raise CodebookError(f"{path}, line 1: a CSV codebook needs a 'name' column; found "
                            f"{', '.join(fields) or 'no header'}. Columns: name, parent, description, "
                            "inclusion, exclusion, examples, colour")
    records = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise CodebookError(f"{path}, line {line}: more cells than columns ({len(fields)}); put cells "
                                    'that contain a comma in double quotes ("one, two")')
            row = {(k or "").strip().lower(): unneutralise((v or "").strip()) for k, v in row.items()}
            row["__line__"] = line
            records.append(row)
    except csv.Error as exc:
        raise CodebookError(f"{path}, line {reader.line_num}: not a readable CSV table ({exc})") from None
    return codebook_from_records(records, source=str(path))


def codebook_from_records(records: list[dict[str, Any]], source: str | None = None) -> Codebook:
    """Build a codebook from flat records (name, parent, description, ... as strings)."""
    codes: list[Code] = []
    lines: list[int | None] = []
    for i, row in enumerate(records, start=2):
        line = row.get("__line__", i)
        name = str(row.get("name") or "").strip()
        if not name:
            raise CodebookError(f"{source or 'codebook'}, line {line}: empty code name")
        examples = row.get("examples") or ""
        if isinstance(examples, str):
            examples = [e.strip() for e in examples.split(_EXAMPLE_SEP.strip()) if e.strip()]
        codes.append(clean_code(Code(name, (str(row.get("parent") or "").strip() or None),
                                     str(row.get("description") or row.get("definition") or ""),
                                     str(row.get("inclusion") or ""), str(row.get("exclusion") or ""),
                                     tuple(examples), (row.get("colour") or row.get("color") or None),
                                     **({"guid": str(row["guid"])} if row.get("guid") else {})),
                                f"{source or 'codebook'}, line {line}"))
        lines.append(int(line))
    return Codebook(codes, source=source, lines=lines)


def write_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write ``codebook`` as nested YAML/JSON or flat CSV, chosen by the suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":  # cells a spreadsheet would run as formulas are neutralised (qdakit.io.output)
        rows = [[c.name, c.parent or "", c.description, c.inclusion, c.exclusion, _EXAMPLE_SEP.join(c.examples),
                 c.colour or ""] for c in codebook]
        columns = ["name", "parent", "description", "inclusion", "exclusion", "examples", "colour"]
        return write_table(pd.DataFrame(rows, columns=columns), p).path

    def nest(parent: str | None) -> list[dict[str, Any]]:
        out = []
        for c in codebook.children(parent):
            d: dict[str, Any] = {"name": c.name}
            for key in ("description", "inclusion", "exclusion"):
                if getattr(c, key):
                    d[key] = getattr(c, key)
            if c.examples:
                d["examples"] = list(c.examples)
            if c.colour:
                d["colour"] = c.colour
            if kids := nest(c.name):
                d["codes"] = kids
            out.append(d)
        return out

    doc = {"codes": nest(None)}
    if suffix == ".json":
        data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8", "replace")
    elif suffix in {".yaml", ".yml"}:
        data = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100).encode("utf-8", "replace")
    else:
        raise CodebookError(f"{p}: unknown codebook format {suffix!r}; use .yaml, .json or .csv")
    return atomic_write(p, lambda f: f.write(data))
