"""REFI-QDA import and export (.qdpx, .qdc): real files, round trips, offsets, unsafe input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from qdakit import Code, Codebook, CodebookError, CodingError, DuplicateTranscriptError, ImportFormatError, Project
from qdakit.errors import ExportError
from qdakit.io.refi import export_qdpx, import_qdpx, read_qdc, write_qdc
from support import SHARED_DATA

REFI = SHARED_DATA / "refi"
needs_refi = pytest.mark.skipif(not REFI.is_dir(), reason=f"REFI-QDA standard files not found at {REFI}")
NS = "{urn:QDA-XML:project:1.0}"


def G(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def make_qdpx(path: Path, qde: str, files: dict[str, str | bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            z.writestr(name, data)
    return path


CODES = f"""<CodeBook><Codes>
  <Code guid="{G(1)}" name="Quality" isCodable="true" color="#ff0000"><Description>How good it is.</Description>
    <Code guid="{G(2)}" name="Praise" isCodable="true"/></Code>
  <Code guid="{G(3)}" name="Meetings" isCodable="true"/>
</Codes></CodeBook>"""
USERS = f'<Users><User guid="{G(10)}" name="Ann Coder"/><User guid="{G(11)}" id="MK"/></Users>'


def project_xml(sources: str, extra: str = "", before_sources: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS[1:-1]}" name="t">{USERS}{CODES}'
            f"{before_sources}<Sources>{sources}</Sources>{extra}</Project>")


def selection(guid: int, start: int, end: int, *codings: tuple[int, int], inner: str = "") -> str:
    body = "".join(f'<Coding guid="{G(1000 + guid * 10 + i)}" creatingUser="{G(user)}">'
                   f'<CodeRef targetGUID="{G(code)}"/></Coding>' for i, (code, user) in enumerate(codings))
    return (f'<PlainTextSelection guid="{G(guid)}" startPosition="{start}" endPosition="{end}">'
            f"{body}{inner}</PlainTextSelection>")


def codings_of(p: Project) -> list[tuple]:
    df = p.codings()
    return sorted(zip(df["segment_id"], df["code"], df["coder"], df["start"].astype(int), df["end"].astype(int), strict=False))


def empty(p: Project) -> bool:
    s = p.summary()
    return s["transcripts"] == s["codes"] == s["codings"] == 0


# -- non-ASCII text at code-point offsets ---------------------------------------------------
TEXT = ("Interviewer: Qu'en pensez-vous ?\n\n"
        "Ann: C'est très bien 😀 — 我们每周开会。\n\n"
        "Interviewer: Et le financement ?\n\n"
        "Ann: Réduit 💸 l'an dernier.\n")


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def unicode_qdpx(tmp_path: Path, text: str = TEXT, name: str = "u.qdpx") -> Path:
    s1, s2, s4 = span(text, "très bien 😀"), span(text, "我们每周开会"), span(text, "💸 l'an")
    s3 = (text.index("每周"), text.index("Et le") + len("Et le"))
    sels = (selection(1, *s1, (2, 10))
            + selection(2, *s2, (3, 11), inner=f'<NoteRef targetGUID="{G(50)}"/>')
            + selection(3, *s3, (1, 10))
            + selection(4, *s4, (2, 11)).replace("<Coding", "<Description>ironic</Description><Coding", 1))
    source = (f'<TextSource guid="{G(100)}" name="Entretien Ann" plainTextPath="internal://{G(100)}.txt">'
              f"{sels}</TextSource>")
    notes = (f'<Notes><Note guid="{G(50)}" name="n"><PlainTextContent>Said twice 🙂</PlainTextContent></Note>'
             f'<Note guid="{G(51)}" name="Code memo"><PlainTextContent>x</PlainTextContent></Note></Notes>')
    qde = project_xml(source, notes).replace('name="Meetings" isCodable="true"/>',
                                             f'name="Meetings" isCodable="true"><NoteRef targetGUID="{G(51)}"/></Code>')
    return make_qdpx(tmp_path / name, qde, {f"sources/{G(100)}.txt": text.encode("utf-8")})


def test_non_ascii_offsets_are_code_points(tmp_path, new_project):
    p = new_project()
    report = import_qdpx(p, unicode_qdpx(tmp_path))
    t = p.transcript("Entretien Ann")
    assert t.text == TEXT
    assert [s.speaker for s in p.iter_segments()] == ["Interviewer", "Ann", "Interviewer", "Ann"]
    quotes = {(c.code, t.text[c.start:c.end], c.coder) for c in p.codings().itertuples()}
    assert ("Praise", "très bien 😀", "Ann Coder") in quotes
    assert ("Meetings", "我们每周开会", "MK") in quotes  # user without name: its id
    assert ("Praise", "💸 l'an", "MK") in quotes
    # the crossing selection is split at the turn boundary, each part clipped to its segment
    assert ("Quality", "每周开会。", "Ann Coder") in quotes and ("Quality", "Et le", "Ann Coder") in quotes
    assert report.split_selections == 1 and report.selections == 4 and report.codings == 5
    memos = dict(zip(p.codings()["code"] + p.codings()["start"].astype(str), p.codings()["memo"], strict=False))
    assert memos[f"Meetings{TEXT.index('我们')}"] == "Said twice 🙂"
    assert memos[f"Praise{TEXT.index('💸')}"] == "ironic"
    assert report.memos == 2
    # UTF-16 offsets would be off by one after the emoji
    assert len("😀".encode("utf-16-le")) // 2 == 2 and TEXT.index("我们") - TEXT.index("😀") == 4
    assert any("notes not attached to a coding" in n and "Code memo" in n for n in report.not_carried_over)
    cb = p.codebook
    assert cb["Praise"].parent == "Quality" and cb["Quality"].colour == "#ff0000"
    assert cb["Quality"].description == "How good it is." and cb["Praise"].guid == G(2)


def test_crlf_is_normalised_and_offsets_remapped(tmp_path, new_project):
    crlf = TEXT.replace("\n", "\r\n")
    p = new_project()
    import_qdpx(p, unicode_qdpx(tmp_path, crlf))
    t = p.transcript("Entretien Ann")
    assert t.text == TEXT
    quotes = {(c.code, t.text[c.start:c.end]) for c in p.codings().itertuples()}
    assert {("Praise", "très bien 😀"), ("Meetings", "我们每周开会"), ("Praise", "💸 l'an"),
            ("Quality", "每周开会。"), ("Quality", "Et le")} == quotes


def test_non_ascii_round_trip(tmp_path, new_project):
    a = new_project("a")
    import_qdpx(a, unicode_qdpx(tmp_path))
    export_qdpx(a, tmp_path / "out.qdpx")
    b = new_project("b")
    import_qdpx(b, tmp_path / "out.qdpx")
    assert [t.text for t in b.iter_transcripts()] == [TEXT]
    assert codings_of(a) == codings_of(b)
    assert [(c.name, c.parent, c.guid, c.description, c.colour) for c in a.codebook] == \
           [(c.name, c.parent, c.guid, c.description, c.colour) for c in b.codebook]
    assert sorted(a.codings()["memo"]) == sorted(b.codings()["memo"])


def test_paragraphs_without_speaker_labels(tmp_path, new_project):
    text = "First paragraph about trust.\n\nSecond one, about 資金.\nStill second.\n\nThird."
    src = (f'<TextSource guid="{G(100)}" name="notes"><PlainTextContent>{text}</PlainTextContent>'
           + selection(1, text.index("Second"), text.index("Third") + 6, (3, 10)) + "</TextSource>")
    p = new_project()
    report = import_qdpx(p, make_qdpx(tmp_path / "x.qdpx", project_xml(src)))
    assert [s.text for s in p.iter_segments()] == ["First paragraph about trust.",
                                                    "Second one, about 資金.\nStill second.", "Third."]
    assert [text[c.start:c.end] for c in p.codings().itertuples()] == \
           ["Second one, about 資金.\nStill second.", "Third."]
    assert report.split_selections == 1


def test_cases_and_variables_become_attributes(tmp_path, new_project):
    text = "Ann: Hello.\n\nBob: Hi.\n\nAnn: Bye.\n\nBob: Bye."
    variables = (f'<Variables><Variable guid="{G(60)}" name="gender" typeOfVariable="Text"/>'
                 f'<Variable guid="{G(61)}" name="region" typeOfVariable="Text"/>'
                 f'<Variable guid="{G(62)}" name="wave" typeOfVariable="Integer"/></Variables>')

    def value(var: int, v: str, kind: str = "TextValue") -> str:
        return f'<VariableValue><VariableRef targetGUID="{G(var)}"/><{kind}>{v}</{kind}></VariableValue>'

    cases = ("<Cases>"
             f'<Case guid="{G(70)}" name="Ann">{value(60, "F")}<SourceRef targetGUID="{G(100)}"/></Case>'
             f'<Case guid="{G(71)}" name="Site A">{value(61, "north")}<SourceRef targetGUID="{G(100)}"/></Case>'
             f'<Case guid="{G(72)}" name="Carol">{value(60, "F")}</Case>'
             f'<Case guid="{G(73)}" name="Bob">{value(60, "M")}<SelectionRef targetGUID="{G(2)}"/>'
             f'<SelectionRef targetGUID="{G(3)}"/></Case>'
             "</Cases>")
    src = (f'<TextSource guid="{G(100)}" name="focus"><PlainTextContent>{text}</PlainTextContent>'
           f'{selection(1, 5, 11, (1, 10))}{selection(2, 18, 21)}{selection(3, 39, 43)}'
           f'{value(62, "2", "IntegerValue")}</TextSource>')
    p = new_project()
    report = import_qdpx(p, make_qdpx(tmp_path / "c.qdpx", project_xml(src, before_sources=variables + cases)))
    assert report.cases == 4
    t = p.transcript("focus")
    assert dict(t.attributes) == {"wave": "2", "region": "north"}
    segs = p.segments()
    assert segs.set_index("speaker")["participant"].to_dict() == {"Ann": "Ann", "Bob": "Bob"}
    assert set(segs.loc[segs["speaker"] == "Ann", "gender"]) == {"F"}
    assert set(segs.loc[segs["speaker"] == "Bob", "gender"]) == {"M"}
    parts = p.participants().set_index("participant")
    assert parts.loc["Carol", "gender"] == "F" and parts.loc["Carol", "transcript_id"] == ""
    # a case linked to selections (Bob) is the participant of exactly the segments they overlap
    assert parts.loc["Bob", "transcript_id"] == "" and not any("case" in n for n in report.not_carried_over)


def test_other_source_kinds_and_what_is_not_carried_over(tmp_path, new_project):
    pdf_text = "Policy text about meetings."
    audio_text = "Moderator: Welcome.\n\nP1: Thanks, happy to be here.\n\nModerator: Ok.\n\nP1: Bye."
    sync = (f'<SyncPoint guid="{G(80)}" timeStamp="0" position="{audio_text.index("Thanks")}"/>'
            f'<SyncPoint guid="{G(81)}" timeStamp="900" position="{audio_text.index(", happy")}"/>')
    sources = (
        f'<PDFSource guid="{G(200)}" name="policy" path="internal://{G(200)}.pdf">'
        f'<PDFSelection guid="{G(5)}" page="1" firstX="0" firstY="0" secondX="9" secondY="9"/>'
        f'<Representation guid="{G(201)}" plainTextPath="internal://{G(201)}.txt">'
        f"{selection(6, 18, 26, (3, 10))}</Representation></PDFSource>"
        f'<AudioSource guid="{G(300)}" name="group" path="internal://{G(300)}.m4a">'
        f'<Transcript guid="{G(301)}" name="text"><PlainTextContent>{audio_text}</PlainTextContent>{sync}'
        f'<TranscriptSelection guid="{G(7)}" fromSyncPoint="{G(80)}" toSyncPoint="{G(81)}">'
        f'<Coding guid="{G(8)}" creatingUser="{G(10)}"><CodeRef targetGUID="{G(2)}"/></Coding>'
        f"</TranscriptSelection></Transcript>"
        f'<AudioSelection guid="{G(9)}" begin="0" end="100"/></AudioSource>'
        f'<PictureSource guid="{G(400)}" name="photo" path="internal://{G(400)}.png"/>'
        f'<TextSource guid="{G(500)}" name="whole"><PlainTextContent>A: x\n\nB: y</PlainTextContent>'
        f'<Coding guid="{G(501)}"><CodeRef targetGUID="{G(3)}"/></Coding></TextSource>')
    extra = (f'<Sets><Set guid="{G(600)}" name="Interviews"/></Sets>'
             f'<Links><Link guid="{G(601)}" name="rel" originGUID="{G(1)}" targetGUID="{G(3)}"/></Links>')
    f = make_qdpx(tmp_path / "k.qdpx", project_xml(sources, extra), {f"sources/{G(201)}.txt": pdf_text,
                                                                    f"sources/{G(400)}.png": b"\x89PNG"})
    p = new_project()
    report = import_qdpx(p, f)
    assert report.transcripts == ["policy", "group - text", "whole"]
    quotes = sorted((c.code, p.transcript(c.transcript_id).text[c.start:c.end]) for c in p.codings().itertuples())
    assert quotes == [("Meetings", "meetings"), ("Praise", "Thanks")]
    text = "\n".join(report.not_carried_over)
    for kind in ("PDF area selections: 1", "audio/video media", "time selections in audio/video: 1",
                 "picture sources and their selections: 1", "codings of a whole source: 1",
                 "sets: 1 ('Interviews')", "links: 1 ('rel')"):
        assert kind in text


@needs_refi
def test_demo_file_imports_every_coding_at_its_offsets(new_project):
    f = REFI / "demo.qdpx"
    with zipfile.ZipFile(f) as z:
        root = ET.fromstring(z.read("project.qde"))
        texts = {s.get("guid"): z.read("sources/" + s.get("plainTextPath")).decode("utf-8")
                 for s in root.iter(NS + "TextSource")}
    selections = list(root.iter(NS + "PlainTextSelection"))
    assert (len(texts), len(list(root.iter(NS + "Code"))), len(selections)) == (2, 262, 158)
    n_codings = len(list(root.iter(NS + "Coding")))
    assert n_codings == 205
    p = new_project()
    report = import_qdpx(p, f)
    assert (report.codes, report.selections, report.codings, report.users) == (262, 158, 205, ["cp"])
    assert sorted(report.transcripts) == ["admin-1", "board_2017"]
    assert report.not_carried_over == []
    by_guid = {c.guid: c.name for c in p.codebook}
    codings = p.codings()
    assert set(codings["coder"]) == {"cp"} and len(codings) == n_codings
    trimmed = 0
    for src in root.iter(NS + "TextSource"):
        text = texts[src.get("guid")]
        t = p.transcript(Path(src.get("plainTextPath")).stem)
        assert t.text == text  # no normalisation needed: offsets are the file's
        mine = codings[codings["transcript_id"] == t.id]
        for sel in src.iter(NS + "PlainTextSelection"):
            s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
            for c in sel.iter(NS + "Coding"):
                code = by_guid[c.find(NS + "CodeRef").get("targetGUID")]
                hits = mine[(mine["code"] == code) & (mine["start"] >= s) & (mine["end"] <= e)]
                assert len(hits) >= 1, (sel.get("guid"), code)
            # what the coded spans leave out of the selection is whitespace or a speaker label
            spans = sorted({(int(a), int(b)) for a, b in zip(mine["start"], mine["end"], strict=False) if s <= a and b <= e})
            cuts, pos = [], s
            for a, b in spans:
                cuts.append(text[pos:a])
                pos = max(pos, b)
            cuts.append(text[pos:e])
            left = [c.strip() for c in cuts if c.strip()]
            assert all(re.fullmatch(r"[\w .'-]{1,40}:", x) for x in left), left
            trimmed += bool(left)
    assert report.trimmed_selections == trimmed > 0


@needs_refi
def test_nvivo_file_imports_users_and_nested_codes(new_project):
    f = REFI / "nvivo_project.qdpx"
    with zipfile.ZipFile(f) as z:
        root = ET.fromstring(z.read("project.qde"))
    parent_of = {c.get("guid"): p.get("guid") for p in root.iter(NS + "Code") for c in p.findall(NS + "Code")}
    file_codes = list(root.iter(NS + "Code"))
    p = new_project()
    report = import_qdpx(p, f)
    cb = p.codebook
    assert len(cb) == len(file_codes) == report.codes == 262
    guid_of = {c.name: c.guid for c in cb}
    assert {c.guid for c in cb} == {c.get("guid") for c in file_codes}
    for c in cb:  # the tree is the file's tree
        assert (guid_of[c.parent] if c.parent else None) == parent_of.get(c.guid)
    names = Counter(c.get("name").casefold() for c in file_codes)
    assert len(report.renamed_codes) == sum(n - 1 for n in names.values()) == 10
    assert "programming (cs_as_programming)" in cb and cb["programming"].parent == "competencies"
    assert report.users == ["chrisp", "cp"]
    # NVivo exported both sources with an empty plain-text file: nothing to code, reported
    assert report.transcripts == [] and report.codings == 0
    assert any(n.startswith("empty sources (no text to code): 2") for n in report.not_carried_over)


@needs_refi
@pytest.mark.parametrize("name", ["demo.qdpx", "nvivo_project.qdpx"])
def test_real_files_round_trip_and_validate(tmp_path, new_project, name):
    import xmlschema

    a = new_project("a")
    import_qdpx(a, REFI / name)
    out = tmp_path / f"out-{name}"
    report = export_qdpx(a, out)
    with zipfile.ZipFile(out) as z:
        xmlschema.XMLSchema(REFI / "Project.xsd").validate(z.read("project.qde").decode("utf-8"))
    b = new_project("b")
    import_qdpx(b, out)
    assert [(t.id, t.name, t.text) for t in a.iter_transcripts()] == [(t.id, t.name, t.text) for t in b.iter_transcripts()]
    assert [(c.name, c.parent, c.guid) for c in a.codebook] == [(c.name, c.parent, c.guid) for c in b.codebook]
    assert codings_of(a) == codings_of(b)
    assert report.codings == len(codings_of(a))


@needs_refi
def test_import_is_all_or_nothing(new_project):
    p = new_project()
    import_qdpx(p, REFI / "demo.qdpx")
    before = (p.summary(), list(p.codebook))
    with pytest.raises(DuplicateTranscriptError):
        import_qdpx(p, REFI / "demo.qdpx")
    assert (p.summary(), list(p.codebook)) == before


# -- export ------------------------------------------------------------------------------------
@pytest.fixture
def coded(project):
    project.code("t1#1", "Communication", coder="JR", start=project.segment("t1#1").start + 3,
                 end=project.segment("t1#1").start + 7, memo="meets = talks")
    project.code("t1#1", "Communication", coder="MK")
    project.code("t1#2", "Funding", coder="JR")
    from qdakit import Suggestion
    project.add_suggestions([Suggestion("t2#1", "Clear leadership", 0.9, "fake", reason="leads"),
                             Suggestion("t1#2", "Funding", 0.3, "fake")])
    return project


def _qde(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        return ET.fromstring(z.read("project.qde"))


@needs_refi
def test_export_validates_and_keeps_suggestions_apart(tmp_path, coded, new_project):
    import xmlschema

    out = tmp_path / "s.qdpx"
    report = export_qdpx(coded, out, with_suggestions=True, min_score=0.5)
    assert (report.codings, report.suggestions, report.users) == (3, 1, ["JR", "MK", "qdakit suggestions"])
    with zipfile.ZipFile(out) as z:
        xmlschema.XMLSchema(REFI / "Project.xsd").validate(z.read("project.qde").decode("utf-8"))
        assert sorted(z.namelist())[0] == "project.qde" and len(z.namelist()) == 3
    root = _qde(out)
    users = {u.get("guid"): u.get("name") for u in root.iter(NS + "User")}
    for sel in root.iter(NS + "PlainTextSelection"):
        who = {users[c.get("creatingUser")] == "qdakit suggestions" for c in sel.iter(NS + "Coding")}
        assert len(who) == 1  # a selection holds human codings or machine suggestions, never both
    b = new_project("b")
    back = import_qdpx(b, out)
    df = b.codings()
    # the machine's suggestions come back as what they are, not as codings of a coder "qdakit suggestions":
    # only a named human's accept makes a suggestion a coding
    assert "qdakit suggestions" not in set(df["coder"])
    assert any("machine suggestions exported by qdakit" in line and "Clear leadership" in line
               for line in back.not_carried_over)
    # segments are re-derived from the text on import (REFI-QDA has no segments), so compare
    # codings by their offsets in the transcript text, which must be exact
    seg1, seg2 = coded.segment("t1#1"), coded.segment("t1#2")
    human = df[df["coder"] != "qdakit suggestions"]
    assert sorted(zip(human["transcript_id"], human["start"], human["end"], human["code"], human["coder"],
                      human["memo"], strict=False)) == sorted([
        ("t1", seg1.start + 3, seg1.start + 7, "Communication", "JR", "meets = talks"),
        ("t1", seg2.start, seg2.end, "Funding", "JR", ""),  # a whole-segment coding: the segment's offsets
        ("t1", seg1.start, seg1.end, "Communication", "MK", "")])


def test_export_without_suggestions_and_user_clash(tmp_path, coded):
    export_qdpx(coded, tmp_path / "h.qdpx")
    assert {u.get("name") for u in _qde(tmp_path / "h.qdpx").iter(NS + "User")} == {"JR", "MK"}
    coded.code("t2#1", "Clear leadership", coder="qdakit suggestions")
    with pytest.raises(CodingError, match="suggestions user"):
        export_qdpx(coded, tmp_path / "x.qdpx", with_suggestions=True)
    assert not (tmp_path / "x.qdpx").exists()


def test_failed_export_leaves_no_half_file(tmp_path, coded, monkeypatch):
    out = tmp_path / "keep.qdpx"
    out.write_bytes(b"previous export")
    real = zipfile.ZipFile.writestr

    def fail_on_sources(self, name, data, *a, **k):
        if str(getattr(name, "filename", name)).startswith("sources/"):
            raise OSError("disk full")
        return real(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_sources)
    with pytest.raises(ExportError, match="disk full; nothing was written"):  # one line, not a traceback
        export_qdpx(coded, out)
    assert out.read_bytes() == b"previous export"
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".tmp")] == []


def test_attributes_export_as_cases_and_variables(tmp_path, project, new_project):
    project.set_transcript_attributes("t1", {"wave": "1"})
    for seg, who in (("t1#1", "Ann"), ("t1#2", "Ann"), ("t2#1", "Bob")):
        project.set_segment_participant(seg, who)
    project.set_participant_attributes("Ann", {"sector": "health"})
    project.set_participant_attributes("Bob", {"sector": "council"})
    project.code("t2#1", "Clear leadership", coder="JR")
    report = export_qdpx(project, tmp_path / "a.qdpx")
    assert report.cases == 2
    root = _qde(tmp_path / "a.qdpx")
    assert sorted(v.get("name") for v in root.iter(NS + "Variable")) == ["sector", "wave"]
    b = new_project("b")
    import_qdpx(b, tmp_path / "a.qdpx")
    segs = b.segments().set_index("id")
    assert segs.loc["t1#1", "participant"] == "Ann" and segs.loc["t1#1", "sector"] == "health"
    assert segs.loc["t2#1", "sector"] == "council" and b.transcript("t1").attributes["wave"] == "1"


@needs_refi
def test_qdc_round_trip_validates(tmp_path):
    import xmlschema

    cb = Codebook([Code("Trust", description="Reliance.", colour="#1b9e77"),
                   Code("Distrust", parent="Trust", inclusion="explicit doubt", exclusion="irony",
                        examples=("I never believed them.", "Not them again.")),
                   Code("Café ☕", colour="not a colour")])
    out = write_qdc(cb, tmp_path / "cb.qdc")
    xmlschema.XMLSchema(REFI / "Codebook.xsd").validate(str(out))
    assert list(read_qdc(out)) == [c if c.colour != "not a colour" else Code("Café ☕", guid=c.guid) for c in cb]


def test_read_qdc_errors(tmp_path):
    f = tmp_path / "bad.qdc"
    f.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="x" isCodable="true"/>'
                 "</Codes></CodeBook>")
    with pytest.raises(CodebookError, match="'x' has no guid"):
        read_qdc(f)
    f.write_text(f'<CodeBook><Codes><Code guid="{G(1)}" name="a" isCodable="true"/>'
                 f'<Code guid="{G(1)}" name="b" isCodable="true"/></Codes></CodeBook>')
    with pytest.raises(CodebookError, match="share the guid"):
        read_qdc(f)


# -- bad and unsafe input -----------------------------------------------------------------------
def _simple(tmp_path: Path, sel: str = "", code: int = 3, files: dict | None = None, ref: str = "") -> Path:
    text = "Ann: Hello there.\n\nBob: Hi."
    src = (f'<TextSource guid="{G(100)}" name="s1" plainTextPath="{ref or f"internal://{G(100)}.txt"}">'
           f'{sel or selection(1, 5, 10, (code, 10))}</TextSource>')
    return make_qdpx(tmp_path / "b.qdpx", project_xml(src),
                     {f"sources/{G(100)}.txt": text} if files is None else files)


def test_errors_name_the_element_and_write_nothing(tmp_path, new_project):
    p = new_project()
    with pytest.raises(ImportFormatError, match=rf"TextSource 's1' \({G(100)}\).*missing"):
        import_qdpx(p, _simple(tmp_path, files={}))
    with pytest.raises(ImportFormatError, match=rf"selection {G(1)} spans 5:99, outside its source \(0:27 code points"):
        import_qdpx(p, _simple(tmp_path, sel=selection(1, 5, 99, (3, 10))))
    with pytest.raises(CodingError, match=rf"Coding {G(1010)} refers to code {G(999)}"):
        import_qdpx(p, _simple(tmp_path, code=999))
    with pytest.raises(ImportFormatError, match="external file"):
        import_qdpx(p, _simple(tmp_path, ref="absolute:///etc/passwd"))
    with pytest.raises(ImportFormatError, match="not a file name inside sources"):
        import_qdpx(p, _simple(tmp_path, ref="internal://../project.qde"))
    assert empty(p)
    import_qdpx(p, _simple(tmp_path))  # the good file imports
    assert codings_of(p) == [("s1#0", "Meetings", "Ann Coder", 5, 10)]


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "sources/../../evil.txt", "C:/evil.txt"])
def test_member_paths_escaping_the_archive_are_refused(tmp_path, new_project, member):
    f = _simple(tmp_path, files={f"sources/{G(100)}.txt": "Ann: Hello there.", member: "x"})
    p = new_project()
    with pytest.raises(ImportFormatError, match="outside the archive"):
        import_qdpx(p, f)
    assert empty(p)


def test_size_caps(tmp_path, new_project):
    f = _simple(tmp_path, files={f"sources/{G(100)}.txt": "Ann: Hello there." + " " * 5000})
    p = new_project()
    with pytest.raises(ImportFormatError, match="over the limit"):
        import_qdpx(p, f, max_member_bytes=2000)
    with pytest.raises(ImportFormatError, match="over the limit"):
        import_qdpx(p, f, max_total_bytes=4000)
    assert empty(p)


def test_entities_and_bad_xml_are_refused(tmp_path, new_project):
    bomb = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>')
    p = new_project()
    with pytest.raises(ImportFormatError, match="unsafe XML"):
        import_qdpx(p, make_qdpx(tmp_path / "e.qdpx", bomb))
    with pytest.raises(ImportFormatError, match="line 1, column"):
        import_qdpx(p, make_qdpx(tmp_path / "m.qdpx", "<Project><Sources></Project>"))
    (tmp_path / "z.qdpx").write_text("not a zip")
    with pytest.raises(ImportFormatError, match="zip"):
        import_qdpx(p, tmp_path / "z.qdpx")
    assert empty(p)


def test_public_names():
    import qdakit.io.refi as refi

    assert sorted(refi.__all__) == sorted(["import_qdpx", "export_qdpx", "read_qdc", "write_qdc", "RefiImportReport",
                                           "RefiExportReport", "MAX_TOTAL_BYTES", "MAX_MEMBER_BYTES"])
    assert all(callable(getattr(refi, n)) or isinstance(getattr(refi, n), int) for n in refi.__all__)
    assert set(refi.__all__) <= set(dir(refi))
    with pytest.raises(AttributeError):
        refi.no_such_name  # noqa: B018


# -- a .qdpx never renames or redefines a code silently (issue 28) -----------------------------
def _second_qdpx(tmp_path: Path, codes: str) -> Path:
    text = "Interviewer: And the budget?\n\nBo: Smaller than last year.\n"
    sel = selection(7, *span(text, "Smaller"), (2, 10))
    src = f'<TextSource guid="{G(300)}" name="Bo"><PlainTextContent>{text}</PlainTextContent>{sel}</TextSource>'
    qde = project_xml(src).replace(CODES, codes)
    return make_qdpx(tmp_path / "second.qdpx", qde)


def test_a_rename_of_a_code_human_codings_use_is_refused_unless_accepted(tmp_path, new_project):
    p = new_project()
    import_qdpx(p, unicode_qdpx(tmp_path))
    before = codings_of(p)
    hacked = CODES.replace('name="Praise"', 'name="HACKED"').replace("How good it is.", "Anything at all.")
    f = _second_qdpx(tmp_path, hacked)
    with pytest.raises(CodebookError, match=r"would change 2 code\(s\) that human codings use.*"
                       r"'Quality': new description.*renamed 'Praise' -> 'HACKED'.*"
                       r"2 human coding\(s\) of Ann Coder, MK.*--accept-renames"):
        import_qdpx(p, f)
    assert codings_of(p) == before and "Praise" in p.codebook and len(p.transcripts()) == 1
    report = import_qdpx(p, f, accept_renames=True)
    assert any("renamed 'Praise' -> 'HACKED'" in line for line in report.lines())
    assert any("'Quality': new description" in c for c in report.code_changes)
    assert "HACKED" in p.codebook and "Praise" not in p.codebook


def test_a_rename_of_an_unused_code_is_reported_and_applied(tmp_path, new_project):
    p = new_project()
    p.load_codebook(Codebook([Code("Spare", guid=G(4))]))
    codes = CODES.replace("</Codes>", f'<Code guid="{G(4)}" name="Reserve" isCodable="true"/></Codes>')
    report = import_qdpx(p, _second_qdpx(tmp_path, codes))
    assert report.code_changes == [f"code renamed 'Spare' -> 'Reserve' ({G(4)})"]
    assert "Reserve" in p.codebook
