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
  text, a leading BOM dropped and ``\\r\\n`` (or a lone ``\\r``) made ``\\n``.
  It is segmented like a ``.txt`` file: speaker turns if it has labels, else
  paragraphs. Its ``Description`` and notes are listed in the report.
* Selection positions: the standard counts code points of the file; NVivo for
  Windows counts UTF-16 units with ``\\r\\n`` as two, ATLAS.ti and MAXQDA count
  ``\\r\\n`` as one. :mod:`qdakit.io.refi.offsets` finds the scheme per source
  from how well the selections line up with word boundaries, and the import
  is refused when none does (:attr:`RefiImportReport.offsets` holds the
  scheme and its alignment share).
* ``PlainTextSelection`` (end exclusive) with its ``Coding``
  elements -> one :class:`~qdakit.model.Coding` per code on every segment the
  selection overlaps, its span clipped to that segment; the coder is the
  coding's ``creatingUser`` (else the selection's).
* ``NoteRef`` on a coding or its selection, and the selection's
  ``Description`` (how ATLAS.ti writes a quotation's comment) -> the coding's
  memo. A zero-length selection covers no text: it is listed in
  :attr:`RefiImportReport.zero_length` with its codes and memo.
* ``Cases``/``Variables`` -> attributes: a case linked to selections
  (``SelectionRef``, as qdakit and tools that code cases on text write it) is
  the participant who speaks in the segments those selections overlap, with
  the case's values as their attributes, and its ``SourceRef`` to those
  sources add nothing more; a case linked to a source in which its
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
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from qdakit.errors import CodingError, ImportFormatError
from qdakit.io.base import ParsedTranscript
from qdakit.io.limits import limit, over
from qdakit.io.refi.cases import _cases, _values
from qdakit.io.refi.codechanges import code_changes, refuse_unaccepted
from qdakit.io.refi.common import _Archive, _guid, _kid, _kids, _local, _parse_xml, _read_codes, _text_of
from qdakit.io.refi.offsets import (
    SCHEMES,
    OffsetScheme,
    SchemeFit,
    choose_scheme,
    fit_schemes,
    pooled_scheme,
    scheme_for_origin,
)
from qdakit.io.refi.report import RefiImportReport, _Skipped
from qdakit.io.segment import SegmentBy, segment, slugify
from qdakit.io.text import parse_text
from qdakit.model import Codebook, Coding, Segment, Transcript, utcnow
from qdakit.project import Project

__all__ = ["import_qdpx", "RefiImportReport", "MAX_TOTAL_BYTES", "MAX_MEMBER_BYTES"]

#: default cap on the uncompressed bytes read from one archive
MAX_TOTAL_BYTES = 500_000_000
#: default cap on the uncompressed size of one member that is read
MAX_MEMBER_BYTES = 200_000_000


#: a position no text reaches (and below 2**63, which NumPy arrays of offsets cannot hold)
_MAX_POSITION = 2**53


def _position(raw: str | None, name: str, where: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise ImportFormatError(f"{where}: attribute {name}={raw!r} is not an integer") from None
    if abs(value) >= _MAX_POSITION:
        raise ImportFormatError(f"{where}: {name}={value} is far beyond the end of any text; the file is "
                                "damaged or was not written by a QDA program. Export it again.")
    return value


def _int_attr(elem: Element, name: str, where: str) -> int:
    return _position(elem.get(name), name, where)


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
        # the separate user under which qdakit exports pending machine suggestions (its guid is derived
        # from its name): those are suggestions, and only a named human's accept makes them codings
        self.machine_users = {g for g, name in self.users.items() if g == _guid("user", "suggestions", name)}

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
            if len(raw) > limit("MAX_SOURCE_MB") * 1_000_000:
                raise over("MAX_SOURCE_MB", where, f"its PlainTextContent holds {len(raw) / 1e6:,.0f} M characters")
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
            twhere = f"{where}: TranscriptSelection {sel.get('guid')}"
            sels.append(_Selection(sel.get("guid", ""), _position(a, "fromSyncPoint position", twhere),
                                   _position(b, "toSyncPoint position", twhere), sel, sel.get("creatingUser")))
        return _TextSource(guid, {guid, outer.get("guid", "")}, name, outer, raw, sels,
                           elem.get("creatingUser") or outer.get("creatingUser"))


def _source_name(src: Element) -> str:
    """The source's name, else its file's stem (``board_2017.txt`` -> ``board_2017``), else its guid."""
    ref = src.get("plainTextPath") or src.get("path") or src.get("richTextPath") or ""
    stem = Path(ref.split("://")[-1]).stem if ref else ""
    return (src.get("name") or "").strip() or stem or src.get("guid", "")


def _parse_string(text: str, name: str, source: str) -> ParsedTranscript:
    """Parse text like a .txt transcript (speaker labels, else paragraphs) without changing it."""
    return parse_text(text, name, source=source)


def import_qdpx(
    project: Project,
    path: str | Path,
    *,
    segment_by: SegmentBy = "turn",
    offsets: str = "auto",
    accept_renames: bool = False,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> RefiImportReport:
    """Import a REFI-QDA project (``.qdpx``) into ``project``, all or nothing.

    Parameters
    ----------
    project : Project
    path : the ``.qdpx`` file
    segment_by : ``"turn"`` (speaker turns, default) or ``"paragraph"``
    offsets : how selection positions are counted: ``"auto"`` (default) finds it per
        source and refuses the file when no scheme aligns with the text; or force one of
        ``"codepoints"`` (the standard), ``"codepoints-lf"`` (ATLAS.ti, MAXQDA: ``\\r\\n`` as one),
        ``"utf16"`` (NVivo for Windows: UTF-16 units, ``\\r\\n`` as two), ``"utf16-lf"``
    accept_renames : apply a rename or new definition of a code that human codings
        use (the codes are matched by guid, then name); by default such an import is
        refused, and every change is listed in the report either way
    max_total_bytes, max_member_bytes : caps on the uncompressed bytes read

    Returns
    -------
    RefiImportReport
        Counts, the offset scheme of each source with its alignment share,
        renamed codes, and what could not be carried over.

    Raises
    ------
    ImportFormatError
        Not a zip, unsafe member path or XML, not exactly one ``*.qde``, over a
        size cap, a missing source file, a selection outside its source under
        every scheme, selections that align with the text under no scheme, a
        dangling reference.
    CodebookError
        A code without guid or name, a repeated guid; a rename or new definition of
        a code that human codings use, unless ``accept_renames``.
    CodingError
        A coding whose ``CodeRef`` names no code.
    DuplicateTranscriptError
        A source whose name or text is already in the project.
    """
    p = Path(path)
    if offsets != "auto" and offsets not in SCHEMES:
        raise ImportFormatError(f"offsets={offsets!r} is not a scheme; use 'auto' or one of {', '.join(SCHEMES)}")
    archive = _Archive(p, max_total_bytes, max_member_bytes)
    qde = archive.qde_name()
    root = _parse_xml(archive.read(qde, f"{p}: {qde}"), f"{p}: {qde}")
    if _local(root) != "Project":
        raise ImportFormatError(f"{p}: {qde} has root <{_local(root)}>, not <Project>")
    report = RefiImportReport(str(p))
    rd = _ProjectReader(archive, root, report)
    codes, code_names = _read_codes(_kid(_kid(root, "CodeBook"), "Codes"), f"{p}: CodeBook", report.renamed_codes)
    changes = code_changes(project, codes)  # renames and new definitions of the project's codes: never silent
    refuse_unaccepted(changes, f"{p}: CodeBook", accept_renames)
    report.code_changes = [c.describe() for c in changes]
    sources = []
    for src in rd.text_sources():
        stored = src.raw[1:] if src.raw.startswith("\ufeff") else src.raw
        if not stored.strip():
            rd.skipped.add("empty sources (no text to code)", f"{src.name!r} ({src.guid})")
            for sel in src.selections:
                rd.skipped.add("selections in empty sources", sel.guid)
            continue
        positions = [x for sel in src.selections for x in (sel.start, sel.end)]
        fits, chance = fit_schemes(stored, positions)
        if offsets != "auto":
            fits = [f for f in fits if f.name == offsets]
        sources.append((src, stored, fits, chance))
    origin = scheme_for_origin(root.get("origin"))
    pooled = pooled_scheme([(f, c) for _, _, f, c in sources], origin) if offsets == "auto" else None
    order = [s for s in (offsets if offsets != "auto" else pooled, origin, "codepoints") if s]
    chosen = [_scheme(src, stored, fits, chance, order, pooled, offsets != "auto",
                      f"{p}: source {src.name!r} ({src.guid})") for src, stored, fits, chance in sources]
    refused = [(src, found) for (src, *_), (found, _) in zip(sources, chosen, strict=True) if not found.aligned]
    if refused and offsets == "auto":
        raise ImportFormatError(
            f"{p}: the selections of {len(refused)} source(s) do not line up with their text under any way of "
            "counting positions (code points or UTF-16 units, \\r\\n as one or two), so their codings would "
            "land in the wrong places; nothing was imported. "
            + "; ".join(f"{src.name!r}: best {found.describe()}" for src, found in refused[:5])
            + ". If you know how the exporting tool counts, force it with offsets='utf16' (or 'codepoints', "
            "'codepoints-lf', 'utf16-lf'; CLI: --refi-offsets); else re-export the project.")
    items: list[tuple[Transcript, list[Segment]]] = []
    codings: list[Coding] = []
    source_of: dict[str, tuple[Transcript, list[Segment]]] = {}
    selection_at: dict[str, tuple[str, int, int]] = {}  # selection guid -> (transcript id, start, end)
    names: set[str] = set()
    ids: set[str] = set()
    for (src, stored, _, _), (found, fit) in zip(sources, chosen, strict=True):
        where = f"{p}: source {src.name!r} ({src.guid})"
        text = stored.replace("\r\n", "\n").replace("\r", "\n")
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
        spans = [(int(a), int(b)) for a, b in zip(fit.index[0::2], fit.index[1::2], strict=True)]
        codings += _codings(rd, src, name, text, spans, segs, code_names, where)
        report.offsets[name] = found
        _source_memos(rd, src, name)
        items.append((transcript, segs))
        source_of.update({g: (transcript, segs) for g in src.refs if g})
        selection_at.update({sel.guid: (tid, a, b) for sel, (a, b) in zip(src.selections, spans, strict=True)})
    items, pattrs = _cases(rd, items, source_of, selection_at)
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


def _scheme(src: _TextSource, stored: str, fits: list[SchemeFit], chance: float, order: list[str],
            pooled: str | None, forced: bool, where: str) -> tuple[OffsetScheme, SchemeFit]:
    """The offset scheme of one source, or the error for a selection outside its text under every scheme."""
    found = choose_scheme(fits, chance, order, pooled)
    if found is None:
        units = len(stored.encode("utf-16-le")) // 2
        bad = next((s for s in src.selections if not 0 <= s.start <= s.end <= max(units, len(stored))),
                   src.selections[0])
        raise ImportFormatError(
            f"{where}: selection {bad.guid} spans {bad.start}:{bad.end}, outside its source (0:{len(stored)} "
            f"code points, 0:{units} UTF-16 units). The file is inconsistent; re-export it from its tool.")
    fit = next(f for f in fits if f.name == found.name)
    if forced:
        found = replace(found, aligned=True)  # the caller said how positions are counted
    return found, fit


def _code_ref(coding: Element) -> str:
    ref = _kid(coding, "CodeRef")
    return ref.get("targetGUID", "") if ref is not None else ""


def _source_memos(rd: _ProjectReader, src: _TextSource, name: str) -> None:
    desc = _text_of(_kid(src.element, "Description")).strip()
    notes = [rd.note_text(r.get("targetGUID", ""), f"{rd.where}: source {name!r}")
             for r in _kids(src.element, "NoteRef")]
    rd.report.source_memos += [f"{name!r}: {m!r}" for m in [desc, *notes] if m]


def _codings(rd: _ProjectReader, src: _TextSource, name: str, text: str, spans: list[tuple[int, int]],
             segs: list[Segment], code_names: dict[str, str], where: str) -> list[Coding]:
    starts = [s.start for s in segs]
    out: list[Coding] = []
    seen: set[tuple[Any, ...]] = set()
    for sel, (start, end) in zip(src.selections, spans, strict=True):
        swhere = f"{where}: selection {sel.guid}"
        if start > end:
            raise ImportFormatError(f"{swhere} ends ({sel.end}) before it starts ({sel.start}); the file is "
                                    "inconsistent; re-export it from its tool.")
        codings = _kids(sel.element, "Coding")
        memo = _text_of(_kid(sel.element, "Description")).strip()
        if start == end:
            refs = [code_names.get(_code_ref(c), "?") for c in codings]
            notes = [rd.note_text(r.get("targetGUID", ""), swhere) for r in _kids(sel.element, "NoteRef")]
            context = " ".join(text[max(0, start - 20):start + 20].split())
            rd.report.zero_length.append(
                f"{name!r} at {start} (...{context}...)" + (f", codes {', '.join(refs)}" if refs else "")
                + "".join(f", memo {m!r}" for m in [memo, *notes] if m))
            continue
        if not codings:
            for ref in _kids(sel.element, "NoteRef"):
                rd.skipped.add("notes on selections without codes", ref.get("targetGUID", ""))
            if memo:
                rd.skipped.add("memos on selections without codes", f"{memo[:40]!r} in {name!r}")
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
        memo_parts = [memo]
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
            user = c.get("creatingUser") or sel.user or src.user
            if user in rd.machine_users:
                rd.skipped.add("machine suggestions exported by qdakit (not imported as human codings)",
                               f"{code_names[target]} on {src.name!r}")
                continue
            coder = rd.coder(user)
            for s in hit:
                key = (s.id, code_names[target], coder, max(start, s.start), min(end, s.end))
                if key in seen:
                    continue
                seen.add(key)
                out.append(Coding(s.id, key[1], coder, key[3], key[4], memo, _when(c, sel.element)))
    return out


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
