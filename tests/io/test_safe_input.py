"""Issue 14: hostile and careless input files give one clean error (or clean text), never a traceback."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from qdakit import Project
from qdakit.errors import (
    AttributesError,
    CodebookError,
    CodingError,
    ControlCharacterWarning,
    ImportFormatError,
    QdakitError,
)
from qdakit.io.codebook import read_codebook
from qdakit.io.codings import import_codings, read_codings
from qdakit.io.importer import apply_attributes
from qdakit.io.limits import check_zip
from qdakit.io.segment import read_questions
from qdakit.io.table import read_table
from qdakit.io.text import read_text
from qdakit.io.textclean import looks_like_utf16
from qdakit.io.word import read_docx


# -- 5: YAML aliases and nesting -----------------------------------------------------------------------
def _laughs(levels: int = 9) -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append(f"codes: [{{name: X, examples: *{chr(ord('a') + levels - 1)}}}]")
    return "\n".join(lines)


def test_yaml_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    f = tmp_path / "laughs.yaml"
    f.write_text(_laughs())
    assert len(f.read_bytes()) < 500
    with pytest.raises(CodebookError, match="aliases.*expand to more than.*QDAKIT_MAX_YAML_NODES"):
        read_codebook(f)


def test_yaml_a_few_aliases_still_work(tmp_path: Path) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text("ex: &ex [\"we meet\", \"we email\"]\ncodes:\n  - {name: A, examples: *ex}\n  - {name: B, examples: *ex}\n")
    assert read_codebook(f)["B"].examples == ("we meet", "we email")


def test_yaml_recursive_alias_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "loop.yaml"
    f.write_text("codes: &c [{name: A, codes: *c}]\n")
    with pytest.raises(CodebookError):
        read_codebook(f)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_3000_deep_codebook_is_refused_with_the_limit(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"deep{suffix}"
    f.write_text('{"codes": [' + '{"name": "x", "codes": [' * 3000 + "]}" * 3000 + "]}")
    with pytest.raises(CodebookError, match="QDAKIT_MAX_DEPTH"):
        read_codebook(f)


def test_a_3000_deep_qdc_code_tree_is_refused(tmp_path: Path) -> None:
    from qdakit.io.refi import read_qdc

    f = tmp_path / "deep.qdc"
    body = "".join(f'<Code guid="00000000-0000-0000-0000-{i:012d}" name="c{i}" isCodable="true">' for i in range(3000))
    f.write_text('<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>' + body
                 + "</Code>" * 3000 + "</Codes></CodeBook>")
    with pytest.raises(CodebookError, match="QDAKIT_MAX_DEPTH"):
        read_qdc(f)


# -- 6: UTF-16 without BOM, control characters --------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_reads_as_text(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "t.txt"
    f.write_bytes("Ann: Hello there, café.\nBob: Hi.\n".encode(encoding))
    parsed = read_text(f)
    assert "\x00" not in parsed.text
    assert [(t.speaker, t.text) for t in parsed.turns] == [("Ann", "Hello there, café."), ("Bob", "Hi.")]


def test_utf16_questions_file(tmp_path: Path) -> None:
    f = tmp_path / "q.txt"
    f.write_bytes("Q1: Why?\nQ2: How?\n".encode("utf-16-le"))
    assert read_questions(f) == [("Q1", "Why?"), ("Q2", "How?")]


def test_utf8_text_is_not_mistaken_for_utf16() -> None:
    assert looks_like_utf16("Ann: hello\n".encode()) is None
    assert looks_like_utf16(bytes(range(256)) * 4) is None


def test_control_characters_are_removed_with_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_bytes(b"Ann: Hello.\nBob: Hi\x00 there\x07.\nAnn: page\x0cbreak\n")
    # the NUL and the bell are removed with a warning; a form feed is a page break, read as a line break
    with pytest.warns(ControlCharacterWarning, match=r"t\.txt, line 2: removed 2 control"):
        parsed = read_text(f)
    assert "Hi there." in parsed.text and "page\nbreak" in parsed.text
    assert not any(c in parsed.text for c in "\x00\x07\x0c")


def test_control_characters_in_table_cells_are_removed(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(b"speaker,text\nAnn,bell\x07here\n")
    with pytest.warns(ControlCharacterWarning, match=r"t\.csv, line 2"):
        (parsed,) = read_table(f)
    assert parsed.turns[0].text == "bellhere"


def test_unknown_encoding_is_a_clean_error(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text("Ann: hi")
    with pytest.raises(ImportFormatError, match="unknown text encoding 'nosuch'"):
        read_text(f, encoding="nosuch")


# -- 9: caps on zip-based input ------------------------------------------------------------------------------
def _rezip(src: Path, dst: Path, member: str, change) -> None:  # noqa: ANN001
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in members.items():
            z.writestr(n, b)


def test_a_docx_paragraph_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Ann: hi")
    seed = tmp_path / "seed.docx"
    d.save(seed)
    bomb = tmp_path / "bomb.docx"
    _rezip(seed, bomb, "word/document.xml", lambda b: b.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * 150_000, 1))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImportFormatError, match=r"bomb\.docx \(word/document\.xml\).*QDAKIT_MAX_PARAGRAPHS"):
        read_docx(bomb)


def test_the_caps_can_be_raised_by_environment(tmp_path: Path, monkeypatch) -> None:
    d = docx.Document()
    for i in range(30):
        d.add_paragraph(f"Ann: line {i}")
    f = tmp_path / "ok.docx"
    d.save(f)
    monkeypatch.setenv("QDAKIT_MAX_PARAGRAPHS", "10")
    with pytest.raises(ImportFormatError, match="over the limit of 10 paragraphs"):
        read_docx(f)
    monkeypatch.setenv("QDAKIT_MAX_PARAGRAPHS", "1000")
    assert len(read_docx(f).turns) == 30


def test_an_xlsx_that_expands_too_far_is_refused(tmp_path: Path, monkeypatch) -> None:
    book = openpyxl.Workbook()
    for _ in range(2000):
        book.active.append(["Ann", "the same words " * 20])
    f = tmp_path / "big.xlsx"
    book.save(f)
    monkeypatch.setenv("QDAKIT_MAX_UNCOMPRESSED_MB", "0")
    with pytest.raises(ImportFormatError, match="QDAKIT_MAX_UNCOMPRESSED_MB"):
        check_zip(f, "Excel .xlsx workbook")
    with pytest.raises(ImportFormatError, match="QDAKIT_MAX_UNCOMPRESSED_MB"):
        read_table(f, speaker=None, text="the same words " * 20)


def test_a_qdpx_with_too_many_elements_is_refused(tmp_path: Path, monkeypatch) -> None:
    from qdakit.io.refi import import_qdpx

    f = tmp_path / "x.qdpx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("project.qde", '<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="p">'
                   + "<Users/>" * 5000 + "</Project>")
    monkeypatch.setenv("QDAKIT_MAX_XML_ELEMENTS", "1000")
    with Project.create(tmp_path / "p.qdakit") as p, pytest.raises(ImportFormatError, match="QDAKIT_MAX_XML_ELEMENTS"):
        import_qdpx(p, f)


# -- one-line errors for what Excel and careless editing produce ------------------------------------------------
@pytest.mark.parametrize("content", [
    b"",  # empty
    b"segment_id,code,coder\nt1#1,Communication,JR,extra,cells\n\"",  # ragged, unterminated quote
    b"\xef\xbb\xbf",  # only a BOM
    b"segment_id,code,coder\n",  # header only
    b"code\nCommunication\n",  # missing columns
])
def test_bad_codings_csv_is_one_clean_error(project: Project, tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "c.csv"
    f.write_bytes(content)
    try:
        result = read_codings(project, f)
    except CodingError as exc:
        assert "\n" not in str(exc) and str(f) in str(exc)
    else:
        assert result == []  # a header without rows is no error, just nothing


def test_cp1252_codings_csv_as_excel_on_windows_saves_it(project: Project, tmp_path: Path) -> None:
    project.load_codebook(read_codebook(_write(tmp_path / "cb.csv", "name\nCafé culture\n")))
    f = tmp_path / "c.csv"
    f.write_bytes("segment_id;code;coder\nt1#1;x;y\n".replace(";", ",").replace("x", "Café culture")
                  .encode("cp1252"))
    (c,) = read_codings(project, f, coder=None)
    assert c.code == "Café culture"


def test_unknown_segment_id_names_file_and_line(project: Project, tmp_path: Path) -> None:
    f = _write(tmp_path / "c.csv", "segment_id,code,coder\nt1#1,Communication,JR\nt9#9,Communication,JR\n")
    with pytest.raises(CodingError, match=r"c\.csv, line 3: no segment 't9#9'"):
        read_codings(project, f)


def test_damaged_codings_xlsx_is_one_clean_error(project: Project, tmp_path: Path) -> None:
    f = tmp_path / "c.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("xl/workbook.xml", "<not xml")
    with pytest.raises(CodingError, match=r"c\.xlsx"):
        read_codings(project, f)


def test_codebook_csv_row_with_an_unquoted_comma(tmp_path: Path) -> None:
    f = _write(tmp_path / "cb.csv", "name,description\nA,one, two\n")
    with pytest.raises(CodebookError, match=r"cb\.csv, line 2: more cells than columns.*double quotes"):
        read_codebook(f)


@pytest.mark.parametrize("member", ["[Content_Types].xml", "word/document.xml"])
def test_damaged_docx_is_one_clean_error(tmp_path: Path, member: str) -> None:
    d = docx.Document()
    d.add_paragraph("Ann: hi")
    seed = tmp_path / "seed.docx"
    d.save(seed)
    with zipfile.ZipFile(seed) as z:
        members = {n: z.read(n) for n in z.namelist() if n != member}
    if member == "word/document.xml":
        members[member] = b"<w:document><w:body><w:p>"  # truncated XML
    f = tmp_path / "bad.docx"
    with zipfile.ZipFile(f, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    with pytest.raises(ImportFormatError, match=r"bad\.docx"):
        read_docx(f)


def test_attributes_in_utf16_and_damaged_xlsx(project: Project, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes("participant,speaker,transcript,age\nP1,Ann,t1,34\n".encode("utf-16-le"))
    apply_attributes(project, [f])
    assert project.segments().set_index("id").loc["t1#1", "age"] == "34"
    bad = tmp_path / "a.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(AttributesError, match=r"a\.xlsx"):
        apply_attributes(project, [bad])


# -- 4: re-importing a codings file -----------------------------------------------------------------------------
def test_reimporting_a_codings_file_adds_nothing(project: Project, tmp_path: Path) -> None:
    f = _write(tmp_path / "c.csv", "transcript,code,coder,quote\nt1,Communication,JR,meet monthly\n"
                                   "t2,Clear leadership,SM,nobody really leads\n")
    assert len(import_codings(project, [f])) == 2
    assert import_codings(project, [f]) == []
    assert len(project.codings()) == 2


def test_the_readers_never_raise_anything_but_qdakit_errors_on_junk(project: Project, tmp_path: Path) -> None:
    junk = bytes(range(256)) * 3
    for name, call in [("j.txt", read_text), ("j.docx", read_docx), ("j.yaml", read_codebook),
                       ("j.csv", lambda f: read_codings(project, f)), ("j.xlsx", read_table)]:
        f = tmp_path / name
        f.write_bytes(junk)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ControlCharacterWarning)
            try:
                call(f)
            except QdakitError as exc:
                assert "\n" not in str(exc)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path




def test_import_reports_removed_control_characters(project: Project, tmp_path: Path) -> None:
    from qdakit.io.importer import import_files

    f = tmp_path / "t3.txt"
    f.write_bytes(b"Ann: We\x00 meet.\nBob: Fine.\n")
    report = import_files(project, [f])
    assert any("t3.txt, line 1: removed 1 control" in w for w in report.warnings)
    assert "\x00" not in project.transcript("t3").text
