"""What the REFI-QDA reader and writer share: safe XML parsing, the archive checks, code
elements (read and written, with inclusion/exclusion/examples kept in the ``Description``),
guids and atomic writes.
"""

from __future__ import annotations

import codecs
import importlib.metadata
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from qdakit.errors import CodebookError, ImportFormatError
from qdakit.io.limits import check_depth, limit, over
from qdakit.io.output import atomic_write
from qdakit.io.textclean import clean_code, looks_like_utf16, sanitise, strip_control_characters
from qdakit.model import Code, Codebook

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
_SECTION = re.compile(r"(?:^|\n\n)(Inclusion|Exclusion|Example): ")
_NAMESPACE = uuid.UUID("5b0e4f55-7d1c-4c53-9a43-6f1d2f0f6a1e")  # qdakit's namespace for derived guids
_GUID = re.compile(r"^(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
                   r"|\{[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\})$")
_RGB = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- reading XML ----------------------------------------------------------------------------
def _local(elem: Element) -> str:
    return elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""


def _kids(elem: Element | None, name: str) -> list[Element]:
    return [] if elem is None else [c for c in elem if _local(c) == name]


def _kid(elem: Element | None, name: str) -> Element | None:
    found = _kids(elem, name)
    return found[0] if found else None


def _text_of(elem: Element | None) -> str:
    return "" if elem is None else "".join(elem.itertext())


_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_EXPAT_READS = {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}


def _as_expat_reads(data: bytes, where: str) -> bytes:
    """The XML re-encoded as UTF-8 when it declares an encoding expat cannot read (Shift_JIS, GB18030 ...).

    An unknown encoding, or UTF-7 (which can hide markup), is refused with a line saying so.
    """
    m = _DECLARED.match(data)
    if m is None or m.group(1).decode("ascii", "replace").strip().lower() in _EXPAT_READS:
        return data
    declared = m.group(1).decode("ascii", "replace").strip()
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        codec = ""
    if not codec or codec == "utf-7" or codec.startswith(("utf_32", "utf-32")):
        raise ImportFormatError(f"{where}: the XML declares the encoding {declared!r}, which qdakit does not read"
                                f"{' (it can hide markup)' if codec == 'utf-7' else ''}; REFI-QDA files are "
                                "UTF-8: export the file again, or save it as UTF-8 in a text editor.")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{where}: not readable in the encoding it declares, {declared!r} (byte "
                                f"{data[exc.start]:#04x} at offset {exc.start}); save it as UTF-8.") from None
    text = re.sub(r"""(encoding\s*=\s*)["'][^"']*["']""", r'\1"utf-8"', text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8")


def _parse_xml(data: bytes, where: str) -> Element:
    if data.count(b"<") > limit("MAX_XML_ELEMENTS"):
        raise over("MAX_XML_ELEMENTS", where, f"{data.count(b'<'):,} XML tags")
    data = _as_expat_reads(data, where)
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ImportFormatError(f"{where}: refused unsafe XML ({type(exc).__name__}: DTDs and entities "
                                "are not allowed in REFI-QDA files)") from None
    except ParseError as exc:
        line, col = exc.position
        raise ImportFormatError(f"{where}, line {line}, column {col}: not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # an encoding expat refuses after all
        raise ImportFormatError(f"{where}: cannot read the XML ({exc}); REFI-QDA files are UTF-8: export the "
                                "file again, or save it as UTF-8.") from None




# -- the .qdpx archive ---------------------------------------------------------------------
def _unsafe_member(name: str) -> bool:
    n = name.replace("\\", "/")
    return n.startswith("/") or bool(re.match(r"^[A-Za-z]:", n)) or ".." in n.split("/") or "\x00" in n


class _Archive:
    """A .qdpx opened for reading, with path and size checks."""

    def __init__(self, path: Path, max_total: int, max_member: int) -> None:
        self.path, self.max_total, self.max_member, self.read_bytes = path, max_total, max_member, 0
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise ImportFormatError(f"{path}: file not found") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportFormatError(f"{path}: not a REFI-QDA project ({exc}); a .qdpx file is a zip "
                                    "archive with project.qde and sources/") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            if _unsafe_member(info.filename):
                raise ImportFormatError(
                    f"{path}: archive member {info.filename!r} has an absolute path or '..', which would "
                    "point outside the archive; refusing to read this file. Re-export it from its tool.")
            if not info.is_dir():
                self.members[info.filename.replace("\\", "/")] = info
        self.sources: dict[str, list[str]] = {}  # file name, lowercased -> members of sources/ in any case
        for member in self.members:
            folder, _, file = member.partition("/")
            if folder.lower() == "sources" and file and "/" not in file:
                self.sources.setdefault(file.lower(), []).append(member)

    def qde_name(self) -> str:
        """The one ``*.qde`` at the top of the archive, whatever its name (ATLAS.ti 26: ``Trial.qde``)."""
        found = sorted(n for n in self.members if "/" not in n and n.lower().endswith(".qde"))
        if len(found) != 1:
            what = (f"{len(found)} project files at its top ({', '.join(found)}); keep one"
                    if found else f"no project file (*.qde) at its top (members: "
                    f"{', '.join(sorted(self.members)[:10])}{', ...' if len(self.members) > 10 else ''})")
            raise ImportFormatError(f"{self.path}: a REFI-QDA .qdpx holds exactly one *.qde next to sources/, "
                                    f"this one has {what}. Re-export the project from its tool.")
        return found[0]

    def read(self, name: str, where: str, cap: str | None = None) -> bytes:
        """A member's bytes, decompressed under the archive's caps and, with ``cap``, under that limit's."""
        info = self.members.get(name)
        if info is None:
            raise ImportFormatError(f"{where}: file {name!r} is missing from {self.path}. The project "
                                    "refers to a source that was not exported; export it again with its sources.")
        if cap is not None:
            capped = limit(cap) * 1_000_000
            if info.file_size > capped:  # declared size; the real one is checked while reading, below
                raise over(cap, f"{where} ({name})", f"it declares {info.file_size / 1e6:,.1f} MB uncompressed")
            data = self._read(info, name, where, capped)
            if len(data) > capped:
                raise over(cap, f"{where} ({name})", f"it expands to more than {capped / 1e6:,.0f} MB")
            return data
        return self._read(info, name, where, None)

    def _read(self, info: zipfile.ZipInfo, name: str, where: str, cap: int | None) -> bytes:
        room = min(self.max_member, self.max_total - self.read_bytes)
        most = room if cap is None else min(room, cap)
        if info.file_size > room:
            raise ImportFormatError(f"{where}: {name} is {info.file_size} bytes uncompressed, over the limit "
                                    f"({self.max_member} per file, {self.max_total} in all); raise "
                                    "max_member_bytes / max_total_bytes if the file is trusted.")
        try:
            with self.zip.open(info) as f:
                data = f.read(most + 1)  # never more than one byte past the cap, whatever the header says
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError) as exc:
            raise ImportFormatError(f"{where}: cannot read {name} from {self.path} ({exc})") from None
        if len(data) > room:
            raise ImportFormatError(f"{where}: {name} expands beyond the size limit ({room} bytes); "
                                    "refusing a possible zip bomb.")
        self.read_bytes += len(data)
        return data

    def member_for(self, ref: str, where: str) -> str:
        """The archive member of a ``plainTextPath`` (``internal://x.txt`` or a bare file name).

        The folder is matched case-insensitively (NVivo for Windows writes
        ``Sources/``), and so is the file name when no member has it exactly.
        """
        if ref.startswith(("relative://", "absolute://")):
            raise ImportFormatError(f"{where}: its text is an external file ({ref}); qdakit reads only "
                                    "sources embedded in the .qdpx. Export the project with sources included.")
        name = ref[len("internal://"):] if ref.startswith("internal://") else ref
        name = name.lstrip("/")
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise ImportFormatError(f"{where}: source path {ref!r} is not a file name inside sources/")
        candidates = self.sources.get(name.lower(), [])
        loose = [m for m in candidates if m.split("/", 1)[1] == name] or candidates
        if len(loose) == 1:
            return loose[0]
        if len(loose) > 1:
            raise ImportFormatError(f"{where}: source {name!r} matches {len(loose)} members that differ only in "
                                    f"case ({', '.join(sorted(loose))}); keep one and import again")
        return f"sources/{name}"

    def text(self, ref: str, where: str) -> str:
        data = self.read(self.member_for(ref, where), where, cap="MAX_SOURCE_MB")
        try:  # UTF-8 as the standard says (a leading BOM, as NVivo for Windows and MAXQDA write, is dropped),
            # or UTF-16 saved without a BOM (NULs between the letters)
            text = data.decode(looks_like_utf16(data) or "utf-8-sig").lstrip("\ufeff")
            return strip_control_characters(text, f"{where} ({ref})", keep_offsets=True)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{where}: {ref} is not UTF-8 (byte {data[exc.start]:#04x} at "
                                    f"offset {exc.start}); REFI-QDA plain text must be UTF-8") from None


# -- codebooks ---------------------------------------------------------------------------
def _split_description(text: str) -> dict[str, Any]:
    parts = _SECTION.split(text.replace("\r\n", "\n"))
    out: dict[str, Any] = {"description": parts[0].strip(), "inclusion": "", "exclusion": "", "examples": []}
    for label, body in zip(parts[1::2], parts[2::2], strict=False):
        if label == "Example":
            out["examples"].append(body.strip())
        else:
            out[label.lower()] = body.strip()
    return out


def _read_codes(codes_elem: Element | None, where: str, renamed: list[str]) -> tuple[list[Code], dict[str, str]]:
    """Codes in depth-first order and a guid -> (unique) name map."""
    codes: list[Code] = []
    by_guid: dict[str, str] = {}
    taken: set[str] = set()

    def walk(elem: Element, parent: str | None, path: tuple[str, ...]) -> None:
        check_depth(len(path) + 1, where)
        for el in _kids(elem, "Code"):
            guid = (el.get("guid") or "").strip()
            raw = sanitise(el.get("name") or "", f"{where}, code {guid}", line=False).strip()
            if not guid:
                raise CodebookError(f"{where}: code {raw!r} has no guid; every REFI-QDA code needs one")
            if guid.lower() in (g.lower() for g in by_guid):
                raise CodebookError(f"{where}: two codes share the guid {guid} (second: {raw!r}); "
                                    "code guids must be unique")
            if not raw:
                raise CodebookError(f"{where}: code {guid} has an empty name; give it a name in its tool")
            name = raw
            for depth in range(1, len(path) + 1):
                if name.casefold() not in taken:
                    break
                name = f"{raw} ({'/'.join(path[-depth:])})"
            n = 2
            while name.casefold() in taken:
                name, n = f"{raw} ({n})", n + 1
            if name != raw:
                renamed.append(f"{raw!r} under {'/'.join(path) or 'the root'} ({guid}) -> {name!r}")
            taken.add(name.casefold())
            desc = _split_description(_text_of(_kid(el, "Description")))
            colour = el.get("color") or None
            code = clean_code(Code(name, parent, desc["description"], desc["inclusion"], desc["exclusion"],
                                   tuple(desc["examples"]), colour, guid), where)
            name = code.name
            codes.append(code)
            by_guid[guid] = name
            walk(el, name, (*path, raw))

    if codes_elem is not None:
        walk(codes_elem, None, ())
    return codes, by_guid


# -- writing XML ----------------------------------------------------------------------------
def _origin() -> str:
    try:
        return f"qdakit {importlib.metadata.version('qdakit')}"
    except importlib.metadata.PackageNotFoundError:
        return "qdakit"


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(map(str, parts))))


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value.replace("\r\n", "\n"))


def _el(parent: ET.Element | None, tag: str, attrs: dict[str, Any] | None = None,
        text: str | None = None) -> ET.Element:
    clean = {k: _clean(str(v)) for k, v in (attrs or {}).items() if v is not None}
    el = ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)
    if text is not None:
        el.text = _clean(text)
    return el



def _atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file through a temporary file in the same folder, renamed into place, with the umask's mode."""
    atomic_write(path, write)


def _description(code: Any) -> str:
    parts = [code.description.strip()] if code.description.strip() else []
    parts += [f"{label}: {value.strip()}" for label, value in
              (("Inclusion", code.inclusion), ("Exclusion", code.exclusion)) if value.strip()]
    parts += [f"Example: {e.strip()}" for e in code.examples if e.strip()]
    return "\n\n".join(parts)


def _code_guids(codebook: Codebook) -> dict[str, str]:
    return {c.name: c.guid if _GUID.match(c.guid) else _guid("code", c.guid) for c in codebook}


def _codes(parent: ET.Element, codebook: Codebook, guids: dict[str, str]) -> None:
    def add(holder: ET.Element, name: str | None) -> None:
        for c in codebook.children(name):
            attrs = {"guid": guids[c.name], "name": c.name, "isCodable": "true"}
            if c.colour and _RGB.match(c.colour.strip()):
                attrs["color"] = c.colour.strip()
            el = _el(holder, "Code", attrs)
            if desc := _description(c):
                _el(el, "Description", text=desc)
            add(el, c.name)

    add(_el(parent, "Codes"), None)


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
