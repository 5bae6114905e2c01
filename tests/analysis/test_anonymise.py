from __future__ import annotations

import pandas as pd
import pytest

from qdakit import Project, import_files
from qdakit.analysis.anonymise import Anonymiser
from support import EXAMPLES, FakeNLP


def test_participants_and_terms_without_model():
    anon = Anonymiser(None, participants={"Helen Baxter": "P01", "Tom": "P02"},
                      terms={"Riverside Community Trust": "[VCS organisation]", "Riverside": "[VCS organisation]"})
    text = "Helen Baxter met Tom at Riverside Community Trust; Helen's idea, Riverside's money."
    assert anon.transform(text) == ("[Participant P01] met [Participant P02] at [VCS organisation]; "
                                    "[Participant P01]'s idea, [VCS organisation]'s money.")
    # whole words only, case-insensitive
    assert anon.transform("tomorrow RIVERSIDE") == "tomorrow [VCS organisation]"
    table = anon.table()
    assert {"Helen Baxter", "Helen", "Tom", "Riverside"} <= set(table["original"])


def test_people_get_consistent_numbered_pseudonyms_and_short_names_link():
    nlp = FakeNLP({"Dave Pearson": "PERSON", "Linda Carr": "PERSON", "Dave": "PERSON", "Leeds": "GPE",
                    "Oxfam": "ORG"})
    anon = Anonymiser(nlp)
    out = anon.transform_many(["Dave Pearson and Linda Carr went to Leeds.", "Then Dave rang Oxfam."])
    assert out == ["[Person 1] and [Person 2] went to [place].", "Then [Person 1] rang [organisation]."]


def test_known_names_take_precedence_over_model_entities():
    nlp = FakeNLP({"Helen Baxter": "PERSON"})
    anon = Anonymiser(nlp, participants={"Helen Baxter": "P01"})
    assert anon.transform("Ask Helen Baxter.") == "Ask [Participant P01]."
    assert anon.table().query("kind == 'person'").empty


def test_save_table_apart(tmp_path):
    anon = Anonymiser(None, participants={"Helen Baxter": "P01"})
    path = anon.save_table(tmp_path / "pseudonyms.csv")
    assert pd.read_csv(path).iloc[0].to_dict() == {"original": "Helen Baxter", "kind": "participant",
                                                   "pseudonym": "[Participant P01]"}


@pytest.mark.realmodel
def test_real_spacy_recall_on_example_study(tmp_path):
    """The bundled spaCy model with the participant list catches >= 95% of planted person names."""
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    with Project.create(tmp_path / "p.qdakit") as p:
        import_files(p, [EXAMPLES / "interviews"], attributes=[EXAMPLES / "participants.csv"])
        anon = Anonymiser.for_project(p)
        seg = p.segments()
        texts = pd.Series(anon.transform_many(seg["text"]), index=seg.index)
        joined = texts.groupby(seg["transcript"]).apply(" ".join)
    planted = pd.read_csv(EXAMPLES / "planted_entities.csv").query("kind == 'person'")
    import re

    caught = [re.search(r"(?<!\w)" + re.escape(r.entity) + r"(?!\w)", joined[r.transcript]) is None
              for r in planted.itertuples()]
    assert sum(caught) / len(caught) >= 0.95
    assert "[Participant P01]" in joined["P01_LA_Yr1"]


def test_module_example_runs():
    import doctest

    import qdakit.analysis.anonymise as module

    assert doctest.testmod(module).failed == 0


def test_for_project_names_researchers_as_such(tmp_path):
    from dataclasses import replace

    from support import make_transcript

    t, segs = make_transcript("t", [("Kate Morrison", "Hi Helen, Kate here."), ("Helen Baxter", "Hi Kate.")])
    with Project.create(tmp_path / "a.qdakit") as p:
        p.add_transcripts([(t, [replace(s, participant="R1" if s.speaker.startswith("Kate") else "P01")
                                for s in segs])])
        p.set_participant_attributes("R1", {"role": "researcher"})
        anon = Anonymiser.for_project(p, nlp=None)
    assert anon.transform("Kate Morrison asked Helen Baxter; Kate wrote it up.") == \
        "[Researcher] asked [Participant P01]; [Researcher] wrote it up."
