"""REFI-QDA project import (``.qdpx``); codebooks and the overview are in :mod:`qdakit.io.refi`.

A ``.qdpx`` is untrusted input: XML is parsed with :mod:`defusedxml` (no DTD,
no entities); a member whose path is absolute or contains ``..`` makes the
archive refused; only the members qdakit reads (the ``.qde``, plain-text
sources, note texts) are decompressed, each under ``max_member_bytes`` and
together under ``max_total_bytes`` (declared and actual sizes both checked).
Media, pictures and DOCX/PDF originals are never decompressed.

What becomes what
-----------------
* ``User`` -> a coder name (``name``, else ``id``, else the guid).
* ``CodeBook`` -> the codebook, nested, with guids, colours and descriptions.
  Code names are unique in qdakit: a repeated name gets its parent's name
  (``programming (cs_as_programming)``); the report lists each rename.
* ``TextSource`` (and a ``PDFSource``'s ``Representation``, an audio or video
  source's ``Transcript``) -> a transcript whose text is the source's plain
  text. Only ``\\r\\n`` is normalised to ``\\n`` (offsets remapped). It is
  segmented like a ``.txt`` file: speaker turns if it has labels, else paragraphs.
* ``PlainTextSelection`` (code points, end exclusive) with its ``Coding``
  elements -> one :class:`~qdakit.model.Coding` per code on every segment the
  selection overlaps, its span clipped to that segment; the coder is the
  coding's ``creatingUser`` (else the selection's).
* ``NoteRef`` on a coding or its selection, and the selection's
  ``Description`` -> the coding's memo.
* ``Cases``/``Variables`` -> attributes: a case linked to a source in which its
  name is a speaker describes that participant there; a case linked to a
  source otherwise gives that transcript's attributes; a case without sources
  describes a participant everywhere. A source's own values are transcript
  attributes.

Everything else (pictures, media, area and time selections, whole-source
codings, sets, links, graphs, notes not attached to codings) is listed in
:attr:`RefiImportReport.not_carried_over`. Nothing is written unless the whole
file imports.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from qdakit.errors import CodingError, ImportFormatError
from qdakit.io.base import ParsedTranscript
from qdakit.io.refi.common import _Archive, _kid, _kids, _local, _parse_xml, _read_codes, _text_of
from qdakit.io.segment import SegmentBy, segment, slugify
from qdakit.io.text import parse_text
from qdakit.model import Codebook, Coding, Segment, Transcript, utcnow
from qdakit.project import Project

__all__ = ["import_qdpx", "RefiImportReport", "MAX_TOTAL_BYTES", "MAX_MEMBER_BYTES"]

#: default cap on the uncompressed bytes read from one archive
MAX_TOTAL_BYTES = 500_000_000
#: default cap on the uncompressed size of one member that is read
MAX_MEMBER_BYTES = 200_000_000


@dataclass
class RefiImportReport:
    """What :func:`import_qdpx` imported and what it could not carry over."""

    path: str
    transcripts: list[str] = field(default_factory=list)
    segments: int = 0
    codes: int = 0
    codings: int = 0
    users: list[str] = field(default_factory=list)
    cases: int = 0
    selections: int = 0
    split_selections: int = 0  # selections crossing segments, stored as one coding per segment
    trimmed_selections: int = 0  # selections whose speaker label (outside every segment) was left out
    memos: int = 0
    renamed_codes: list[str] = field(default_factory=list)
    not_carried_over: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary, one line each (for the CLI)."""
        out = [f"{self.path}: {len(self.transcripts)} transcripts ({self.segments} segments), "
               f"{self.codes} codes, {self.codings} codings from {self.selections} selections, "
               f"{len(self.users)} users ({', '.join(self.users)}), {self.cases} cases, {self.memos} memos"]
        if self.split_selections:
            out.append(f"{self.split_selections} selections crossed segment boundaries and were split "
                       "into one coding per segment")
        if self.trimmed_selections:
            out.append(f"{self.trimmed_selections} selections included text outside every segment "
                       "(speaker labels, headings); it was left out of the coded spans")
        out += [f"renamed code: {r}" for r in self.renamed_codes]
        out += [f"not carried over: {n}" for n in self.not_carried_over]
        return out


class _Skipped:
    """Collects what could not be carried over, grouped by kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[str]] = {}

    def add(self, kind: str, item: str) -> None:
        self.kinds.setdefault(kind, []).append(item)

    def lines(self) -> list[str]:
        return [f"{kind}: {len(items)} ({'; '.join(items[:6])}{'; ...' if len(items) > 6 else ''})"
                for kind, items in self.kinds.items()]


def _int_attr(elem: Element, name: str, where: str) -> int:
    try:
        return int(elem.get(name, ""))
    except ValueError:
        raise ImportFormatError(f"{where}: attribute {name}={elem.get(name)!r} is not an integer") from None


def _when(*elems: Element) -> datetime:
    for elem in elems:
        try:
            when = datetime.fromisoformat(elem.get("creationDateTime", ""))
        except ValueError:
            continue
        return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return utcnow()


# -- the project --------------------------------------------------------------------------
@dataclass
class _Selection:
    guid: str
    start: int
    end: int
    element: Element
    user: str | None


@dataclass
class _TextSource:
    guid: str
    refs: set[str]  # guids a case's SourceRef may use for it
    name: str
    element: Element  # holds VariableValue / Coding / NoteRef
    raw: str
    selections: list[_Selection]
    user: str | None


class _ProjectReader:
    def __init__(self, archive: _Archive, root: Element, report: RefiImportReport) -> None:
        self.archive, self.root, self.report = archive, root, report
        self.where = str(archive.path)
        self.skipped = _Skipped()
        self.used_notes: set[str] = set()
        self.notes = {n.get("guid", ""): n for n in _kids(_kid(root, "Notes"), "Note")}
        self.variables = {v.get("guid", ""): v.get("name") or v.get("guid") or ""
                          for v in _kids(_kid(root, "Variables"), "Variable")}
        self.fallback_user = f"{root.get('origin') or 'REFI-QDA'} user"
        self.users = self._users()

    def _users(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for u in _kids(_kid(self.root, "Users"), "User"):
            guid = u.get("guid", "")
            name = (u.get("name") or u.get("id") or guid).strip() or guid
            if guid in out:
                raise ImportFormatError(f"{self.archive.path}: two users share the guid {guid} ({out[guid]!r} and "
                                        f"{name!r}); codings could not be told apart. Fix the export in its tool.")
            if name in out.values():
                name = f"{name} ({u.get('id') or guid[:8]})"
            out[guid] = name
        return out

    def coder(self, guid: str | None) -> str:
        if not guid:
            return self.fallback_user
        if guid not in self.users:
            self.skipped.add("codings by a user missing from <Users> (kept under the user's guid)", guid)
            self.users[guid] = guid
        return self.users[guid]

    def note_text(self, guid: str, where: str) -> str:
        note = self.notes.get(guid)
        if note is None:
            raise ImportFormatError(f"{where}: NoteRef to {guid}, which is not among the project's <Notes>")
        self.used_notes.add(guid)
        content = _kid(note, "PlainTextContent")
        if content is not None:
            return _text_of(content).strip()
        if note.get("plainTextPath"):
            return self.archive.text(note.get("plainTextPath", ""), f"{where}, note {guid}").strip()
        return _text_of(_kid(note, "Description")).strip()

    # -- sources -------------------------------------------------------------------------
    def text_sources(self) -> Iterator[_TextSource]:
        sources = _kid(self.root, "Sources")
        for src in list(sources) if sources is not None else []:
            kind, name = _local(src), _source_name(src)
            label = f"{kind} {name!r} ({src.get('guid')})"
            if kind == "TextSource":
                yield self._text_source(src, name, src)
            elif kind == "PDFSource":
                rep = _kid(src, "Representation")
                for sel in _kids(src, "PDFSelection"):
                    self.skipped.add("PDF area selections", f"{sel.get('guid')} in {label}")
                if rep is None:
                    self.skipped.add("PDF sources without a plain-text representation", label)
                else:
                    yield self._text_source(rep, name, src)
            elif kind in ("AudioSource", "VideoSource"):
                self.skipped.add("audio/video media (their transcripts are imported)", label)
                for sel in _kids(src, f"{kind[:5]}Selection"):
                    self.skipped.add("time selections in audio/video", f"{sel.get('guid')} in {label}")
                for tr in _kids(src, "Transcript"):
                    yield self._text_source(tr, f"{name} - {tr.get('name') or 'transcript'}", src)
            else:
                self.skipped.add("picture sources and their selections", label)
            for c in _kids(src, "Coding"):
                self.skipped.add("codings of a whole source", f"{c.get('guid')} on {label}")

    def _text_source(self, elem: Element, name: str, outer: Element) -> _TextSource:
        guid = elem.get("guid") or outer.get("guid") or ""
        where = f"{self.where}: {_local(elem)} {name!r} ({guid})"
        content = _kid(elem, "PlainTextContent")
        if content is not None:
            raw = _text_of(content)
        elif elem.get("plainTextPath"):
            raw = self.archive.text(elem.get("plainTextPath", ""), where)
        else:
            raise ImportFormatError(f"{where}: no plain text (neither plainTextPath nor PlainTextContent); "
                                    "export it again from its tool with its plain-text representation")
        sels: list[_Selection] = []
        for sel in _kids(elem, "PlainTextSelection"):
            swhere = f"{where}: PlainTextSelection {sel.get('guid')}"
            sels.append(_Selection(sel.get("guid", ""), _int_attr(sel, "startPosition", swhere),
                                   _int_attr(sel, "endPosition", swhere), sel, sel.get("creatingUser")))
        points = {sp.get("guid"): sp.get("position") for sp in _kids(elem, "SyncPoint")}
        for sel in _kids(elem, "TranscriptSelection"):
            a, b = points.get(sel.get("fromSyncPoint")), points.get(sel.get("toSyncPoint"))
            if a is None or b is None or not a.lstrip("-").isdigit() or not b.lstrip("-").isdigit():
                self.skipped.add("transcript selections without text positions", f"{sel.get('guid')} in {name!r}")
                continue
            sels.append(_Selection(sel.get("guid", ""), int(a), int(b), sel, sel.get("creatingUser")))
        return _TextSource(guid, {guid, outer.get("guid", "")}, name, outer, raw, sels,
                           elem.get("creatingUser") or outer.get("creatingUser"))


def _source_name(src: Element) -> str:
    """The source's name, else its file's stem (``board_2017.txt`` -> ``board_2017``), else its guid."""
    ref = src.get("plainTextPath") or src.get("path") or src.get("richTextPath") or ""
    stem = Path(ref.split("://")[-1]).stem if ref else ""
    return (src.get("name") or "").strip() or stem or src.get("guid", "")


def _normalise(raw: str) -> tuple[str, Callable[[int], int]]:
    """The text with a leading BOM removed and \\r\\n, \\r as \\n; and the offset remapping."""
    body = raw.lstrip("\ufeff")
    lead = len(raw) - len(body)
    crlf = [m.start() for m in re.finditer("\r\n", body)]

    def remap(pos: int) -> int:
        q = max(0, pos - lead)
        return q - bisect.bisect_left(crlf, q)

    return body.replace("\r\n", "\n").replace("\r", "\n"), remap


def _parse_string(text: str, name: str, source: str) -> ParsedTranscript:
    """Parse text like a .txt transcript (speaker labels, else paragraphs) without changing it."""
    return parse_text(text, name, source=source)


def import_qdpx(
    project: Project,
    path: str | Path,
    *,
    segment_by: SegmentBy = "turn",
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> RefiImportReport:
    """Import a REFI-QDA project (``.qdpx``) into ``project``, all or nothing.

    Parameters
    ----------
    project : Project
    path : the ``.qdpx`` file
    segment_by : ``"turn"`` (speaker turns, default) or ``"paragraph"``
    max_total_bytes, max_member_bytes : caps on the uncompressed bytes read

    Returns
    -------
    RefiImportReport
        Counts, renamed codes, and what could not be carried over.

    Raises
    ------
    ImportFormatError
        Not a zip, unsafe member path or XML, over a size cap, a missing source
        file, a selection outside its source, a dangling reference.
    CodebookError
        A code without guid or name, a repeated guid.
    CodingError
        A coding whose ``CodeRef`` names no code.
    DuplicateTranscriptError
        A source whose name or text is already in the project.
    """
    p = Path(path)
    archive = _Archive(p, max_total_bytes, max_member_bytes)
    qde = archive.qde_name()
    root = _parse_xml(archive.read(qde, f"{p}: {qde}"), f"{p}: {qde}")
    if _local(root) != "Project":
        raise ImportFormatError(f"{p}: {qde} has root <{_local(root)}>, not <Project>")
    report = RefiImportReport(str(p))
    rd = _ProjectReader(archive, root, report)
    codes, code_names = _read_codes(_kid(_kid(root, "CodeBook"), "Codes"), f"{p}: CodeBook", report.renamed_codes)
    items: list[tuple[Transcript, list[Segment]]] = []
    codings: list[Coding] = []
    source_of: dict[str, tuple[Transcript, list[Segment]]] = {}
    names: set[str] = set()
    ids: set[str] = set()
    for src in rd.text_sources():
        where = f"{p}: source {src.name!r} ({src.guid})"
        text, remap = _normalise(src.raw)
        if not text.strip():
            rd.skipped.add("empty sources (no text to code)", f"{src.name!r} ({src.guid})")
            for sel in src.selections:
                rd.skipped.add("selections in empty sources", sel.guid)
            continue
        name, n = src.name, 2
        while name.casefold() in names:
            name, n = f"{src.name} ({n})", n + 1
        tid, n = slugify(name), 2
        while tid in ids:
            tid, n = f"{slugify(name)}-{n}", n + 1
        names.add(name.casefold())
        ids.add(tid)
        parsed = _parse_string(text, name, f"{p}#{src.guid}")
        try:
            transcript, segs = segment(parsed, by=segment_by, transcript_id=tid)
        except ImportFormatError:
            rd.skipped.add("sources with no text outside headings and labels", f"{src.name!r} ({src.guid})")
            continue
        attrs = dict(transcript.attributes) | _values(rd, src.element, where)
        transcript = replace(transcript, attributes=attrs)
        codings += _codings(rd, src, text, remap, segs, code_names, where)
        items.append((transcript, segs))
        source_of.update({g: (transcript, segs) for g in src.refs if g})
    items, pattrs = _cases(rd, items, source_of)
    _list_leftovers(rd)
    report.not_carried_over = rd.skipped.lines()
    with project.transaction():
        if codes:
            project.load_codebook(Codebook(codes, source=str(p)))
        project.add_transcripts(items)
        for pid, case_tid, attrs in pattrs:
            project.set_participant_attributes(pid, attrs, case_tid)
        project.add_codings(codings)
    report.transcripts = [t.name for t, _ in items]
    report.segments = sum(len(s) for _, s in items)
    report.codes, report.codings = len(codes), len(codings)
    report.users = sorted({c.coder for c in codings} | set(rd.users.values()))
    report.memos = sum(1 for c in codings if c.memo)
    return report


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


def _codings(rd: _ProjectReader, src: _TextSource, text: str, remap: Callable[[int], int], segs: list[Segment],
             code_names: dict[str, str], where: str) -> list[Coding]:
    starts = [s.start for s in segs]
    out: list[Coding] = []
    seen: set[tuple[Any, ...]] = set()
    for sel in src.selections:
        swhere = f"{where}: selection {sel.guid}"
        if not 0 <= sel.start <= sel.end <= len(src.raw):
            raise ImportFormatError(
                f"{swhere} spans {sel.start}:{sel.end}, outside its source (0:{len(src.raw)} code points). "
                "The file is inconsistent; re-export it from its tool.")
        start, end = remap(sel.start), remap(sel.end)
        codings = _kids(sel.element, "Coding")
        if start == end or not codings:
            for ref in _kids(sel.element, "NoteRef"):
                rd.skipped.add("notes on selections without codes", ref.get("targetGUID", ""))
            if start == end and codings:
                rd.skipped.add("empty selections", sel.guid)
            continue
        first = max(0, bisect.bisect_right(starts, start) - 1)
        hit = []
        for s in segs[first:]:
            if s.start >= end:
                break
            if s.end > start:
                hit.append(s)
        if not hit:
            rd.skipped.add("selections covering only speaker labels or blank lines", sel.guid)
            continue
        rd.report.selections += 1
        rd.report.split_selections += len(hit) > 1
        inner = ((a.end, b.start) for a, b in zip(hit, hit[1:], strict=False))
        gaps = [(start, hit[0].start), *inner, (hit[-1].end, end)]
        rd.report.trimmed_selections += any(text[a:b].strip() for a, b in gaps if b > a)
        memo_parts = [_text_of(_kid(sel.element, "Description")).strip()]
        memo_parts += [rd.note_text(r.get("targetGUID", ""), swhere) for r in _kids(sel.element, "NoteRef")]
        for c in codings:
            cwhere = f"{swhere}: Coding {c.get('guid')}"
            code_ref = _kid(c, "CodeRef")
            target = code_ref.get("targetGUID", "") if code_ref is not None else ""
            if target not in code_names:
                raise CodingError(f"{cwhere} refers to code {target or '(no CodeRef)'}, which is not in the "
                                  "project's CodeBook. The file is inconsistent; re-export it.")
            memo = "\n\n".join(x for x in [*memo_parts, *(rd.note_text(r.get("targetGUID", ""), cwhere)
                                                        for r in _kids(c, "NoteRef"))] if x)
            coder = rd.coder(c.get("creatingUser") or sel.user or src.user)
            for s in hit:
                key = (s.id, code_names[target], coder, max(start, s.start), min(end, s.end))
                if key in seen:
                    continue
                seen.add(key)
                out.append(Coding(s.id, key[1], coder, key[3], key[4], memo, _when(c, sel.element)))
    return out


def _cases(rd: _ProjectReader, items: list[tuple[Transcript, list[Segment]]],
           source_of: dict[str, tuple[Transcript, list[Segment]]]) -> tuple[
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

    for case in _kids(_kid(rd.root, "Cases"), "Case"):
        guid = case.get("guid", "")
        name = (case.get("name") or guid).strip()
        where = f"{rd.where}: Case {name!r} ({guid})"
        attrs = _values(rd, case, where)
        rd.report.cases += 1
        for sel in _kids(case, "SelectionRef"):
            rd.skipped.add("case links to selections", f"{name!r} -> {sel.get('targetGUID')}")
        for ref in _kids(case, "CodeRef"):
            rd.skipped.add("case links to codes", f"{name!r} -> {ref.get('targetGUID')}")
        refs = [r.get("targetGUID", "") for r in _kids(case, "SourceRef")]
        if not refs:
            for tid in by_id:
                mark(tid, name)
            pattrs.append((name, None, attrs))
            continue
        for target in refs:
            if target not in source_of:
                rd.skipped.add("case links to sources not imported", f"{name!r} -> {target}")
                continue
            tid = source_of[target][0].id
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


def _list_leftovers(rd: _ProjectReader) -> None:
    for kind in ("Sets", "Links", "Graphs"):
        holder = _kid(rd.root, kind)
        for el in list(holder) if holder is not None else []:
            rd.skipped.add(kind.lower(), repr(el.get("name") or el.get("guid")))
    holders: dict[str, str] = {}
    for parent in rd.root.iter():
        for ref in _kids(parent, "NoteRef"):
            holders.setdefault(ref.get("targetGUID", ""), f"{_local(parent)} {parent.get('name') or ''}".strip())
    for guid, note in rd.notes.items():
        if guid not in rd.used_notes:
            rd.skipped.add("notes not attached to a coding", f"{note.get('name') or guid!r} "
                           f"(on {holders.get(guid, 'nothing: a free memo')})")
        for sel in _kids(note, "PlainTextSelection"):
            rd.skipped.add("selections inside notes", sel.get("guid", ""))
