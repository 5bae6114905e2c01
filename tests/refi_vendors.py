"""Synthetic .qdpx files written the way NVivo for Windows, NVivo for Mac, ATLAS.ti 26 and MAXQDA write them.

Each builder takes LF text and coded spans given as code-point offsets into
that text (what qdakit stores) and writes the file with the vendor's quirks:

============== ============ ========= ===== ==================================================
style          .qde name    sources/  BOM   line ends and positions
============== ============ ========= ===== ==================================================
nvivo-windows  project.qde  Sources/  yes   CRLF; UTF-16 units, \\r\\n counted as two
nvivo-mac      project.qde  sources/  no    LF; code points; a ``sources/.root`` file
atlas-26       Trial.qde    sources/  no    CRLF; code points, \\r\\n counted as one;
                                            memos as <Description>, zero-length selections,
                                            absolute basePath, no colours, fresh ids
maxqda         project.qde  sources/  yes   CRLF; code points, \\r\\n counted as one
============== ============ ========= ===== ==================================================

The texts are our own, with accents, emoji (one with a skin-tone modifier,
one with a variation selector), CJK and smart quotes.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

TURNS = [
    ("Interviewer", "Comment ça s’est passé, la première réunion ?"),
    ("Zsófia", "Őszintén szólva 😀 nagyon jó volt — everyone “turned up”, even the café owner."),
    ("Interviewer", "And the funding?"),
    ("Zsófia", "资金减少了 💸 last year; 我们每周开会 to plan.\nThen we wrote to the council 🏛️ again."),
    ("Interviewer", "Anything else? 👍🏽"),
    ("Zsófia", "Naïve hopes, perhaps. Trust grew slowly 🌱 over the year."),
]
TEXT = "\n\n".join(f"{s}: {t}" for s, t in TURNS) + "\n"

#: (quote, code, coder): each quote occurs once in TEXT
SPANS = [
    ("Őszintén szólva 😀 nagyon jó volt", "Positive", "Anna"),
    ("everyone “turned up”", "Participation", "Anna"),
    ("资金减少了 💸 last year", "Funding", "Béla"),
    ("我们每周开会", "Meetings", "Anna"),
    ("Then we wrote to the council 🏛️ again.", "Partners", "Béla"),
    ("Trust grew slowly 🌱", "Trust", "Anna"),
    ("Naïve hopes", "Positive", "Béla"),
]
CODES = {"Positive": None, "Participation": None, "Funding": None, "Meetings": "Participation",
         "Partners": None, "Trust": "Positive"}


def spans_in(text: str = TEXT, spans=SPANS) -> list[tuple[int, int, str, str]]:
    """(start, end, code, coder) in code points of the LF text."""
    out = []
    for quote, code, coder in spans:
        assert text.count(quote) == 1, quote
        s = text.index(quote)
        out.append((s, s + len(quote), code, coder))
    return out


@dataclass
class Style:
    qde: str = "project.qde"
    folder: str = "sources"
    bom: bool = False
    crlf: bool = False
    unit: str = "codepoints"  # or "utf16"
    crlf_as_two: bool = False
    origin: str = "qdakit test"
    root_file: bool = False
    memos_as_description: bool = False
    zero_length: bool = False
    base_path: str = ""
    colours: bool = True
    upper_guids: bool = False
    extra_members: dict[str, bytes] = field(default_factory=dict)


STYLES = {
    "nvivo-windows": Style(folder="Sources", bom=True, crlf=True, unit="utf16", crlf_as_two=True,
                           origin="NVivo 12 Plus (12.6.1.970) Windows", upper_guids=True),
    "nvivo-mac": Style(origin="NVivo for Mac 12.6", root_file=True),
    "atlas-26": Style(qde="Trial.qde", crlf=True, origin="ATLAS.ti Mac 26.0.1 (4455)", memos_as_description=True,
                      zero_length=True, base_path="/Users/zsofia.kovacs/Documents/ATLAS.ti/Trial", colours=False),
    "maxqda": Style(bom=True, crlf=True, origin="MAXQDA 2022 (Release 22.7.0)"),
}
#: the offset scheme each style writes (qdakit.io.refi offsets names)
SCHEME_OF = {"nvivo-windows": "utf16", "nvivo-mac": "codepoints", "atlas-26": "codepoints-lf",
             "maxqda": "codepoints-lf"}


def vendor_position(lf_text: str, pos: int, style: Style) -> int:
    """Where ``pos`` (code points of the LF text) is in the vendor's count."""
    prefix = lf_text[:pos]
    if style.crlf and style.crlf_as_two:
        prefix = prefix.replace("\n", "\r\n")
    return len(prefix.encode("utf-16-le")) // 2 if style.unit == "utf16" else len(prefix)


def _guid(style: Style) -> str:
    g = str(uuid.uuid4())
    return g.upper() if style.upper_guids else g


def write_vendor_qdpx(path: Path, style_name: str | Style, docs: list[tuple[str, str, list[tuple[int, int, str, str]]]]
                      | None = None, memos: dict[int, str] | None = None) -> Path:
    """Write a .qdpx in ``style_name`` holding ``docs`` (name, LF text, spans).

    ``memos`` maps a span's index (in the first document) to its memo text.
    """
    style = STYLES[style_name] if isinstance(style_name, str) else style_name
    docs = docs if docs is not None else [("Interview Zsófia", TEXT, spans_in())]
    memos = memos if memos is not None else {0: "Said with a laugh 😀", 3: "每周 = every week"}
    users = {coder: _guid(style) for _, _, spans in docs for *_, coder in spans}
    code_guid = {name: _guid(style) for name in CODES}
    notes, members = [], {}

    def code_xml(parent: str | None) -> str:
        out = ""
        for name, p in CODES.items():
            if p == parent:
                colour = ' color="#1b9e77"' if style.colours else ""
                out += (f'<Code guid="{code_guid[name]}" name={quoteattr(name)} isCodable="true"{colour}>'
                        f"{code_xml(name)}</Code>")
        return out

    sources = ""
    for d, (name, lf_text, spans) in enumerate(docs):
        sguid = _guid(style)
        stored = lf_text.replace("\n", "\r\n") if style.crlf else lf_text
        members[f"{style.folder}/{sguid}.txt"] = (b"\xef\xbb\xbf" if style.bom else b"") + stored.encode("utf-8")
        sels = ""
        for i, (s, e, code, coder) in enumerate(spans):
            a, b = vendor_position(lf_text, s, style), vendor_position(lf_text, e, style)
            memo = memos.get(i) if d == 0 else None
            desc, ref = "", ""
            if memo and style.memos_as_description:
                desc = f"<Description>{escape(memo)}</Description>"
            elif memo:
                nguid = _guid(style)
                notes.append(f'<Note guid="{nguid}" name="memo" creatingUser="{users[coder]}" '
                             f'creationDateTime="2024-05-01T10:00:00Z"><PlainTextContent>{escape(memo)}'
                             "</PlainTextContent></Note>")
                ref = f'<NoteRef targetGUID="{nguid}"/>'
            sels += (f'<PlainTextSelection guid="{_guid(style)}" name={quoteattr(lf_text[s:e][:30])} '
                     f'startPosition="{a}" endPosition="{b}" creatingUser="{users[coder]}">{desc}'
                     f'<Coding guid="{_guid(style)}" creatingUser="{users[coder]}">'
                     f'<CodeRef targetGUID="{code_guid[code]}"/>{ref}</Coding></PlainTextSelection>')
        if style.zero_length and spans:
            at = vendor_position(lf_text, spans[0][1], style)
            sels += (f'<PlainTextSelection guid="{_guid(style)}" name="" startPosition="{at}" endPosition="{at}">'
                     "<Description>Check this passage again</Description>"
                     f'<Coding guid="{_guid(style)}"><CodeRef targetGUID="{code_guid["Trust"]}"/></Coding>'
                     "</PlainTextSelection>")
        doc_desc = "<Description>Interviewed at the café</Description>" if style.memos_as_description else ""
        sources += (f'<TextSource guid="{sguid}" name={quoteattr(name)} plainTextPath="internal://{sguid}.txt">'
                    f"{doc_desc}{sels}</TextSource>")
    user_xml = "".join(f'<User guid="{g}" name={quoteattr(n)}/>' for n, g in users.items())
    base = f" basePath={quoteattr(style.base_path)}" if style.base_path else ""
    qde = ('<?xml version="1.0" encoding="utf-8"?>\r\n' if style.crlf else '<?xml version="1.0" encoding="utf-8"?>\n')
    qde += (f'<Project xmlns="urn:QDA-XML:project:1.0" name="Trial" origin={quoteattr(style.origin)}{base}>'
            f"<Users>{user_xml}</Users><CodeBook><Codes>{code_xml(None)}</Codes></CodeBook>"
            f"<Sources>{sources}</Sources>" + (f"<Notes>{''.join(notes)}</Notes>" if notes else "") + "</Project>")
    data = (b"\xef\xbb\xbf" if style.bom else b"") + qde.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(style.qde, data)
        if style.root_file:
            z.writestr(f"{style.folder}/.root", b"")
        for name, blob in {**members, **style.extra_members}.items():
            z.writestr(name, blob)
    return path
