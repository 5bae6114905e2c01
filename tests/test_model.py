from __future__ import annotations

import pytest

from qdakit import Code, Codebook, CodebookError, Coding, Segment


def test_codebook_tree_order_and_paths():
    cb = Codebook([Code("B child", parent="B"), Code("A"), Code("B"), Code("B grandchild", parent="B child")])
    assert cb.names == ("A", "B", "B child", "B grandchild")
    assert cb.path("B grandchild") == ("B", "B child", "B grandchild")
    assert cb.root_of("B grandchild") == "B"
    assert [c.name for c in cb.roots()] == ["A", "B"]
    assert cb.depth("B child") == 1
    assert "A" in cb and "Z" not in cb


def test_duplicate_names_case_insensitive_name_both_lines():
    with pytest.raises(CodebookError, match=r"cb.yaml, line 9: duplicate code name 'communication'.*line 3"):
        Codebook([Code("Communication"), Code("communication")], source="cb.yaml", lines=[3, 9])


def test_unknown_parent_and_cycle():
    with pytest.raises(CodebookError, match="parent 'Nope'"):
        Codebook([Code("A", parent="Nope")])
    with pytest.raises(CodebookError, match="cycle"):
        Codebook([Code("A", parent="B"), Code("B", parent="A")])


def test_unknown_code_lists_known():
    with pytest.raises(CodebookError, match="known codes: A"):
        Codebook([Code("A")])["B"]


def test_code_requires_name_and_normalises_examples():
    with pytest.raises(CodebookError):
        Code("  ")
    assert Code(" X ", examples=["a", "b"]).examples == ("a", "b")
    assert Code("X").name == "X"


def test_coding_needs_coder_and_valid_span():
    with pytest.raises(ValueError, match="named coder"):
        Coding("s", "c", coder="")
    with pytest.raises(ValueError, match="both start and end"):
        Coding("s", "c", "JR", start=3)
    with pytest.raises(ValueError, match="empty"):
        Coding("s", "c", "JR", start=5, end=5)


def test_dataclasses_are_frozen():
    s = Segment("t#0", "t", 0, "Ann", "hi", 0, 2)
    with pytest.raises(AttributeError):
        s.text = "changed"  # type: ignore[misc]
