"""REFI-QDA files as NVivo for Windows, NVivo for Mac, ATLAS.ti 26 and MAXQDA write them: lenient
reading, offset schemes found and proved, strict export, round trips."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdakit import ImportFormatError, Project
from qdakit.io.refi import export_qdpx, import_qdpx, read_qdc
from qdakit.io.refi.offsets import SCHEMES, OffsetMap, _binom_sf, choose_scheme, fit_schemes, pooled_scheme
from refi_vendors import SCHEME_OF, SPANS, STYLES, TEXT, Style, spans_in, vendor_position, write_vendor_qdpx
from support import SHARED_DATA

REFI = SHARED_DATA / "refi"
needs_refi = pytest.mark.skipif(not REFI.is_dir(), reason=f"REFI-QDA standard files not found at {REFI}")
NS = "{urn:QDA-XML:project:1.0}"
EXPECTED = sorted((quote, code, coder) for quote, code, coder in SPANS)


def quotes(p: Project) -> list[tuple[str, str, str]]:
    df = p.codings()
    return sorted((p.transcript(t).text[int(s):int(e)], c, who)
                  for t, s, e, c, who in zip(df["transcript_id"], df["start"], df["end"], df["code"], df["coder"], strict=False))


def spans_of(p: Project) -> list[tuple]:
    df = p.codings()
    return sorted(zip(df["transcript_id"], df["start"].astype(int), df["end"].astype(int), df["code"], df["coder"],
                      df["memo"], strict=False))


# -- each vendor's file imports with exact spans ----------------------------------------------
@pytest.mark.parametrize("style", list(STYLES))
def test_vendor_file_imports_every_span_exactly(tmp_path, new_project, style):
    f = write_vendor_qdpx(tmp_path / f"{style}.qdpx", style)
    p = new_project()
    report = import_qdpx(p, f)
    assert [t.text for t in p.iter_transcripts()] == [TEXT]  # BOM dropped, CRLF made LF
    assert quotes(p) == EXPECTED
    found = report.offsets["Interview Zsófia"]
    assert (found.name, found.share, found.aligned, found.positions) == (SCHEME_OF[style], 1.0, True, 14
                                                                         + 2 * (style == "atlas-26"))
    # the wrong schemes land mid-word far more often: the choice is proved, not assumed
    assert found.ambiguous and max(v for k, v in found.others.items() if k != "codepoints-lf" or
                                   SCHEME_OF[style] != "codepoints") < 0.7
    df = p.codings()
    memos = {TEXT[s:e]: m for s, e, m in zip(df["start"].astype(int), df["end"].astype(int), df["memo"], strict=False) if m}
    assert memos == {SPANS[0][0]: "Said with a laugh 😀", SPANS[3][0]: "每周 = every week"}
    line = next(x for x in report.lines() if x.startswith("source 'Interview Zsófia'"))
    assert f"offsets in {SCHEME_OF[style]}" in line and "100% of" in line


def test_nvivo_windows_quirks_are_in_the_file(tmp_path):
    f = write_vendor_qdpx(tmp_path / "n.qdpx", "nvivo-windows")
    with zipfile.ZipFile(f) as z:
        names = z.namelist()
        txt = z.read(next(n for n in names if n.endswith(".txt")))
        qde = z.read("project.qde")
    assert all(n == "project.qde" or n.startswith("Sources/") for n in names)
    assert txt.startswith(b"\xef\xbb\xbf") and b"\r\n" in txt and qde.startswith(b"\xef\xbb\xbf")
    # an emoji is two UTF-16 units, a line end two characters: the positions run past the code points
    assert vendor_position(TEXT, len(TEXT), STYLES["nvivo-windows"]) > len(TEXT.replace("\n", "\r\n"))


def test_atlas_26_quirks(tmp_path, new_project):
    f = write_vendor_qdpx(tmp_path / "a.qdpx", "atlas-26")
    with zipfile.ZipFile(f) as z:
        assert "Trial.qde" in z.namelist() and "project.qde" not in z.namelist()
        root = ET.fromstring(z.read("Trial.qde"))
    assert root.get("basePath").startswith("/Users/") and root.find(NS + "Notes") is None
    p = new_project()
    report = import_qdpx(p, f)
    # the zero-length selection is reported with its code and memo, never a crash nor a coding
    assert len(report.zero_length) == 1
    assert "codes Trust" in report.zero_length[0] and "'Check this passage again'" in report.zero_length[0]
    assert report.codings == len(SPANS) and quotes(p) == EXPECTED
    assert report.source_memos == ["'Interview Zsófia': 'Interviewed at the café'"]
    assert all(c.colour is None for c in p.codebook)  # ATLAS.ti drops colours
    assert any("zero-length selection" in x for x in report.lines())
    # ATLAS.ti gives everything new ids on each export: a second export brings the same codings
    again = new_project("again")
    import_qdpx(again, write_vendor_qdpx(tmp_path / "a2.qdpx", "atlas-26"))
    assert spans_of(again) == spans_of(p)
    assert {c.guid for c in again.codebook}.isdisjoint({c.guid for c in p.codebook})


def test_maxqda_one_document_per_respondent(tmp_path, new_project):
    """Survey data: many short documents with one or two selections each; the scheme is pooled."""
    answers = ["Sí, the café “was” great 😀\nand cheap.", "我们每周 meet 👍🏽\nat noon.", "Naïve, perhaps 🌱\nbut kind.",
               "Ok 💸\nfunding cut.", "Zsófia said yes 🏛️\ntwice."] * 3
    docs = []
    for i, a in enumerate(answers):
        a = f"{i}. {a}"  # every respondent's answer differs
        word = re.findall(r"\w+", a.split("\n")[1])[0]
        s = a.index(word)
        docs.append((f"R{i:02d}", a, [(s, s + len(word), "Funding", "Anna")]))
    f = write_vendor_qdpx(tmp_path / "m.qdpx", "maxqda", docs, memos={})
    p = new_project()
    report = import_qdpx(p, f)
    assert {s.name for s in report.offsets.values()} == {"codepoints-lf"}
    assert [q for q, _, _ in quotes(p)] == sorted(re.findall(r"\w+", a.split("\n")[1])[0] for a in answers)
    assert all(found.share == 1.0 and found.positions == 2 for found in report.offsets.values())


# -- the four schemes, each proved on text with emoji, CJK, accents and CRLF -------------------
SCHEME_STYLES = {"codepoints": Style(crlf=True, crlf_as_two=True), "codepoints-lf": Style(crlf=True),
                 "utf16": Style(crlf=True, unit="utf16", crlf_as_two=True), "utf16-lf": Style(crlf=True, unit="utf16")}


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_each_scheme_is_found(tmp_path, new_project, scheme):
    p = new_project()
    report = import_qdpx(p, write_vendor_qdpx(tmp_path / "s.qdpx", SCHEME_STYLES[scheme]))
    assert report.offsets["Interview Zsófia"].name == scheme and quotes(p) == EXPECTED


def test_evidence_beats_the_origin(tmp_path, new_project):
    """A file that says it is from NVivo for Windows but counts code points is read by its evidence."""
    style = Style(crlf=True, origin="NVivo 12 Plus (12.6.1.970) Windows")
    p = new_project()
    report = import_qdpx(p, write_vendor_qdpx(tmp_path / "o.qdpx", style))
    assert report.offsets["Interview Zsófia"].name == "codepoints-lf" and quotes(p) == EXPECTED


def test_refused_when_no_scheme_aligns_and_nothing_is_imported(tmp_path, new_project):
    spans = [(s + 2, e + 1, code, who) for s, e, code, who in spans_in()]  # every span starts mid-word
    f = write_vendor_qdpx(tmp_path / "x.qdpx", "nvivo-mac", [("Shifted", TEXT, spans)], memos={})
    p = new_project()
    with pytest.raises(ImportFormatError, match=r"do not line up .* nothing was imported.*'Shifted': best offsets"):
        import_qdpx(p, f)
    assert p.summary()["transcripts"] == p.summary()["codings"] == 0
    report = import_qdpx(p, f, offsets="codepoints")  # the caller may force a scheme, and sees the share
    forced = report.offsets["Shifted"]
    assert forced.aligned and forced.share < 0.7 and report.codings == len(spans)
    with pytest.raises(ImportFormatError, match="offsets='bytes' is not a scheme"):
        import_qdpx(p, f, offsets="bytes")


def test_positions_past_the_text_under_every_scheme(tmp_path, new_project):
    f = write_vendor_qdpx(tmp_path / "x.qdpx", "nvivo-mac", [("Long", TEXT, [(0, 4, "Trust", "Anna")])], memos={})
    with zipfile.ZipFile(f) as z:
        members = {n: z.read(n) for n in z.namelist()}
    qde = members["project.qde"].decode("utf-8").replace('endPosition="4"', 'endPosition="9999"')
    with zipfile.ZipFile(f, "w") as z:
        for n, data in members.items():
            z.writestr(n, qde if n == "project.qde" else data)
    with pytest.raises(ImportFormatError, match=r"spans 0:9999, outside its source \(0:\d+ code points, 0:\d+ UTF-16"):
        import_qdpx(new_project(), f)


def test_offset_map_flags_split_characters():
    stored = "a😀\r\nb"
    idx, inside, exact = OffsetMap(stored, "utf16").map(np.array([0, 1, 2, 3, 4, 5, 6, 7]))
    assert inside.tolist() == [True] * 7 + [False]
    assert exact[:7].tolist() == [True, True, False, True, False, True, True]  # inside the emoji, inside \r\n
    assert idx[:7].tolist() == [0, 1, 2, 2, 2, 3, 4]  # code points of the LF text "a😀\nb"
    assert abs(_binom_sf(3, 4, 0.5) - 5 / 16) < 1e-12 and _binom_sf(0, 4, 0.3) == 1.0


WORDS = ["trust", "café", "naïve", "Zsófia", "我们", "开会", "😀", "👍🏽", "🏛️", "“yes”", "no,", "ok."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=30, max_size=120), st.sampled_from(list(SCHEMES)),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 6)), min_size=8, max_size=30), st.data())
def test_word_aligned_spans_are_found_under_every_scheme(words, scheme, picks, data):
    """Hypothesis: any text of these words in lines, any word-aligned spans, any scheme: exact positions back."""
    breaks = data.draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    lf = "".join(w + ("\n" if b else " ") for w, b in zip(words, breaks, strict=False))
    bounds = [(m.start(), m.end()) for m in re.finditer(r"\S+", lf)]
    truth = []
    for i, n in picks:
        a = i % len(bounds)
        truth += [bounds[a][0], bounds[min(a + n, len(bounds) - 1)][1]]
    style = SCHEME_STYLES[scheme]
    stored = lf.replace("\n", "\r\n")
    positions = [vendor_position(lf, x, style) for x in truth]
    fits, chance = fit_schemes(stored, positions)
    pooled = pooled_scheme([(fits, chance)], "codepoints")
    found = choose_scheme(fits, chance, [s for s in (pooled, "codepoints") if s], pooled)
    assert found is not None and found.aligned and found.share == 1.0
    chosen = next(f for f in fits if f.name == found.name)
    assert chosen.index.tolist() == truth  # the scheme found, or one that agrees with it everywhere


# -- lenient archive reading ----------------------------------------------------------------------
def _rezip(src: Path, dst: Path, rename: dict[str, str] | None = None, add: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in members.items():
            z.writestr((rename or {}).get(n, n), data)
        for n, data in (add or {}).items():
            z.writestr(n, data)
    return dst


def test_one_qde_whatever_its_name_else_a_clear_error(tmp_path, new_project):
    f = write_vendor_qdpx(tmp_path / "a.qdpx", "atlas-26")
    p = new_project()
    two = _rezip(f, tmp_path / "two.qdpx", add={"Other.QDE": b"<Project/>"})
    with pytest.raises(ImportFormatError, match=r"exactly one \*\.qde .* 2 project files at its top "
                                                r"\(Other\.QDE, Trial\.qde\); keep one"):
        import_qdpx(p, two)
    none = _rezip(f, tmp_path / "none.qdpx", rename={"Trial.qde": "sources/Trial.qde"})
    with pytest.raises(ImportFormatError, match=r"no project file \(\*\.qde\) at its top \(members: "):
        import_qdpx(p, none)
    assert p.summary()["transcripts"] == 0
    assert import_qdpx(p, f).codings == len(SPANS)


def test_sources_folder_in_any_case_with_or_without_root(tmp_path, new_project):
    f = write_vendor_qdpx(tmp_path / "m.qdpx", "nvivo-mac")
    with zipfile.ZipFile(f) as z:
        assert "sources/.root" in z.namelist()
        txt = next(n for n in z.namelist() if n.endswith(".txt"))
    upper = _rezip(f, tmp_path / "u.qdpx", rename={txt: "SOURCES/" + txt.split("/")[1].upper(),
                                                      "sources/.root": "SOURCES/.root"})
    for archive in (f, upper):
        p = new_project(archive.stem)
        import_qdpx(p, archive)
        assert quotes(p) == EXPECTED
    name = txt.split("/")[1]
    both = _rezip(f, tmp_path / "both.qdpx", rename={txt: "sources/" + name.upper()},
                  add={"Sources/" + name.upper().replace(".TXT", ".txt"): b"other"})
    with pytest.raises(ImportFormatError, match=r"matches 2 members that differ only in case"):
        import_qdpx(new_project("both"), both)


@pytest.mark.parametrize("ns", ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4"])
def test_codebook_namespace_variants(tmp_path, ns):
    f = tmp_path / "cb.qdc"
    f.write_bytes(("\ufeff" + f'<?xml version="1.0" encoding="utf-8"?>\r\n<CodeBook xmlns="{ns}"><Codes>'
                   '<Code guid="00000000-0000-4000-8000-000000000001" name="Trust" isCodable="true">'
                   "<Description>Reliance.\r\n\r\nExample: café 😀</Description>"
                   '<Code guid="00000000-0000-4000-8000-000000000002" name="我们" isCodable="true"/></Code>'
                   "</Codes></CodeBook>").encode("utf-8"))
    cb = read_qdc(f)
    assert [(c.name, c.parent, c.description, c.examples) for c in cb] == [
        ("Trust", None, "Reliance.", ("café 😀",)), ("我们", "Trust", "", ())]


def test_project_namespace_variant(tmp_path, new_project):
    f = write_vendor_qdpx(tmp_path / "m.qdpx", "maxqda")
    with zipfile.ZipFile(f) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["project.qde"] = members["project.qde"].replace(b"urn:QDA-XML:project:1.0", b"urn:QDA-XML:project:0:10")
    with zipfile.ZipFile(f, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    p = new_project()
    import_qdpx(p, f)
    assert quotes(p) == EXPECTED


# -- strict export and round trips --------------------------------------------------------------------
@pytest.mark.parametrize("style", ["nvivo-windows", "atlas-26", "maxqda"])
def test_vendor_round_trip_keeps_every_span(tmp_path, new_project, style):
    a = new_project("a")
    import_qdpx(a, write_vendor_qdpx(tmp_path / "v.qdpx", style))
    export_qdpx(a, tmp_path / "ours.qdpx")
    b = new_project("b")
    report = import_qdpx(b, tmp_path / "ours.qdpx")
    assert [t.text for t in b.iter_transcripts()] == [TEXT]
    assert [(c.name, c.parent, c.guid) for c in a.codebook] == [(c.name, c.parent, c.guid) for c in b.codebook]
    assert spans_of(a) == spans_of(b) and quotes(b) == EXPECTED
    assert report.offsets["Interview Zsófia"].name == "codepoints"  # ours: the standard
    export_qdpx(b, tmp_path / "again.qdpx")  # re-importing our own export gives the same codings
    c = new_project("c")
    import_qdpx(c, tmp_path / "again.qdpx")
    assert spans_of(c) == spans_of(b)


def test_export_is_strict(tmp_path, new_project):
    a = new_project("a")
    import_qdpx(a, write_vendor_qdpx(tmp_path / "v.qdpx", "nvivo-windows"))
    from qdakit import Suggestion

    seg = next(s for s in a.iter_segments() if "Trust" in s.text)
    a.add_suggestions([Suggestion(seg.id, "Trust", 0.8, "fake", reason="grew")])
    out = tmp_path / "ours.qdpx"
    export_qdpx(a, out, with_suggestions=True)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        qde = z.read("project.qde")
        txt = [z.read(n) for n in names if n != "project.qde"]
    assert names[0] == "project.qde" and all(re.fullmatch(r"sources/[0-9A-Fa-f-]{36}\.txt", n) for n in names[1:])
    assert not qde.startswith(b"\xef\xbb\xbf") and not any(t.startswith(b"\xef\xbb\xbf") or b"\r" in t for t in txt)
    root = ET.fromstring(qde)
    assert root.get("basePath") == ""
    users = {u.get("guid"): u.get("name") for u in root.iter(NS + "User")}
    assert sorted(users.values()) == ["Anna", "Béla", "qdakit suggestions"]
    notes = {n.get("guid"): n for n in root.iter(NS + "Note")}
    for sel in root.iter(NS + "PlainTextSelection"):
        machine = {users[c.get("creatingUser")] == "qdakit suggestions" for c in sel.iter(NS + "Coding")}
        assert len(machine) == 1  # never human and machine in one selection
        for c in sel.iter(NS + "Coding"):
            for ref in c.iter(NS + "NoteRef"):  # a memo is a Note with its author and date
                note = notes[ref.get("targetGUID")]
                assert note.get("creatingUser") == c.get("creatingUser")
                assert note.get("creationDateTime") == c.get("creationDateTime")
    assert len(notes) == 3  # two human memos, one suggestion's score and reason


@needs_refi
def test_export_of_a_vendor_file_validates(tmp_path, new_project):
    import xmlschema

    a = new_project()
    import_qdpx(a, write_vendor_qdpx(tmp_path / "v.qdpx", "atlas-26"))
    export_qdpx(a, tmp_path / "ours.qdpx")
    with zipfile.ZipFile(tmp_path / "ours.qdpx") as z:
        xmlschema.XMLSchema(REFI / "Project.xsd").validate(z.read("project.qde").decode("utf-8"))


@needs_refi
def test_real_files_offsets_in_the_report(new_project):
    report = import_qdpx(new_project("d"), REFI / "demo.qdpx")
    board = report.offsets["board_2017"]
    assert (board.name, board.positions, board.share, board.ambiguous) == ("codepoints", 316, 1.0, False)
    assert report.offsets["admin-1"].positions == 0
    assert (report.codes, report.selections, report.codings) == (262, 158, 205)
    nvivo = import_qdpx(new_project("n"), REFI / "nvivo_project.qdpx")
    assert (nvivo.codes, nvivo.codings, nvivo.offsets) == (262, 0, {})


def test_a_tie_is_said_in_the_report(tmp_path, new_project):
    """One selection after an emoji in a CRLF text, where every scheme lands on word boundaries."""
    text = "Ann: 😀 we met\nBob: a b c d e f\n"
    spans = [(text.index("c"), text.index("c") + 1, "Trust", "Anna")]
    p = new_project()
    report = import_qdpx(p, write_vendor_qdpx(tmp_path / "t.qdpx", "nvivo-windows", [("Short", text, spans)], memos={}))
    found = report.offsets["Short"]
    assert found.name == "utf16" and found.tied  # the tool's scheme breaks the tie, and the report says so
    assert quotes(p) == [("c", "Trust", "Anna")]
    assert "too few selections to tell" in next(x for x in report.lines() if "'Short'" in x)
