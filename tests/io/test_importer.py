from __future__ import annotations

import pytest

from qdakit import AttributesError, DuplicateTranscriptError, ImportFormatError, Project, import_files
from qdakit.io.importer import apply_attributes, collect_paths


def _write(folder, name, text, encoding="utf-8"):
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture
def files(tmp_path):
    d = tmp_path / "study"
    d.mkdir()
    _write(d, "int1.txt", "Interview one\nInterviewer: How do you talk?\nAnn: We meet monthly.\n\n"
                          "And we email.\nInterviewer: Thanks.\nAnn: Café, naïve, 你好 🙂 fine.\n")
    _write(d, "int2.txt", "Interviewer: Who leads?\nBob: The council.\nInterviewer: Why?\nBob: Money.\n")
    _write(d, "README.md", "# not a transcript\n")
    _write(d, "participants.csv", "participant,speaker,transcript,sector\nP1,Ann,int1,VCS\nP2,Bob,int2,LA\n"
                                  "R1,Interviewer,,\n")
    return d


def test_import_folder_round_trip_offsets(tmp_path, files):
    with Project.create(tmp_path / "p.qdakit") as p:
        report = import_files(p, [files], attributes=[files / "participants.csv"])
        assert report.transcripts == ["int1", "int2"]  # README and the csv are not transcripts
        df = p.segments()
        for row in df.itertuples():
            assert p.transcript(row.transcript_id).text[row.start:row.end] == row.text
        ann = df[df.speaker == "Ann"]
        assert set(ann.participant) == {"P1"} and set(ann.sector) == {"VCS"}
        assert "你好 🙂" in ann.text.iloc[-1]
        assert df[df.speaker == "Interviewer"].is_researcher.all()


def test_import_is_all_or_nothing(tmp_path, files):
    _write(files, "broken.txt", "")
    with Project.create(tmp_path / "p.qdakit") as p:
        with pytest.raises(ImportFormatError, match="broken.txt: the file is empty"):
            import_files(p, [files])
        assert p.summary()["transcripts"] == 0
        (files / "broken.txt").unlink()
        import_files(p, [files / "int1.txt"])
        with pytest.raises(DuplicateTranscriptError):
            import_files(p, [files])  # int2 is new but int1 is a duplicate: nothing imported
        assert p.summary()["transcripts"] == 1


def test_cp1252_and_bom(tmp_path, files):
    _write(files, "int3.txt", "Interviewer: Caf\u00e9?\nCy: \u201cYes\u201d \u2013 fine.\n", "cp1252")
    _write(files, "int4.txt", "\ufeffInterviewer: Hi?\nDi: Hello.\n", "utf-8")
    with Project.create(tmp_path / "p.qdakit") as p:
        import_files(p, [files / "int3.txt", files / "int4.txt"])
        texts = p.segments().text.tolist()
        assert "\u201cYes\u201d \u2013 fine." in texts and texts[2] == "Hi?"


def test_unknown_speaker_in_attributes_leaves_project_unchanged(tmp_path, files):
    bad = _write(files, "bad.csv", "participant,speaker,transcript,sector\nP1,Anne,int1,VCS\n")
    with Project.create(tmp_path / "p.qdakit") as p:
        with pytest.raises(AttributesError, match="bad.csv, line 2: speaker 'Anne'"):
            import_files(p, [files / "int1.txt"], attributes=[bad])
        assert p.summary()["transcripts"] == 0


def test_apply_attributes_later(tmp_path, files):
    with Project.create(tmp_path / "p.qdakit") as p:
        import_files(p, [files])
        assert p.segments().participant.isna().all()
        apply_attributes(p, [files / "participants.csv"])
        df = p.segments()
        assert set(df[df.speaker == "Bob"].participant) == {"P2"}
        assert p.transcripts().set_index("name").loc["int2", "sector"] == "LA"


def test_collect_paths_errors(tmp_path):
    with pytest.raises(ImportFormatError, match="no such file"):
        collect_paths([tmp_path / "nope"])
    with pytest.raises(ImportFormatError, match="no transcript files found"):
        collect_paths([tmp_path])
