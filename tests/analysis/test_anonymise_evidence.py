"""Issue 20: project-wide evidence that a word the model tagged is an ordinary word (qdakit.analysis.name_evidence)."""
from __future__ import annotations

import pytest

from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.name_evidence import NameEvidence, is_acronym, word_stem
from support import FakeNLP


def test_word_stem_and_acronym_shape():
    assert [word_stem(w) for w in ("Rebases", "rebasing", "Merged", "Ada")] == ["rebas", "rebas", "merg", "ada"]
    assert is_acronym("CRM") and is_acronym("E.U") and not is_acronym("Crm") and not is_acronym("A")


def test_a_form_of_the_word_in_lower_case_makes_it_ordinary():
    nlp = FakeNLP({"Rebases": "ORG", "Brixham": "GPE"})
    texts = ["She was rebasing the branch when we met.", "In Brixham we rebase daily.", "Then Rebases it twice."]
    anon = Anonymiser(nlp).observe(texts)
    # "rebasing"/"rebase" in lower case outweigh one capitalised "Rebases"; Brixham is never written in lower case
    assert anon.transform("Then Rebases it in Brixham.") == "Then Rebases it in [place]."


def test_a_person_stays_a_person_unless_the_word_itself_is_mostly_lower_case():
    nlp = FakeNLP({"Rob": "PERSON", "Pat": "PERSON"})
    texts = ["We asked Rob and Rob agreed.", "They rob nobody.", "Ask Pat.", "a pat on the back, a pat again"]
    anon = Anonymiser(nlp).observe(texts)
    # "rob" once in lower case against "Rob" twice inside a sentence: a name; "pat" twice against once: a word
    assert anon.transform("Then Rob met Pat.") == "Then [Person 1] met Pat."


def test_a_word_the_model_tags_in_a_minority_of_its_occurrences_is_not_a_name():
    nlp = FakeNLP({"Checks": "PERSON"})
    texts = ["Checks the log.", "NOTES Checks the diff.", "Checks the build.", "Checks again."]
    tagged_once = [nlp(texts[1]), *[FakeNLP({})(t) for t in (texts[0], texts[2], texts[3])]]
    order = [texts[1], texts[0], texts[2], texts[3]]
    anon = Anonymiser(nlp).observe(order, tagged_once)
    assert anon.transform("NOTES Checks the diff.") == "NOTES Checks the diff."
    # the same word tagged in most of its occurrences is replaced
    anon = Anonymiser(nlp).observe(texts, [nlp(t) for t in texts])
    assert anon.transform("NOTES Checks the diff.") == "NOTES [Person 1] the diff."


def test_an_acronym_used_as_a_countable_noun_is_not_a_name():
    nlp = FakeNLP({"CRM": "ORG", "SLA": "ORG", "DWP": "ORG"})
    texts = ["We bought a CRM, then another.", "All the SLAs were late.", "The DWP wrote.", "an DWP office"]
    anon = Anonymiser(nlp).observe(texts)
    assert anon.transform("The CRM, the SLA and the DWP.") == "The CRM, the SLA and the [organisation]."
    ev = NameEvidence()
    ev.add("Send an RFC. Each RFC is read. She had not met a CFO herself. An HSE inspector came.")
    assert ev.countable("RFC") and ev.countable("CFO") and not ev.countable("DWP") and not ev.countable("HSE")


def test_acronyms_keep_is_a_switch_for_jargon_heavy_studies():
    nlp = FakeNLP({"CRM": "ORG", "DWP": "ORG", "EU": "GPE", "Oxfam": "ORG"})
    text = "The CRM team, the DWP and Oxfam, all in the EU."
    assert Anonymiser(nlp).transform(text) == ("The [organisation] team, the [organisation] and [organisation], "
                                               "all in the [place].")
    kept = Anonymiser(nlp, acronyms="keep", terms={"DWP": "[government department]"})
    assert kept.transform(text) == "The CRM team, the [government department] and [organisation], all in the [place]."
    with pytest.raises(ValueError, match="names, keep"):
        Anonymiser(nlp, acronyms="none")


def test_an_acronym_place_is_not_the_stop_word_it_spells():
    nlp = FakeNLP({"US": "GPE", "IT": "ORG"})
    assert Anonymiser(nlp).transform("Our office in the US, and IT.") == "Our office in the [place], and IT."


def test_the_keep_list_keeps_plurals_of_its_words():
    nlp = FakeNLP({"Trellos": "ORG", "Trello's": "ORG", "Trellon": "ORG"})
    anon = Anonymiser(nlp, keep=["Trello"])
    assert anon.transform("Two Trellos, Trello's board, and Trellon.") == (
        "Two Trellos, Trello's board, and [organisation].")
