from __future__ import annotations

import json

import pytest

from qdakit import CodebookError, read_codebook, write_codebook
from support import EXAMPLES

YAML = """\
name: test
codes:
  - name: Communication
    description: How partners share information.
    examples: ["We email weekly."]
    codes:
      - name: Meetings
      - name: Email
  - name: Evaluation
"""


def test_yaml_nested(tmp_path):
    f = tmp_path / "cb.yaml"
    f.write_text(YAML)
    cb = read_codebook(f)
    assert cb.names == ("Communication", "Meetings", "Email", "Evaluation")
    assert cb["Email"].parent == "Communication"
    assert cb["Communication"].examples == ("We email weekly.",)


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".csv"])
def test_round_trip_every_format(tmp_path, suffix):
    f = tmp_path / "cb.yaml"
    f.write_text(YAML)
    cb = read_codebook(f)
    out = write_codebook(cb, tmp_path / f"out{suffix}")
    again = read_codebook(out)
    assert [(c.name, c.parent, c.description, c.examples) for c in again] == \
           [(c.name, c.parent, c.description, c.examples) for c in cb]


def test_yaml_duplicate_names_report_line(tmp_path):
    f = tmp_path / "cb.yaml"
    f.write_text(YAML + "  - name: communication\n")
    with pytest.raises(CodebookError, match=r"cb.yaml, line 10: duplicate code name 'communication'.*line 3"):
        read_codebook(f)


def test_csv_cycle_and_unknown_parent_report_line(tmp_path):
    f = tmp_path / "cb.csv"
    f.write_text("name,parent,description\nA,B,\nB,A,\n")
    with pytest.raises(CodebookError, match=r"cb.csv, line 2: the codebook has a cycle \(A -> B -> A\)"):
        read_codebook(f)
    f.write_text("name,parent\nA,\nB,Missing\n")
    with pytest.raises(CodebookError, match=r"cb.csv, line 3: code 'B' has parent 'Missing'"):
        read_codebook(f)


def test_json_line_numbers_and_bad_json(tmp_path):
    f = tmp_path / "cb.json"
    f.write_text(json.dumps({"codes": [{"name": "A"}, {"name": "B"}, {"name": "A"}]}, indent=1))
    with pytest.raises(CodebookError, match=r"line \d+: duplicate code name 'A'"):
        read_codebook(f)
    f.write_text('{"codes": [ {"name": "A",, } ]}')
    with pytest.raises(CodebookError, match="line 1: not valid JSON"):
        read_codebook(f)


def test_bad_inputs(tmp_path):
    (tmp_path / "e.yaml").write_text("")
    with pytest.raises(CodebookError, match="empty"):
        read_codebook(tmp_path / "e.yaml")
    (tmp_path / "x.txt").write_text("A")
    with pytest.raises(CodebookError, match="unknown codebook format"):
        read_codebook(tmp_path / "x.txt")
    (tmp_path / "u.yaml").write_text("codes:\n  - name: A\n    colur: red\n")
    with pytest.raises(CodebookError, match="line 2: unknown field.*colur"):
        read_codebook(tmp_path / "u.yaml")
    (tmp_path / "n.csv").write_text("code,parent\nA,\n")
    with pytest.raises(CodebookError, match="needs a 'name' column"):
        read_codebook(tmp_path / "n.csv")
    (tmp_path / "bad.yaml").write_text("codes:\n  - name: [unclosed\n")
    with pytest.raises(CodebookError, match="not valid YAML"):
        read_codebook(tmp_path / "bad.yaml")


def test_example_codebooks_agree():
    if not (EXAMPLES / "codebook.yaml").exists():
        pytest.skip("example study codebook not present")
    books = [read_codebook(EXAMPLES / f"codebook{s}") for s in (".yaml", ".json", ".csv")]
    rows = [[(c.name, c.parent, c.description, c.examples) for c in b] for b in books]
    assert rows[0] == rows[1] == rows[2]
    assert len(books[0].roots()) == 9
