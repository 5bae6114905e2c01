"""The anonymisation review (issue 29's /anonymise page): entries in context, saved choices used by exports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from qdakit import Code, Codebook, CodebookError, Project
from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.anonymise_review import ENTRY_COLUMNS, anonymisation_entries, save_anonymise_choice
from qdakit.io.exports import write_quotations
from support import FakeNLP, make_transcript

NLP = FakeNLP({"Dave Pearson": "PERSON", "Riverside": "ORG", "Scrum": "ORG", "Leeds": "GPE"})


@pytest.fixture
def study(tmp_path: Path) -> Project:
    t, segs = make_transcript("t1", [
        ("Interviewer", "Tell me about Riverside and Scrum."),
        ("Helen Baxter", "I work with Dave Pearson at Riverside, and Scrum keeps us honest."),
        ("Bob Stone", "Helen is right: Scrum helps, and Riverside in Leeds pays. Ask Marsh."),
        ("Helen Baxter", "Scrum again, every day, at Riverside."),
    ])
    who = {"Interviewer": None, "Helen Baxter": "P01", "Bob Stone": "P02"}
    p = Project.create(tmp_path / "study.qdakit")
    p.add_transcripts([(t, [replace(s, participant=who[s.speaker]) for s in segs])])
    p.set_participant_attributes("P01", {"sector": "VCS"})
    p.load_codebook(Codebook([Code("Ways of working")]))
    for sid in ("t1#1", "t1#2", "t1#3"):
        p.code(sid, "Ways of working", "JR")
    yield p
    p.close()


def _entries(p: Project) -> pd.DataFrame:
    return anonymisation_entries(p, nlp=NLP).set_index("term")


def test_one_entry_per_term_with_kind_replacement_counts_and_context(study: Project) -> None:
    table = anonymisation_entries(study, nlp=NLP)
    assert list(table.columns) == ENTRY_COLUMNS
    e = table.set_index("term")
    assert list(table["term"][:2]) == ["Riverside", "Scrum"]  # most frequent first (3 each, by name)
    assert e.loc["Riverside", ["kind", "replacement", "n", "segments", "transcripts"]].tolist() == [
        "org", "[organisation]", 3, 3, 1]  # the interviewer's mention is not counted
    assert e.loc["Helen", ["kind", "replacement", "n"]].tolist() == ["participant", "[Participant P01]", 1]
    assert e.loc["Dave Pearson", ["kind", "replacement"]].tolist() == ["person", "[Person 1]"]
    assert e.loc["Leeds", "kind"] == "place" and "Marsh" not in e.index
    assert e["choice"].isna().all()
    text = study.transcript("t1").text
    for ex in e.loc["Riverside", "examples"]:
        assert ex["snippet"][ex["term_start"]:ex["term_end"]] == "Riverside"
        assert text[ex["start"]:ex["end"]] == "Riverside"
    assert [ex["segment_id"] for ex in e.loc["Riverside", "examples"]] == ["t1#1", "t1#2", "t1#3"]
    assert len(anonymisation_entries(study, nlp=NLP, examples=1).set_index("term").loc["Riverside", "examples"]) == 1


def test_long_context_is_cut_at_words_with_an_ellipsis(study: Project) -> None:
    table = anonymisation_entries(study, nlp=NLP, context=10).set_index("term")
    ex = table.loc["Dave Pearson", "examples"][0]
    assert ex["snippet"] == "…with Dave Pearson at…"  # 10 characters each side, whole words
    assert ex["snippet"][ex["term_start"]:ex["term_end"]] == "Dave Pearson"


def test_saved_choices_show_in_the_review_and_are_used_by_the_quotes_export(study: Project, tmp_path: Path) -> None:
    save_anonymise_choice(study, "Scrum", "keep", "JR")
    save_anonymise_choice(study, "Riverside", "replace", "JR", "[VCS organisation]", kind="org")
    save_anonymise_choice(study, "Marsh", "replace", "AB", kind="person")  # a name the model missed
    save_anonymise_choice(study, "Helen", "keep", "AB")  # a participant's first name, e.g. a place's name
    e = _entries(study)
    assert e.loc["Scrum", ["choice", "chosen_by"]].tolist() == ["keep", "JR"]  # still listed, to be undone
    assert e.loc["Riverside", ["replacement", "choice"]].tolist() == ["[VCS organisation]", "replace"]
    assert e.loc["Marsh", ["kind", "n", "choice"]].tolist() == ["person", 1, "replace"]
    out = write_quotations(study, tmp_path / "q.csv", anonymiser=Anonymiser.for_project(study, nlp=NLP))
    quotes = " ".join(pd.read_csv(out)["quote"])
    assert "Scrum" in quotes and "Riverside" not in quotes and "[VCS organisation]" in quotes
    assert "Marsh" not in quotes and "Dave Pearson" not in quotes and "[place]" in quotes
    assert "Helen is right" in quotes  # kept: never replaced
    # Marsh is numbered as the model's people are: no two people share a pseudonym
    anon = Anonymiser.for_project(study, nlp=NLP)
    assert anon.transform("Marsh met Dave Pearson.") in ("[Person 1] met [Person 2].", "[Person 2] met [Person 1].")
    # without the choices, as before the review
    plain = Anonymiser.for_project(study, nlp=NLP, choices=False).transform("Scrum at Riverside, Marsh.")
    assert plain == "[organisation] at [organisation], Marsh."


def test_a_later_choice_replaces_the_earlier_one(study: Project) -> None:
    save_anonymise_choice(study, "Scrum", "replace", "JR", "[method]")
    save_anonymise_choice(study, "Scrum", "keep", "AB")
    assert study.anonymise_choices()[["term", "choice", "coder"]].values.tolist() == [["Scrum", "keep", "AB"]]
    assert Anonymiser.for_project(study, nlp=NLP).transform("Scrum works.") == "Scrum works."


def test_a_choice_wins_over_the_terms_and_keep_given_to_the_export(study: Project) -> None:
    save_anonymise_choice(study, "Riverside", "keep", "JR")
    save_anonymise_choice(study, "Leeds", "replace", "JR", "[city]")
    anon = Anonymiser.for_project(study, nlp=NLP, terms={"Riverside": "[VCS organisation]"}, keep=["Leeds"])
    assert anon.transform("Riverside in Leeds.") == "Riverside in [city]."


def test_a_saved_choice_of_a_term_no_longer_found_is_still_listed(study: Project) -> None:
    save_anonymise_choice(study, "Oldham", "keep", "JR", kind="place")
    row = _entries(study).loc["Oldham"]
    assert row[["kind", "n", "choice", "chosen_by"]].tolist() == ["place", 0, "keep", "JR"]


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("[Person 1]", "keep", "JR"), {}, "placeholder"),
    (("Scrum", "drop", "JR"), {}, "'keep'"),
    (("Scrum", "keep", "JR", "[method]"), {}, "no replacement"),
    (("Riverside", "replace", "JR", "Riverside Trust"), {}, "would publish it"),
    (("Riverside", "replace", "JR"), {"kind": "company"}, "unknown kind"),
    (("", "keep", "JR"), {}, "needs the term"),
    (("Scrum", "keep", " "), {}, "human coder"),
])
def test_invalid_choices_are_refused_and_nothing_saved(study: Project, args, kwargs, message) -> None:
    with pytest.raises(CodebookError, match=message):
        save_anonymise_choice(study, *args, **kwargs)
    assert study.anonymise_choices().empty


def test_apply_choices_without_a_project() -> None:
    anon = Anonymiser(NLP, participants={"Helen Baxter": "P01"}).apply_choices([
        {"term": "Scrum", "kind": "org", "choice": "keep", "replacement": ""},
        {"term": "Leeds", "kind": "place", "choice": "replace", "replacement": ""},
        {"term": "Helen", "kind": "participant", "choice": "keep", "replacement": ""},
    ])
    assert anon.transform("Helen Baxter uses Scrum in Leeds; Helen agrees.") == (
        "[Participant P01] uses Scrum in [place]; Helen agrees.")
    assert "Helen" not in set(anon.table()["original"])


@pytest.mark.realmodel
def test_review_with_the_real_spacy_model(tmp_path: Path) -> None:
    t, segs = make_transcript("t1", [
        ("Interviewer", "How did the project go?"),
        ("Helen Baxter", "I met Sarah Jones from Oxfam in Manchester last spring, and we planned the work."),
        ("Helen Baxter", "Sarah Jones rang me again in March about the Manchester office."),
    ])
    with Project.create(tmp_path / "real.qdakit") as p:
        p.add_transcripts([(t, [replace(s, participant=None if s.speaker == "Interviewer" else "P01")
                                for s in segs])])
        p.load_codebook(Codebook([Code("Planning")]))
        p.code("t1#1", "Planning", "JR")
        p.code("t1#2", "Planning", "JR")
        e = anonymisation_entries(p).set_index("term")
        assert e.loc["Sarah Jones", ["kind", "n"]].tolist() == ["person", 2]
        for term, row in e.iterrows():
            save_anonymise_choice(p, str(term), "keep", "JR", kind=row["kind"])
        out = write_quotations(p, tmp_path / "q.csv", anonymiser=Anonymiser.for_project(p))
        quotes = " ".join(pd.read_csv(out)["quote"])
    assert "Sarah Jones" in quotes and "[Person" not in quotes  # every entry kept: the text as it was


@pytest.mark.realmodel
def test_a_named_pipelines_entities_are_remembered_so_a_reload_runs_no_model(monkeypatch) -> None:
    texts = ["Sarah Jones met Tom Price in Leeds.", "Nobody is named here."]
    first = Anonymiser().spans_many(texts)
    assert [r.original for r in first[0]] == ["Sarah Jones", "Tom Price", "Leeds"]
    monkeypatch.setattr(Anonymiser, "_pipeline", lambda self: pytest.fail("the model ran again"))
    assert Anonymiser().spans_many(texts) == first
    assert Anonymiser().transform_many(texts[:1]) == ["[Person 1] met [Person 2] in [place]."]
