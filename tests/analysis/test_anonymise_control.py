"""Issue 20: anonymiser precision and control (keep-list, codebook and label words, case, --ner)."""
from __future__ import annotations

import pytest

from qdakit.analysis.anonymise import (
    LABEL_WORDS,
    Anonymiser,
    codebook_words,
    is_placeholder,
    read_keep,
    read_terms,
    strip_placeholders,
)
from qdakit.errors import ImportFormatError
from qdakit.model import Code, Codebook
from support import FakeNLP


def test_label_words_of_speaker_labels_are_not_names():
    anon = Anonymiser(ner="off", participants={"PARTICIPANT 12": "P12", "Helen Baxter": "P01"})
    text = "Every participant in the retro, and Participant 3 too, agreed with Helen."
    assert anon.transform(text) == text.replace("Helen", "[Participant P01]")
    assert "PARTICIPANT" not in set(anon.table()["original"])


def test_first_name_replaced_whole_word_in_its_own_case():
    anon = Anonymiser(ner="off", participants={"Mark Ellis": "P07"})
    assert anon.transform("Mark said we should mark the date; Markham is elsewhere.") == (
        "[Participant P07] said we should mark the date; Markham is elsewhere.")


def test_keep_list_and_codebook_words_are_never_replaced_by_the_model():
    nlp = FakeNLP({"Scrum": "PERSON", "Gherkin": "PERSON", "QA": "ORG", "Software": "ORG", "Dave Pearson": "PERSON"})
    cb = Codebook([Code("Software quality", description="How the team talks about QA and testing.")])
    anon = Anonymiser(nlp, keep=["Scrum", "gherkin"]).protect(codebook_words(cb))
    out = anon.transform("Dave Pearson said Scrum and Gherkin help QA. Software quality rose.")
    assert out == "[Person 1] said Scrum and Gherkin help QA. Software quality rose."


def test_a_name_with_a_code_word_in_it_is_replaced_whole():
    nlp = FakeNLP({"Alan Green": "PERSON", "Green": "PERSON"})
    cb = Codebook([Code("Green spaces", description="Parks and green space.")])
    anon = Anonymiser(nlp).protect(codebook_words(cb))
    assert anon.transform("Alan Green runs it.") == "[Person 1] runs it."
    assert anon.transform("Green is good.") == "Green is good."


def test_protected_words_trimmed_from_the_edges_of_an_entity():
    nlp = FakeNLP({"Councillor Holt": "PERSON", "Scrum Dave": "PERSON"})
    anon = Anonymiser(nlp, keep=["Scrum"])
    assert anon.transform("Ask Councillor Holt, not Scrum Dave.") == "Ask Councillor [Person 1], not Scrum [Person 2]."


def test_existing_placeholders_are_left_alone():
    nlp = FakeNLP({"Deleted": "PERSON", "Person 1": "PERSON"})
    anon = Anonymiser(nlp)
    text = "I work at [Deleted to preserve the participant anonymity] with [Person 1]."
    assert anon.transform(text) == text


def test_ner_modes():
    nlp = FakeNLP({"Dave": "PERSON", "Oxfam": "ORG", "Leeds": "GPE"})
    text = "Dave from Oxfam in Leeds."
    assert Anonymiser(nlp, ner="all").transform(text) == "[Person 1] from [organisation] in [place]."
    assert Anonymiser(nlp, ner="people").transform(text) == "[Person 1] from Oxfam in Leeds."
    anon = Anonymiser(nlp)
    anon.transform_many([text, text])
    assert anon.table().values.tolist() == [["Dave", "person", "[Person 1]"], ["Oxfam", "org", "[organisation]"],
                                            ["Leeds", "place", "[place]"]]
    assert Anonymiser(nlp, ner="off").transform(text) == text
    with pytest.raises(ValueError, match="off, people, all"):
        Anonymiser(nlp, ner="everything")


def test_common_words_the_model_took_for_names_are_kept():
    nlp = FakeNLP({"Request": "PERSON", "Holt": "PERSON"})
    anon = Anonymiser(nlp).observe(["a pull request", "the request was late", "we asked Holt"])
    assert anon.transform("Request from Holt.") == "Request from [Person 1]."


def test_possessive_of_a_person_is_the_same_person():
    nlp = FakeNLP({"Margaret Holt's": "PERSON", "Margaret Holt": "PERSON"})
    anon = Anonymiser(nlp)
    assert anon.transform_many(["Margaret Holt came.", "Margaret Holt's idea."]) == [
        "[Person 1] came.", "[Person 1]'s idea."]


def test_capitalised_term_matches_its_case_lower_case_term_any_case():
    anon = Anonymiser(ner="off", terms={"Food Network": "[VCS organisation]", "millbrook": "[place]"})
    assert anon.transform("The Food Network, a food network, MILLBROOK and Millbrook.") == (
        "The [VCS organisation], a food network, [place] and [place].")


def test_placeholder_helpers_for_key_terms():
    assert strip_placeholders("[Person 1] said [Deleted to\npreserve anonymity] hi").split() == ["said", "hi"]
    assert is_placeholder(" [organisation] ") and not is_placeholder("[a] b")
    assert {"participant", "researcher", "interviewer", "speaker"} <= LABEL_WORDS


def test_read_keep(tmp_path):
    f = tmp_path / "keep.txt"
    f.write_text("# study words\nScrum\n\nQA  # quality assurance\n", encoding="utf-8")
    assert read_keep(f) == ["Scrum", "QA"]


def test_read_terms_reads_the_example_study_and_names_a_wrong_header(tmp_path):
    from support import EXAMPLES

    terms = read_terms(EXAMPLES / "anonymise_terms.csv")
    assert terms["Riverside Community Trust"] == "[VCS organisation]"
    bad = tmp_path / "terms.csv"
    bad.write_text("name,placeholder\nRiverside,[VCS organisation]\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"terms.csv: a terms file needs the columns term,replacement"):
        read_terms(bad)


@pytest.mark.realmodel
def test_real_spacy_precision_on_example_study(tmp_path):
    """With the real model, >= 95% of the replaced words are planted names; code words are never replaced."""
    import re

    import pandas as pd

    from qdakit import Project, import_files
    from qdakit.io.codebook import read_codebook
    from support import EXAMPLES

    with Project.create(tmp_path / "p.qdakit") as p:
        import_files(p, [EXAMPLES / "interviews"], attributes=[EXAMPLES / "participants.csv"])
        p.load_codebook(read_codebook(EXAMPLES / "codebook.yaml"))
        words = codebook_words(p.codebook)
        terms = dict(pd.read_csv(EXAMPLES / "anonymise_terms.csv").itertuples(index=False, name=None))
        anon = Anonymiser.for_project(p, terms=terms)
        seg = p.segments()
        spans = anon.spans_many(seg["text"].tolist())
    planted = pd.read_csv(EXAMPLES / "planted_entities.csv")
    hit = total = 0
    for text, tname, found in zip(seg["text"], seg["transcript"], spans, strict=True):
        gold = [m.span() for e in planted.loc[planted["transcript"] == tname, "entity"]
                for m in re.finditer(r"(?<!\w)" + re.escape(e) + r"(?!\w)", text)]
        for r in found:
            assert r.original.lower() not in words and r.original.lower() not in LABEL_WORDS
            for m in re.finditer(r"\w+", r.original):
                s, e = r.start + m.start(), r.start + m.end()
                total += 1
                hit += any(gs <= s and e <= ge for gs, ge in gold)
    assert total > 100 and hit / total >= 0.95
