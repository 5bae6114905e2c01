"""REFI-QDA cases round-trip: one case per participant, linked to that participant's segments (issue 26.2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest

from qdakit import Project, import_files
from qdakit.io.refi import export_qdpx, import_qdpx
from support import EXAMPLES

ATTRS = ["participant", "sector", "wave", "role", "is_researcher"]


@pytest.fixture
def study(tmp_path):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    p = Project.create(tmp_path / "study.qdakit")
    import_files(p, [EXAMPLES / "interviews"], attributes=[EXAMPLES / "participants.csv"])
    import_files(p, [EXAMPLES / "focus_group"], attributes=[EXAMPLES / "focus_group" / "participants.csv"],
                 questions=EXAMPLES / "focus_group" / "questions.txt")
    yield p
    p.close()


def _view(p: Project) -> pd.DataFrame:
    seg = p.segments()
    return seg[["transcript", "index", "speaker", "text", *ATTRS]].sort_values(["transcript", "index"]).reset_index(
        drop=True)


def test_own_export_round_trips_participants_and_their_attributes(study, tmp_path):
    report = export_qdpx(study, tmp_path / "s.qdpx")
    assert not report.not_exported, report.not_exported
    with Project.create(tmp_path / "back.qdakit") as back:
        imported = import_qdpx(back, tmp_path / "s.qdpx")
        assert not [line for line in imported.not_carried_over if "case" in line], imported.not_carried_over
        before, after = _view(study), _view(back)
        assert after["participant"].notna().all()
        pd.testing.assert_frame_equal(before, after)
        # focus-group speakers keep their own attributes, the moderator stays the researcher
        fg = after[after["transcript"] == "FG01_Yr1"].drop_duplicates("speaker").set_index("speaker")
        assert fg.loc["P2", "sector"] == "VCS" and fg.loc["P6", "sector"] == "Elected member"
        assert fg.loc["Moderator", "is_researcher"] and not fg.loc["P1", "is_researcher"]
        assert back.summary()["participants"] == study.summary()["participants"]


def test_each_case_links_to_each_of_its_participants_segments(study, tmp_path):
    export_qdpx(study, tmp_path / "s.qdpx")
    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = ET.fromstring(zipfile.ZipFile(tmp_path / "s.qdpx").read("project.qde"))
    cases = root.findall("q:Cases/q:Case", ns)
    seg = study.segments()
    assert sorted(c.get("name") for c in cases) == sorted(seg["participant"].dropna().unique())
    selections = {s.get("guid") for s in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")}
    for case in cases:
        refs = [r.get("targetGUID") for r in case.findall("q:SelectionRef", ns)]
        assert len(refs) == (seg["participant"] == case.get("name")).sum() and set(refs) <= selections
