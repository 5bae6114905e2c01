"""One filter for every text that enters a project: lone surrogates become U+FFFD, control characters go.

The reproductions of issue 28: an RTF ``\\u-10240?`` (a lone surrogate) and a
JSON or YAML codebook with ``"\\ud800"`` raised UnicodeEncodeError when the
text was hashed; RTF ``\\u27?`` and JSON ``\\u001b`` put ESC into stored text
and code names, which the command line then printed raw; a ``.qdpx`` position
of 2**63 raised OverflowError; a ``.qde``/``.qdc`` declaring Shift_JIS,
GB18030, UTF-7 or an unknown encoding raised ValueError or LookupError.
"""

from __future__ import annotations

import io
import json
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from rich.table import Table

from qdakit import Project
from qdakit.cli.common import SafeConsole, visible
from qdakit.errors import ControlCharacterWarning, ImportFormatError, QdakitError
from qdakit.io import read_transcripts
from qdakit.io.base import ParsedTranscript, Turn, clean_parsed
from qdakit.io.codebook import read_codebook
from qdakit.io.importer import import_files
from qdakit.io.refi import import_qdpx
from qdakit.io.refi.codebook import read_qdc
from qdakit.io.textclean import sanitise


def _rtf(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "notes.rtf"
    p.write_text("{\\rtf1\\ansi " + body + "}", encoding="ascii")
    return p


def test_sanitise_replaces_lone_surrogates_one_for_one_and_removes_controls() -> None:
    with pytest.warns(ControlCharacterWarning, match=r"f\.txt, line 2: removed 2 control.*replaced 1 lone surrogate"):
        out = sanitise("ok\nbad \ud800 and \x1b[2J\x00 here", "f.txt")
    assert out == "ok\nbad \ufffd and [2J here"
    assert sanitise("clean text", "f.txt") == "clean text"  # no warning (warnings are errors here)


def test_rtf_with_a_lone_surrogate_and_an_escape_imports_cleanly(tmp_path: Path) -> None:
    p = _rtf(tmp_path, r"I: Ready?\par P1: Yes \u-10240? and \u27?[2J done.\par I: Go.\par P1: Ok.")
    with Project.create(tmp_path / "p.qdakit") as project:
        report = import_files(project, [p])
        text = next(project.iter_transcripts()).text
        segs = project.segments()
    assert "\ufffd" in text and "\x1b" not in text and "Yes \ufffd and [2J done." in text
    assert any("notes.rtf, line 2" in w and "lone surrogate" in w for w in report.warnings)
    assert not segs["text"].str.contains("\x1b").any()


def test_the_boundary_keeps_offsets_right_when_characters_go() -> None:
    text = "An\x1bn: hello \x00there\n\nBob: fine\x07 thanks"
    a, b = text.index("hello"), text.index("fine")
    turns = [Turn("An\x1bn", "hello \x00there", a, a + 12), Turn("Bob", "fine\x07 thanks", b, b + 12)]
    parsed = ParsedTranscript("t\x1b1", text, turns, source="t.docx", attributes={"w\x1b": "Yr\x001"})
    parsed.check()
    with pytest.warns(ControlCharacterWarning, match=r"t\.docx, line 1: removed 3 control"):
        clean = clean_parsed(parsed)
    clean.check()  # text[start:end] == turn text for every turn
    assert [t.text for t in clean.turns] == ["hello there", "fine thanks"]
    assert [t.speaker for t in clean.turns] == ["Ann", "Bob"]
    assert clean.name == "t1" and clean.attributes == {"w": "Yr1"}
    assert clean_parsed(clean) is clean  # clean input passes untouched


def test_every_reader_passes_the_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qdakit.io import word

    p = tmp_path / "t.docx"
    p.write_bytes(b"PK")
    builder = ParsedTranscript("t", "Ann: a\x1bb", [Turn("Ann", "a\x1bb", 5, 8)], source=str(p))
    monkeypatch.setattr(word, "read_docx", lambda path: builder)
    with pytest.warns(ControlCharacterWarning):
        [parsed] = read_transcripts(p)
    assert parsed.text == "Ann: ab" and parsed.turns[0].text == "ab"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_codebooks_with_surrogates_and_escapes_load_clean(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"cb{suffix}"
    if suffix == ".json":
        p.write_text('{"codes": [{"name": "Plans\\u001b]0;pwned\\u0007", "description": "bad \\ud800 one"},\n'
                     '{"name": "Trust"}]}', encoding="utf-8")
    else:
        p.write_text('codes:\n  - name: "Trust"\n  - name: "Plans\\e[2J"\n    description: "bad \\ud800 one"\n',
                     encoding="utf-8")
    with pytest.warns(ControlCharacterWarning, match=r"cb\.(json|yaml).*code 'Plans"):
        cb = read_codebook(p)
    names = sorted(c.name for c in cb)
    assert all("\x1b" not in n and "\x07" not in n for n in names)
    assert "\ufffd" in cb["Plans]0;pwned" if suffix == ".json" else "Plans[2J"].description
    with Project.create(tmp_path / "p.qdakit") as project:
        project.load_codebook(cb)  # hashing and storing work
        assert sorted(c.name for c in project.codebook) == names


def _qdpx(path: Path, qde: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
    return path


_GUIDS = ("6f1c2f3e-0000-4000-8000-00000000000a", "6f1c2f3e-0000-4000-8000-00000000000b",
          "6f1c2f3e-0000-4000-8000-00000000000c", "6f1c2f3e-0000-4000-8000-00000000000d")


def _project_xml(start: str, code_name: str = "Plans", encoding: str = "utf-8") -> str:
    code, src, sel, ref = _GUIDS
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<Project xmlns="urn:QDA-XML:project:1.0" name="p">'
            f'<CodeBook><Codes><Code guid="{code}" name="{code_name}" isCodable="true"/></Codes></CodeBook>'
            f'<Sources><TextSource guid="{src}" name="s1"><PlainTextContent>Ann: we plan in May.</PlainTextContent>'
            f'<PlainTextSelection guid="{sel}" startPosition="{start}" endPosition="12">'
            f'<Coding guid="{ref}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
            '</TextSource></Sources></Project>')


def test_a_qdpx_position_of_2_to_the_63_is_a_clean_error(tmp_path: Path) -> None:
    p = _qdpx(tmp_path / "big.qdpx", _project_xml(str(2**63)).encode())
    with Project.create(tmp_path / "p.qdakit") as project, \
            pytest.raises(ImportFormatError, match=r"PlainTextSelection .*startPosition=9223372036854775808"):
        import_qdpx(project, p)


@pytest.mark.parametrize("encoding", ["Shift_JIS", "GB18030"])
def test_a_qde_in_an_east_asian_encoding_is_read(tmp_path: Path, encoding: str) -> None:
    p = _qdpx(tmp_path / "jp.qdpx", _project_xml("5", "計画", encoding).encode(encoding))
    with Project.create(tmp_path / "p.qdakit") as project:
        report = import_qdpx(project, p)
        assert [c.name for c in project.codebook] == ["計画"] and report.codings == 1


@pytest.mark.parametrize(("encoding", "why"), [("UTF-7", "hide markup"), ("x-no-such-thing", "does not read")])
def test_a_qdc_in_utf7_or_an_unknown_encoding_is_refused(tmp_path: Path, encoding: str, why: str) -> None:
    p = tmp_path / "cb.qdc"
    p.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                  '<Codes><Code guid="6f1c2f3e-0000-4000-8000-00000000000a" name="A" isCodable="true"/></Codes>'
                  "</CodeBook>".encode("ascii"))
    with pytest.raises(QdakitError, match=f"declares the encoding '{encoding}'.*{why}"):
        read_qdc(p)


def test_qdpx_code_names_in_c1_controls_are_cleaned(tmp_path: Path) -> None:
    p = _qdpx(tmp_path / "c1.qdpx", _project_xml("5", "Plans\u009b2J").encode())
    with Project.create(tmp_path / "p.qdakit") as project, pytest.warns(ControlCharacterWarning, match="code"):
        import_qdpx(project, p)
        assert [c.name for c in project.codebook] == ["Plans2J"]


def test_the_command_line_never_prints_a_raw_control_character() -> None:
    assert visible("a\x1b[2Jb\x00c\td\n\u009b") == "a\\x1b[2Jb\\x00c\td\n\\x9b"
    buf = io.StringIO()
    console = SafeConsole(file=buf, width=100, force_terminal=True)
    table = Table("code")
    table.add_row("Plans\x1b]0;pwned\x07")
    console.print(table)
    console.print("line \x1b[2J")
    out = buf.getvalue()
    assert "\x1b]0" not in out and "\x07" not in out and "\x1b[2J" not in out
    assert "Plans\\x1b]0;pwned\\x07" in out
    assert "\x1b[" in out  # rich's own colours still reach the terminal


def test_codebook_show_escapes_what_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from qdakit.cli import main
    from qdakit.model import Code, Codebook

    path = tmp_path / "p.qdakit"
    with Project.create(path) as project:  # as a project written before this filter existed could hold it
        project.load_codebook(Codebook([Code("Plans", description="clear\x1b[2J screen")]))
    monkeypatch.setattr(sys, "argv", ["qdakit", "codebook", "show", "-p", str(path)])
    main()
    out = capsys.readouterr().out
    assert "\x1b[2J" not in out and "\\x1b[2J" in out


def test_warnings_print_as_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from qdakit.cli import main

    cb = tmp_path / "cb.json"
    cb.write_text(json.dumps({"codes": [{"name": "Pl\x1bans"}]}), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["qdakit", "codebook", "load", str(cb), "-p", str(tmp_path / "p.qdakit")])
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        with pytest.raises(SystemExit):
            main()
    err = capsys.readouterr().err
    assert "ControlCharacterWarning" not in err and "warnings.warn" not in err
    assert "warning:" in err and "cb.json" in err
