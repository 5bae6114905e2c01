"""REFI-QDA project export (``.qdpx``); codebooks and the overview are in :mod:`qdakit.io.refi`.

The writer is strict, whatever the import bent: the ``.qdpx`` holds
``project.qde`` and one ``sources/<guid>.txt`` per transcript (lowercase
folder, UTF-8 without a BOM, LF line ends: the transcript's exact text, so
selection positions are code points into it, as REFI-QDA 1.5 section 10.2
says), and ``basePath`` is empty:

* ``Users``: one per human coder, plus, with ``with_suggestions=True``, one
  separate user (``"qdakit suggestions"``) for the pending machine
  suggestions, so a team reviews them in NVivo, ATLAS.ti, MAXQDA or QualCoder
  without mixing them with human work;
* ``CodeBook``: the nested codes with their guids, colours and descriptions;
* ``Variables`` and ``Cases``: one case per participant with their attributes,
  linked to the transcripts they speak in (``SourceRef``) and to each of their
  segments (``SelectionRef`` to an uncoded ``PlainTextSelection`` over the
  segment), so an importer knows exactly who said what; transcript attributes
  as the source's own variable values;
* ``Sources``: a ``TextSource`` per transcript with a ``PlainTextSelection`` per
  coded span (the coding's span, or its whole segment) holding the codings,
  each with its ``creatingUser``; human codings and machine suggestions never
  share a selection; memos (and a suggestion's score and reason) as ``Note``
  elements with the coding's author and date, referenced from the coding.

REFI-QDA has no segments: an importing tool (qdakit included) sees the coded
spans, and qdakit re-segments the text on import. The archive is written to a
temporary file and renamed into place, so a failed export leaves no half file.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd

from qdakit.errors import CodingError
from qdakit.io.refi.common import _GUID, NS_PROJECT, _atomic_write, _code_guids, _codes, _el, _guid, _origin, _xml
from qdakit.model import Segment, Transcript, utcnow
from qdakit.project import Project

__all__ = ["export_qdpx", "RefiExportReport"]

_SOURCE_GUID = re.compile(r"\.qdpx#([^#]+)$", re.I)


@dataclass
class RefiExportReport:
    """What :func:`export_qdpx` wrote, and what it left out."""

    path: str
    sources: int = 0
    codes: int = 0
    codings: int = 0
    suggestions: int = 0
    users: list[str] = field(default_factory=list)
    cases: int = 0
    not_exported: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.path}: {self.sources} sources, {self.codes} codes, {self.codings} codings"
               + (f" + {self.suggestions} suggestions" if self.suggestions else "")
               + f", {len(self.users)} users ({', '.join(self.users)}), {self.cases} cases"]
        return out + [f"not exported: {n}" for n in self.not_exported]


def _stamp(when: Any) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _source_guid(t: Transcript) -> str:
    m = _SOURCE_GUID.search(t.source or "")
    if m and _GUID.match(m.group(1)):
        return m.group(1)  # imported from a .qdpx: keep the source's guid
    return _guid("source", t.id, hashlib.sha256(t.text.encode("utf-8")).hexdigest())


def export_qdpx(
    project: Project,
    path: str | Path,
    *,
    with_suggestions: bool = False,
    suggestions_user: str = "qdakit suggestions",
    min_score: float | None = None,
) -> RefiExportReport:
    """Export ``project`` as a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Parameters
    ----------
    project : Project
    path : the ``.qdpx`` file to write (replaced atomically if it exists)
    with_suggestions : also export the pending machine suggestions, as codings
        by the separate user ``suggestions_user``, each in its own selection
    suggestions_user : the name of that user; no human coder may have it
    min_score : export only suggestions scoring at least this

    Returns
    -------
    RefiExportReport
    """
    p = Path(path)
    report = RefiExportReport(str(p))
    codebook = project.codebook
    code_guids = _code_guids(codebook)
    transcripts = list(project.iter_transcripts())
    segments: dict[str, Segment] = {s.id: s for s in project.iter_segments()}
    codings = project.codings()
    history = len(project.codings(history=True)) - len(codings)
    if history:
        report.not_exported.append(f"{history} superseded or retracted codings (history stays in qdakit)")
    suggestions = project.suggestions("pending") if with_suggestions else None
    if suggestions is not None and min_score is not None:
        suggestions = suggestions[suggestions["score"] >= min_score]
    coders = sorted(set(codings["coder"]))
    if suggestions is not None and len(suggestions) and suggestions_user.strip() in coders:
        raise CodingError(f"the suggestions user {suggestions_user!r} is also a human coder in {project.path}; "
                          "choose another suggestions_user so machine and human work stay apart")
    users = {name: _guid("user", name) for name in coders}
    if suggestions is not None and len(suggestions):
        users[suggestions_user.strip()] = _guid("user", "suggestions", suggestions_user.strip())
    now = _stamp(utcnow())
    root = _el(None, "Project", {"xmlns": NS_PROJECT, "name": project.path.stem, "origin": _origin(),
                                 "creationDateTime": now, "basePath": ""})
    if users:
        holder = _el(root, "Users")
        for name, guid in users.items():
            _el(holder, "User", {"guid": guid, "name": name})
    if len(codebook):
        _codes(_el(root, "CodeBook"), codebook, code_guids)
    source_guids = {t.id: _source_guid(t) for t in transcripts}
    variables, cases = _cases(project, transcripts, segments, source_guids, report)
    if variables:
        holder = _el(root, "Variables")
        for key, guid in variables.items():
            _el(holder, "Variable", {"guid": guid, "name": key, "typeOfVariable": "Text"})
    if cases:
        holder = _el(root, "Cases")
        for name, attrs, sources, spans in cases:
            case = _el(holder, "Case", {"guid": _guid("case", name), "name": name})
            _values(case, attrs, variables)
            for guid in sources:
                _el(case, "SourceRef", {"targetGUID": guid})
            for tid, start, end in spans:
                _el(case, "SelectionRef", {"targetGUID": _case_selection(source_guids[tid], start, end)})
    report.cases = len(cases)
    case_spans: dict[str, list[tuple[str, int, int]]] = {}
    for name, _attrs, _sources, spans in cases:
        for tid, start, end in spans:
            case_spans.setdefault(tid, []).append((name, start, end))

    # one group of codings per (transcript, span, human/machine)
    groups: dict[tuple[str, int, int, bool], list[dict[str, Any]]] = {}
    for rec in codings.to_dict("records"):
        seg = segments[rec["segment_id"]]
        whole = pd.isna(rec["start"])
        start, end = (seg.start, seg.end) if whole else (int(rec["start"]), int(rec["end"]))
        groups.setdefault((seg.transcript_id, start, end, False), []).append(
            {"guid": _guid("coding", source_guids[seg.transcript_id], rec["id"]), "code": rec["code"],
             "user": users[rec["coder"]], "created": rec["created"], "memo": rec["memo"] or ""})
    for rec in (suggestions.to_dict("records") if suggestions is not None else []):
        seg = segments[rec["segment_id"]]
        note = f"Machine suggestion, score {rec['score']:.2f} ({rec['model']})" + (
            f": {rec['reason']}" if rec["reason"] else "")
        groups.setdefault((seg.transcript_id, seg.start, seg.end, True), []).append(
            {"guid": _guid("suggestion", source_guids[seg.transcript_id], rec["id"]), "code": rec["code"],
             "user": users[suggestions_user.strip()], "created": rec["created"], "memo": note})
    report.codings = len(codings)
    report.suggestions = 0 if suggestions is None else len(suggestions)
    if with_suggestions:
        left = len(project.suggestions()) - report.suggestions
        if left:
            report.not_exported.append(f"{left} suggestions already decided or under min_score")

    notes: list[tuple[str, str, str, str, str]] = []  # guid, name, user, created, text
    members: list[tuple[str, bytes]] = []
    sources_el = _el(root, "Sources")
    for t in transcripts:
        guid = source_guids[t.id]
        src = _el(sources_el, "TextSource", {"guid": guid, "name": t.name,
                                          "plainTextPath": f"internal://{guid}.txt", "creationDateTime": now})
        members.append((f"sources/{guid}.txt", t.text.encode("utf-8")))
        for (_tid, start, end, machine), group in sorted((k, v) for k, v in groups.items() if k[0] == t.id):
            sel = _el(src, "PlainTextSelection", {
                "guid": _guid("selection", guid, start, end, machine),
                "name": " ".join(t.text[start:end].split())[:60], "startPosition": start, "endPosition": end,
                "creatingUser": group[0]["user"], "creationDateTime": _stamp(min(g["created"] for g in group))})
            for g in group:
                coding = _el(sel, "Coding", {"guid": g["guid"], "creatingUser": g["user"],
                                             "creationDateTime": _stamp(g["created"])})
                _el(coding, "CodeRef", {"targetGUID": code_guids[g["code"]]})
                if g["memo"].strip():
                    note_guid = _guid("note", g["guid"])
                    notes.append((note_guid, f"Memo: {g['code']}", g["user"], _stamp(g["created"]), g["memo"]))
                    _el(coding, "NoteRef", {"targetGUID": note_guid})
        for pid, start, end in case_spans.get(t.id, []):  # uncoded: a case's hold on a participant's turn
            _el(src, "PlainTextSelection", {
                "guid": _case_selection(guid, start, end), "name": f"{pid}: {' '.join(t.text[start:end].split())[:50]}",
                "startPosition": start, "endPosition": end, "creationDateTime": now})
        _values(src, dict(t.attributes), variables)
    if not len(sources_el):
        root.remove(sources_el)
    if notes:
        holder = _el(root, "Notes")
        for note_guid, name, user, created, text in notes:
            note_el = _el(holder, "Note", {"guid": note_guid, "name": name, "creatingUser": user,
                                           "creationDateTime": created})
            _el(note_el, "PlainTextContent", text=text)
    report.sources, report.codes, report.users = len(transcripts), len(codebook), list(users)
    qde = _xml(root)

    def write(f: Any) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", qde)
            for name, data in members:
                z.writestr(name, data)

    _atomic_write(p, write)
    return report


def _values(parent: ET.Element, attrs: dict[str, Any], variables: dict[str, str]) -> None:
    for key, value in attrs.items():
        if str(value).strip() and key in variables:
            vv = _el(parent, "VariableValue")
            _el(vv, "VariableRef", {"targetGUID": variables[key]})
            _el(vv, "TextValue", text=str(value))


def _case_selection(source_guid: str, start: int, end: int) -> str:
    return _guid("case-selection", source_guid, start, end)


def _cases(project: Project, transcripts: list[Transcript], segments: dict[str, Segment],
           source_guids: dict[str, str], report: RefiExportReport) -> tuple[
        dict[str, str], list[tuple[str, dict[str, str], list[str], list[tuple[str, int, int]]]]]:
    """Variables (name -> guid) and cases (participant, attributes, source guids, their segments' spans)."""
    records = project.participants().to_dict("records")
    t_attrs = {t.id: {k: str(v) for k, v in t.attributes.items()} for t in transcripts}
    speaks: dict[str, set[str]] = {}
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for s in segments.values():
        if s.participant:
            speaks.setdefault(s.participant, set()).add(s.transcript_id)
            if s.transcript_id in source_guids and s.end > s.start:
                spans.setdefault(s.participant, []).append((s.transcript_id, s.start, s.end))
    general: dict[str, dict[str, str]] = {}
    specific: dict[str, dict[str, dict[str, str]]] = {}

    def clean(r: dict[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in r.items() if k not in ("participant", "transcript_id") and not pd.isna(v)}

    for r in records:
        if r["transcript_id"]:
            specific.setdefault(r["participant"], {})[r["transcript_id"]] = clean(r)
        else:
            general[r["participant"]] = clean(r)
    cases = []
    for pid in sorted(set(general) | set(specific) | set(speaks)):
        tids = speaks.get(pid, set()) | set(specific.get(pid, {}))
        attrs = dict(general.get(pid, {}))
        per = specific.get(pid, {})
        if len(per) == 1:
            attrs |= next(iter(per.values()))
        elif per:  # values the same in every transcript go to the case; the others only as the sources carry them
            keys_ = sorted({k for r in per.values() for k in r})
            same = {k for k in keys_ if len({r.get(k) for r in per.values()}) == 1}
            attrs |= {k: v for k, v in next(iter(per.values())).items() if k in same}
            lost = [k for k in keys_ if k not in same
                    and any(t_attrs.get(tid, {}).get(k) != r.get(k) for tid, r in per.items())]
            if lost:
                report.not_exported.append(f"participant {pid}: {', '.join(lost)} differ per transcript "
                                           f"({', '.join(sorted(per))}); a case has one value per variable")
        cases.append((pid, attrs, sorted(source_guids[t] for t in tids if t in source_guids), spans.get(pid, [])))
    keys = sorted({k for _, a, _, _ in cases for k in a} | {k for t in transcripts for k in t.attributes})
    return {k: _guid("variable", k) for k in keys}, cases
