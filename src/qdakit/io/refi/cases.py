"""REFI-QDA import: ``Cases`` and ``Variables`` -> participants and attributes (see :mod:`qdakit.io.refi.read`).

A case linked to selections (``SelectionRef``) is the participant who speaks in
the segments those selections overlap; a case linked to a source in which its
name is a speaker describes that participant there; a case linked to a source
otherwise gives that transcript's attributes; a case without links describes
a participant everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from xml.etree.ElementTree import Element

from qdakit.errors import ImportFormatError
from qdakit.io.refi.common import _kid, _kids, _local, _text_of
from qdakit.model import Segment, Transcript

#: the reader of :mod:`qdakit.io.refi.read` (its ``root``, ``where``, ``variables``, ``report``, ``skipped``);
#: typed loosely so that this module does not import the one that imports it
_ProjectReader = Any


def _values(rd: _ProjectReader, elem: Element, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for vv in _kids(elem, "VariableValue"):
        ref = _kid(vv, "VariableRef")
        target = ref.get("targetGUID", "") if ref is not None else ""
        if target not in rd.variables:
            raise ImportFormatError(f"{where}: VariableValue refers to variable {target or '(none)'}, "
                                    "which is not among the project's <Variables>")
        value = next((_text_of(c).strip() for c in vv if _local(c).endswith("Value")), "")
        if value:
            out[rd.variables[target]] = value
    return out


def _cases(rd: _ProjectReader, items: list[tuple[Transcript, list[Segment]]],
           source_of: dict[str, tuple[Transcript, list[Segment]]],
           selection_at: dict[str, tuple[str, int, int]]) -> tuple[
        list[tuple[Transcript, list[Segment]]], list[tuple[str, str | None, dict[str, str]]]]:
    by_id = {t.id: (t, list(segs)) for t, segs in items}
    pattrs: list[tuple[str, str | None, dict[str, str]]] = []

    def mark(tid: str, speaker: str) -> bool:
        t, segs = by_id[tid]
        hit = False
        for i, s in enumerate(segs):
            if s.speaker and s.speaker.casefold() == speaker.casefold():
                segs[i], hit = replace(s, participant=speaker), True
        return hit

    def mark_span(name: str, tid: str, start: int, end: int) -> bool:
        """The segments a case's selection overlaps belong to that participant."""
        _, segs = by_id[tid]
        hit = False
        for i, s in enumerate(segs):
            if s.start < end and s.end > start:
                segs[i], hit = replace(s, participant=name), True
        return hit

    for case in _kids(_kid(rd.root, "Cases"), "Case"):
        guid = case.get("guid", "")
        name = (case.get("name") or guid).strip()
        where = f"{rd.where}: Case {name!r} ({guid})"
        attrs = _values(rd, case, where)
        rd.report.cases += 1
        linked: set[str] = set()  # transcripts where the case's selections name the participant's turns
        for sel in _kids(case, "SelectionRef"):
            target = sel.get("targetGUID", "")
            if target not in selection_at or not mark_span(name, *selection_at[target]):
                rd.skipped.add("case links to selections not imported", f"{name!r} -> {target}")
                continue
            linked.add(selection_at[target][0])
        if linked:
            pattrs.append((name, None, attrs))
        for ref in _kids(case, "CodeRef"):
            rd.skipped.add("case links to codes", f"{name!r} -> {ref.get('targetGUID')}")
        refs = [r.get("targetGUID", "") for r in _kids(case, "SourceRef")]
        if not refs and not linked:
            for tid in by_id:
                mark(tid, name)
            pattrs.append((name, None, attrs))
            continue
        for target in refs:
            if target not in source_of:
                rd.skipped.add("case links to sources not imported", f"{name!r} -> {target}")
                continue
            tid = source_of[target][0].id
            if tid in linked:
                continue
            if mark(tid, name):
                pattrs.append((name, tid, attrs))
                continue
            t, segs = by_id[tid]
            clash = {k for k, v in attrs.items() if t.attributes.get(k, v) != v}
            for k in sorted(clash):
                rd.skipped.add("case values that clash on one transcript (first kept)",
                               f"{name!r}: {k}={attrs[k]!r} on {t.name!r}")
            by_id[tid] = (replace(t, attributes={**attrs, **t.attributes}), segs)
    return list(by_id.values()), pattrs
