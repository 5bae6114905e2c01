from __future__ import annotations

import pandas as pd
import pytest

from qdakit import CodingError
from qdakit.io.codings import import_codings


def _csv(tmp_path, rows, name="c.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_quote_matching_keeps_span_and_tolerates_whitespace(project, tmp_path):
    path = _csv(tmp_path, [
        {"transcript": "t1", "speaker": "Ann", "quote": "meet  monthly\nand", "code": "Communication", "coder": "JR"},
        {"transcript": "t2", "speaker": "", "quote": "nobody really leads", "code": "Clear leadership",
         "coder": "SM"},
    ])
    added = import_codings(project, [path])
    seg = project.segment("t1#1")
    first = added[0]
    assert first.segment_id == "t1#1"
    assert project.transcript("t1").text[first.start:first.end] == "meet monthly and"
    assert seg.start <= first.start < first.end <= seg.end
    assert added[1].segment_id == "t2#1" and added[1].coder == "SM"


def test_segment_id_rows_and_coder_option(project, tmp_path):
    path = _csv(tmp_path, [{"segment_id": "t1#2", "code": "Funding"}])
    (coding,) = import_codings(project, [path], coder="JR")
    assert (coding.segment_id, coding.coder, coding.start) == ("t1#2", "JR", None)


@pytest.mark.parametrize(("row", "message"), [
    ({"transcript": "t1", "quote": "not in the text", "code": "Communication", "coder": "JR"}, "not found"),
    ({"transcript": "t1", "quote": "We meet", "code": "Nope", "coder": "JR"}, "'Nope' is not in the project's"),
    ({"transcript": "t9", "quote": "We meet", "code": "Communication", "coder": "JR"}, "transcript 't9'"),
    ({"transcript": "t1", "quote": "We meet", "code": "Communication", "coder": ""}, "no coder"),
])
def test_bad_rows_name_the_line_and_write_nothing(project, tmp_path, row, message):
    good = {"transcript": "t1", "quote": "We meet monthly", "code": "Communication", "coder": "JR"}
    path = _csv(tmp_path, [good, row])
    with pytest.raises(CodingError, match=f"c.csv, line 3: .*{message}"):
        import_codings(project, [path])
    assert project.codings().empty


def test_ambiguous_quote(project, tmp_path):
    path = _csv(tmp_path, [{"transcript": "t1", "quote": "a", "code": "Communication", "coder": "JR"}])
    with pytest.raises(CodingError, match="occurs .* times"):
        import_codings(project, [path])


def test_an_empty_code_says_the_coder_read_the_segment_and_no_code_applies(project, tmp_path):
    path = _csv(tmp_path, [
        {"transcript": "t1", "quote": "We meet monthly", "code": "Communication", "coder": "JR", "reviewed": ""},
        {"transcript": "t1", "quote": "Funding was cut", "code": "", "coder": "JR", "reviewed": ""},
        {"transcript": "t2", "quote": "nobody really leads", "code": "Clear leadership", "coder": "SM",
         "reviewed": "yes"},
        {"transcript": "", "quote": "", "code": "", "coder": "", "reviewed": ""},  # a blank row: skipped
    ])
    added = import_codings(project, [path])
    assert [(c.segment_id, c.code) for c in added] == [("t1#1", "Communication"), ("t2#1", "Clear leadership")]
    marks = project.reviewed()
    assert marks[["segment_id", "coder", "coded"]].values.tolist() == [["t1#2", "JR", False], ["t2#1", "SM", True]]


def test_a_bad_row_after_an_empty_code_stores_neither(project, tmp_path):
    path = _csv(tmp_path, [{"segment_id": "t1#2", "code": "", "coder": "JR"},
                           {"segment_id": "t1#1", "code": "Nope", "coder": "JR"}])
    with pytest.raises(CodingError, match="line 3"):
        import_codings(project, [path])
    assert project.reviewed().empty and project.codings().empty


def test_duplicates_are_found_by_lookup_not_by_a_query_per_row(project, tmp_path):
    """Issue 28: a query per row over the segment's codings made an import quadratic (40,000 rows: 106 s)."""
    from qdakit import Coding

    code = next(iter(project.codebook)).name
    rows = [Coding("t1#1", code, f"coder{i}") for i in range(3000)]
    statements: list[str] = []
    project._con.set_trace_callback(statements.append)
    try:
        added = project.add_codings([*rows, *rows[:10]])  # ten repeated within the input
    finally:
        project._con.set_trace_callback(None)
    assert len(added) == 3000 and [c.coder for c in added] == [f"coder{i}" for i in range(3000)]
    ids = [c.id for c in added]
    assert ids == list(range(ids[0], ids[0] + 3000))
    stored = project.codings().set_index("coder")["id"]
    assert all(stored[c.coder] == c.id for c in added[::250])  # the ids returned are the stored ones
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) < 20
    assert project.add_codings(rows) == []  # re-import adds nothing
    recode = Coding("t1#1", code, "coder0", supersedes=ids[0])
    assert len(project.add_codings([recode])) == 1  # a recode is always added
