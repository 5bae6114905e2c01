"""The import audit end to end: computed per file, stored with each transcript, a dry run that writes
nothing, the language check, and survey tables whose respondents give the same answer."""

from __future__ import annotations

import doctest
import json
import sqlite3
from pathlib import Path

import pytest

import qdakit.io.audit as audit_module
from qdakit import DuplicateTranscriptError, ImportFormatError, Project, import_files
from qdakit.io.audit import ImportAudit, language_warning, model_covers
from qdakit.io.importer import DEFAULT_EMBEDDING_MODEL, check_files
from qdakit.project import store
from qdakit.project.audits import load_audits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def test_module_examples_run():
    assert doctest.testmod(audit_module).failed == 0


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def notes(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    _write(d, "s1.txt", "Session 1\n\nThe room was cold and the recorder started late.\n\n"
                        "I: What do you grow?\nP1: Beans and onions.\nI: Why?\nP1: They keep.\n"
                        "I: And the shed?\nP1: Mended it.\nP2: I helped.\n")
    return d


def test_import_stores_an_audit_per_transcript(tmp_path, notes):
    with Project.create(tmp_path / "p.qdakit") as p:
        report = import_files(p, [notes])
        stored = load_audits(p)
    audit = report.audits["s1"]
    assert audit.coverage == 1.0
    assert audit.segments == 8 and audit.speakers == {"I": 3, "P1": 3, "P2": 1}
    assert audit.unresolved == len("The room was cold and the recorder started late.".replace(" ", ""))
    assert audit.language == "en"
    assert audit.flagged_speakers == {"P2": "seen once"}
    assert any("no speaker" in w for w in audit.warnings)
    assert stored == {"s1": json.loads(audit.to_json())}
    assert ImportAudit.from_json(audit.to_json()) == audit


def test_check_reads_and_audits_but_writes_nothing(tmp_path, notes):
    before = sorted(tmp_path.rglob("*"))
    report = check_files([notes, FIXTURES / "messy_da.docx"])
    assert sorted(tmp_path.rglob("*")) == before  # no project file, nothing else
    assert report.transcripts == ["s1", "messy_da"] and report.segments == 8 + 10
    assert "Samtale 4" not in report.audits["messy_da"].report()  # the report names kinds, not text
    assert "legend: I1 = Interviewer 1" in report.audits["messy_da"].report()


def test_a_language_the_model_does_not_cover_is_warned_about(tmp_path):
    report = check_files([FIXTURES / "messy_da.docx"])
    audit = report.audits["messy_da"]
    assert audit.language == "da"
    assert any("covers English only" in w for w in audit.warnings)
    multilingual = check_files([FIXTURES / "messy_da.docx"],
                               embedding_model="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    assert not any("English only" in w for w in multilingual.audits["messy_da"].warnings)
    assert not any("English only" in w for w in check_files([FIXTURES / "interview.txt"]).audits["interview"].warnings)


def test_model_language_table():
    assert model_covers("sentence-transformers/all-MiniLM-L6-v2", "en") is True
    assert model_covers("sentence-transformers/all-MiniLM-L6-v2", "de") is False
    assert model_covers("sentence-transformers/LaBSE", "da") is True
    assert model_covers("my-lab/own-model", "da") is None
    assert language_warning("da", "my-lab/own-model") is None and language_warning(None, DEFAULT_EMBEDDING_MODEL) is None


def test_default_embedding_model_is_the_embedders_default():
    from qdakit.embed import DEFAULT_MODEL_ID

    assert DEFAULT_EMBEDDING_MODEL == DEFAULT_MODEL_ID


def test_survey_table_with_the_same_answer_under_two_respondents_imports(tmp_path):
    table = _write(tmp_path, "survey.csv", "respondent,answer\nR1,No.\nR2,No.\nR3,\"Yes, often.\"\n")
    cols = {"text": "answer", "speaker": None, "transcript": "respondent"}
    with Project.create(tmp_path / "p.qdakit") as p:
        report = import_files(p, [table], columns=cols)
        assert report.transcripts == ["R1", "R2", "R3"]
        assert list(p.segments()["text"]) == ["No.", "No.", "Yes, often."]
        # the whole file imported twice is still refused, naming the clash
        with pytest.raises(DuplicateTranscriptError, match="R1"):
            import_files(p, [table], columns=cols)
        assert len(p.transcripts()) == 3


def test_duplicate_errors_name_both_rows_or_files(tmp_path):
    a = _write(tmp_path, "a.csv", "respondent,answer\nR1,I walk to work every day.\n")
    b = _write(tmp_path, "b.csv", "respondent,answer\nR9,I walk to work every day.\n")
    cols = {"text": "answer", "speaker": None, "transcript": "respondent"}
    with Project.create(tmp_path / "p.qdakit") as p:
        with pytest.raises(ImportFormatError, match=r"b\.csv, row 2: same text as .*a\.csv, row 2"):
            import_files(p, [a, b], columns=cols)
        assert p.transcripts().empty
    c = _write(tmp_path, "c.txt", "I: Hi.\nP: Yo.\nI: So.\nP: Ok.\n")
    d = _write(tmp_path, "d.txt", "I: Hi.\nP: Yo.\nI: So.\nP: Ok.\n")
    with pytest.raises(ImportFormatError, match=r"d\.txt: same text as .*c\.txt; is it a copy"):
        check_files([c, d])


def test_version_3_project_gets_the_audit_table(tmp_path):
    path = tmp_path / "old.qdakit"
    Project.create(path).close()
    con = sqlite3.connect(path)
    con.execute("DROP TABLE import_audits")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Project.open(path) as p:
        assert p._scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(store.SCHEMA_VERSION)
        assert load_audits(p) == {}


def test_a_failed_import_stores_no_audit(tmp_path, notes):
    _write(notes, "broken.txt", "")
    with Project.create(tmp_path / "p.qdakit") as p:
        with pytest.raises(ImportFormatError):
            import_files(p, [notes])
        assert load_audits(p) == {}


def test_legend_researchers_ask_the_questions(tmp_path):
    # "O" is no common researcher label; the legend says O is an interviewer, so only O's turns can ask
    _write(tmp_path, "h1.txt", "O = Interviewer; X = Informant\n\nX: How do you heat the house? My son asks me.\n"
                               "O: So how do you heat your house?\nX: With gas.\nO: Thank you.\nX: Bye.\n")
    with Project.create(tmp_path / "p.qdakit") as p:
        report = import_files(p, [tmp_path / "h1.txt"], questions=[("Q1", "How do you heat the house?")])
        segs = p.segments().set_index("id")
    (match,) = report.questions["h1"]
    assert segs.loc[match.segment_id, "speaker"] == "O"
    assert segs.loc[match.segment_id, "text"] == "So how do you heat your house?"


def test_legend_researchers_are_researchers_in_the_segments_table(tmp_path):
    _write(tmp_path, "h2.txt", "I = Interviewer 1; O = Interviewer 2; X = Informant\n\nI: Hej.\nO: Hvor bor du?\n"
                               "X: Her.\nO: Godt.\nX: Ja.\nI: Tak.\n")
    with Project.create(tmp_path / "p.qdakit") as p:
        import_files(p, [tmp_path / "h2.txt"])
        segs = p.segments()
    assert dict(zip(segs["speaker"], segs["is_researcher"], strict=False)) == {"I": True, "O": True, "X": False}


def test_speakers_labelled_in_brackets_are_flagged(tmp_path):
    _write(tmp_path, "b.txt", "[Ann] Hello there.\n[Bob] Hi.\n[Alle griner] Ja.\n[Ann] So.\n[Alle griner] Nej.\n[Bob] Ok.\n")
    audit = check_files([tmp_path / "b.txt"]).audits["b"]
    # each is also seen in only 2 turns (fewer than 3: flagged since issue 25)
    assert audit.flagged_speakers == {"Ann": "seen in 2 turns, bracketed", "Bob": "seen in 2 turns, bracketed",
                                      "Alle griner": "seen in 2 turns, bracketed"}
    assert any("'Alle griner': seen in 2 turns, bracketed" in w for w in audit.warnings)
    assert audit.flagged_turns["Alle griner"] == ["b#2", "b#4"]
