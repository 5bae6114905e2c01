"""Seeded theme building, co-occurrence measures, inductive candidate codes and clean labels.

The FakeEmbedder (texts sharing words are close) carries the logic; the real model adds
nothing to whether a code lands beside its seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdakit import Code, Codebook, CodebookError
from qdakit.embed import FakeEmbedder
from qdakit.themes import (
    ThemeClusterer,
    ThemeSeed,
    npmi,
    ochiai,
    place_codes,
    read_seeds,
    seeds_from,
)
from qdakit.themes.ctfidf import terms
from qdakit.themes.seeding import NAME_WEIGHTS, NO_SEED_NAME_WEIGHT, choose_name_weight, propagate

TOPICS = {
    "funding": "funding budget grant money cuts council finance pot".split(),
    "meetings": "meeting steering agenda minutes monthly chair room town".split(),
    "volunteers": "volunteers recruit training rota youth club evenings helpers".split(),
}
CODES = {"funding": ["budget", "grants", "cuts"], "meetings": ["agenda", "chairing", "minutes"],
         "volunteers": ["recruiting", "training", "rota"]}


def problem(per: int = 9, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, Codebook]:
    """Nine codes, three per topic, each on three segments of its topic."""
    rng = np.random.default_rng(seed)
    rows, codings = [], []
    for topic, pool in TOPICS.items():
        for i in range(per):
            words = list(rng.choice(pool, size=6, replace=False))
            rows.append({"id": f"{topic}{i}", "text": " ".join(["we", "said", *words]), "participant": f"P{i % 3}"})
        for j, name in enumerate(CODES[topic]):
            codings += [(f"{topic}{i}", name) for i in range(3 * j, 3 * j + 3)]
    names = [c for cs in CODES.values() for c in cs]
    return pd.DataFrame(rows), pd.DataFrame(codings, columns=["segment_id", "code"]), Codebook([Code(n) for n in names])


def emb() -> FakeEmbedder:
    return FakeEmbedder(dim=256)


# -- co-occurrence ------------------------------------------------------------------------
def test_npmi_ignores_a_code_applied_everywhere_and_ochiai_does_not():
    M = np.array([[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0]])
    P, overlap = npmi(M), ochiai(M)
    assert P[0, 1] == pytest.approx(1.0)
    assert P[0, 2] == 0.0 and P[2, 3] == 0.0  # the hub code: no lift over chance with anyone
    assert overlap[0, 2] > 0.5  # raw overlap rewards the hub
    assert P[0, 3] == 0.0


def test_npmi_needs_min_count_shared_segments():
    M = np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]])
    assert npmi(M, min_count=2)[0, 1] == 0.0
    assert npmi(M, min_count=1)[0, 1] > 0.9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1), min_size=8, max_size=8), min_size=2, max_size=6))
def test_npmi_is_symmetric_bounded_zero_diagonal(rows):
    P = npmi(np.array(rows))
    assert np.allclose(P, P.T)
    assert (P >= 0).all() and (P <= 1).all()
    assert (np.diag(P) == 0).all()


# -- seeds: parsing ----------------------------------------------------------------------------
def test_seeds_from_accepts_lists_sentences_mappings_and_objects():
    seeds = seeds_from({"Funding": ["budget"], "Trust": "how partners rely on each other",
                        "Meetings": {"description": "how partners meet", "codes": ["agenda"]}, "Other": None})
    assert [s.name for s in seeds] == ["Funding", "Trust", "Meetings", "Other"]
    assert seeds[0].codes == ("budget",) and seeds[1].description.startswith("how")
    assert seeds[2] == ThemeSeed("Meetings", "how partners meet", ("agenda",))
    assert seeds_from([ThemeSeed("A")]) == [ThemeSeed("A")]


@pytest.mark.parametrize("bad, message", [
    ({}, "no seeded theme"),
    ({"A": ["budget"], "B": ["budget"]}, "seeded in two themes"),
    ({"A": {"codes": ["x"], "colour": "red"}}, "unknown key"),
    ({" ": ["x"]}, "empty name"),
])
def test_bad_seeds_are_refused_with_a_reason(bad, message):
    with pytest.raises(CodebookError, match=message):
        seeds_from(bad)


def test_read_seeds_yaml(tmp_path):
    p = tmp_path / "themes.yaml"
    p.write_text("themes:\n  - name: Funding\n    description: money\n    codes: [budget, grants]\n"
                 "  - name: Meetings\n", encoding="utf-8")
    assert read_seeds(p) == [ThemeSeed("Funding", "money", ("budget", "grants")), ThemeSeed("Meetings")]
    flat = tmp_path / "flat.yaml"
    flat.write_text("Funding: [budget]\nMeetings: how partners meet\n", encoding="utf-8")
    assert [s.name for s in read_seeds(flat)] == ["Funding", "Meetings"]


@pytest.mark.parametrize("text, message", [
    ("themes:\n  - description: no name\n", "has no name"),
    ("themes: [\n", "not valid YAML"),
    ("- 1\n- 2\n", "has no name"),
    ("just a string\n", "expected a list of themes"),
])
def test_read_seeds_bad_files_say_where(tmp_path, text, message):
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=message) as info:
        read_seeds(p)
    assert str(p) in str(info.value)


# -- placing codes ----------------------------------------------------------------------------
def test_one_seed_per_theme_places_every_other_code_in_its_topic():
    segs, codings, codebook = problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(
        segs, codings, codebook, seeds={"Money": ["budget"], "Meetings": ["agenda"], "People": ["recruiting"]})
    topic = {c: t for t, cs in CODES.items() for c in cs}
    where = {"Money": "funding", "Meetings": "meetings", "People": "volunteers"}
    placed = {p.code: p for p in tc.placements_}
    assert set(placed) == set(codebook.names)
    for code, p in placed.items():
        assert p.theme is not None and where[p.theme] == topic[code], p
        assert 0 < p.confidence <= 1
    assert placed["budget"].seeded and placed["budget"].reason == "placed here by the researcher"
    assert not placed["grants"].seeded and "closest to" in placed["grants"].reason
    assert placed["grants"].nearest[0] in CODES["funding"]
    # themes keep the researcher's names and order
    assert [t.name for t in tc.themes_] == ["Money", "Meetings", "People"]
    assert [t.id for t in tc.themes_] == [1, 2, 3]
    assert set(tc.themes_[0].members) == set(CODES["funding"])


def test_seed_codes_stay_where_the_researcher_put_them_even_against_the_data():
    segs, codings, codebook = problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(
        segs, codings, codebook, seeds={"Odd": ["budget", "agenda"], "People": ["recruiting"]})
    placed = {p.code: p.theme for p in tc.placements_}
    assert placed["budget"] == placed["agenda"] == "Odd"


def test_theme_names_alone_attract_codes_that_read_like_them():
    segs, codings, codebook = problem()
    seeds = {"funding budget money": [], "meeting agenda minutes": [], "volunteers training rota": []}
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook, seeds=seeds)
    topic = {c: t for t, cs in CODES.items() for c in cs}
    ok = sum(p.theme is not None and p.theme.split()[0].startswith(topic[p.code][:4]) for p in tc.placements_)
    assert ok >= 7  # of 9; the fake embedder shares words, names only are a weaker signal
    assert not any(p.seeded for p in tc.placements_)


def test_a_code_that_fits_no_theme_is_proposed_for_a_new_one():
    segs, codings, codebook = problem()
    tc = ThemeClusterer("codes", embedder=emb(), min_fit=0.3).fit(
        segs, codings, codebook, seeds={"Money": ["budget"]})
    new = [p for p in tc.placements_ if p.new]
    assert {p.code for p in new} == set(CODES["meetings"] + CODES["volunteers"])
    assert all(p.theme is None and p.proposed_theme is not None and p.proposed_theme > 1 for p in new)
    assert "fits no seeded theme" in new[0].reason
    # the proposed new themes are themes of the listing, numbered after the seeded one
    proposed = {t.id: set(t.members) for t in tc.themes_ if t.name is None}
    assert set().union(*proposed.values()) == {p.code for p in new}
    assert {p.proposed_theme for p in new} == set(proposed)


def test_unknown_seed_code_is_refused_with_the_fix():
    segs, codings, codebook = problem()
    with pytest.raises(CodebookError, match="budgte.*spelling"):
        ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook, seeds={"Money": ["budgte"]})


def test_seeds_with_n_themes_or_segments_are_refused():
    segs, codings, codebook = problem()
    with pytest.raises(ValueError, match="leave n_themes unset"):
        ThemeClusterer("codes", embedder=emb(), n_themes=2).fit(segs, codings, codebook, seeds={"A": ["budget"]})
    with pytest.raises(ValueError, match="of='codes'"):
        ThemeClusterer("segments", embedder=emb()).fit(segs, codings, codebook, seeds={"A": ["budget"]})


def test_place_codes_is_a_pure_function_over_vectors():
    X = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=float)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    out = place_codes(["a", "b", "c", "d"], X, [ThemeSeed("A", codes=("a",)), ThemeSeed("C", codes=("c",))], None)
    assert [p.theme for p in out] == ["A", "A", "C", "C"]
    assert out[1].nearest == ("a",) and out[1].confidence > 0.5


# -- unsupervised default -------------------------------------------------------------------------
def test_default_clusters_codes_by_topic_with_npmi():
    segs, codings, codebook = problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook)
    assert tc.n_themes_ == 3
    assert np.allclose(tc.cooccurrence_, npmi(tc._incidence))
    groups = {frozenset(t.members) for t in tc.themes_}
    assert groups == {frozenset(cs) for cs in CODES.values()}


def test_ochiai_is_still_available_and_feeds_merges():
    segs, codings, codebook = problem()
    tc = ThemeClusterer("codes", embedder=emb(), cooccurrence="ochiai").fit(segs, codings, codebook)
    assert np.allclose(tc.cooccurrence_, ochiai(tc._incidence))
    with pytest.raises(ValueError, match="use 'npmi' or 'ochiai'"):
        ThemeClusterer("codes", embedder=emb(), cooccurrence="jaccard").fit(segs, codings, codebook)


# -- labels ------------------------------------------------------------------------------------------
def test_placeholders_and_excluded_names_never_become_key_terms():
    out = terms(["[Participant P01] said the [VCS organisation] budget was cut by Helen"],
                stop_words=["helen"])
    flat = {w for doc in out for t in doc for w in t.split()}
    assert "budget" in flat
    assert not flat & {"participant", "p01", "vcs", "organisation", "helen"}


def test_a_placeholder_broken_across_lines_is_no_key_term():
    # a transcriber's redaction as pdfplumber gives it from a PDF page: one placeholder over two lines
    out = terms(["the retro board was shared [Deleted to\npreserve the participant anonymity] every sprint"])
    flat = {w for doc in out for t in doc for w in t.split()}
    assert "retro" in flat or "board" in flat
    assert not flat & {"delete", "deleted", "preserve", "anonymity"}


def test_exclude_terms_keep_names_out_of_labels_and_headline_has_a_quote():
    segs, codings, codebook = problem()
    funding = segs["id"].str.startswith("funding")
    segs.loc[funding, "text"] = segs.loc[funding, "text"] + " Gemma Gemma"
    plain = ThemeClusterer("codes", embedder=emb(), n_terms=12).fit(segs, codings, codebook)
    assert any("gemma" in t.label for t in plain.themes_)  # a name said in one theme's answers reads as a term
    tc = ThemeClusterer("codes", embedder=emb(), n_terms=12, exclude_terms=["Gemma Hart"]).fit(segs, codings, codebook)
    assert not any("gemma" in " ".join(t.label) for t in tc.themes_)
    t = tc.themes_[0]
    assert t.headline.startswith(", ".join(t.label[:3]))
    assert t.quotes[0].text in t.headline


# -- inductive candidate codes --------------------------------------------------------------------------
def test_uncoded_segments_no_code_covers_cluster_into_candidate_codes():
    segs, codings, codebook = problem()
    extra = pd.DataFrame({"id": [f"transport{i}" for i in range(5)],
                          "text": [f"buses trains parking transport travel route {w}" for w in
                                   ["late", "slow", "costly", "rural", "again"]],
                          "participant": "P9"})
    segs = pd.concat([segs, extra], ignore_index=True)
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook)
    found = tc.propose_codes(max_fit=0.2, min_size=3)
    assert len(found) == 1
    cand = found[0]
    assert set(cand.segments) == set(extra["id"])
    assert cand.size == 5 and cand.fit < 0.2
    assert {"buses", "trains", "transport"} & set(cand.terms)
    assert cand.quotes and cand.quotes[0].segment_id in set(extra["id"])
    assert tc.propose_codes(min_size=6) == []


# -- project level and command line ------------------------------------------------------------------
@pytest.fixture
def seeded_project(tmp_path):
    """The nine-code problem as a project: each participant answers an interviewer."""
    from qdakit import Project
    from support import make_transcript

    segs, codings, codebook = problem()
    p = Project.create(tmp_path / "seeded.qdakit")
    turns: dict[str, list[tuple[str, str]]] = {}
    for r in segs.itertuples():
        turns.setdefault(r.participant, []).append(("Interviewer", "Tell me more?"))
        turns[r.participant].append((f"Helen Baxter {r.participant}", r.text))
    p.add_transcripts([make_transcript(who, t) for who, t in turns.items()])
    text_to_id = {s.text: s.id for s in p.iter_segments()}
    p.load_codebook(codebook)
    for r in codings.itertuples():
        p.code(text_to_id[segs.set_index("id").loc[r.segment_id, "text"]], r.code, coder="JR")
    yield p
    p.close()


def test_exclusion_vocabulary_holds_speakers_and_placeholders(seeded_project):
    from qdakit.themes import exclusion_vocabulary
    from support import make_transcript

    seeded_project.add_transcripts([make_transcript("extra", [("Helen Baxter P0", "Ask [Person 2] at the "
                                                                                  "[VCS organisation] about it")])])
    words = set(exclusion_vocabulary(seeded_project))
    assert {"helen", "baxter", "person", "vcs", "organisation"} <= words
    assert "budget" not in words


def test_fit_project_themes_with_seeds_keeps_names_out_of_terms(seeded_project):
    from qdakit.themes import fit_project_themes

    tc = fit_project_themes(seeded_project, embedder=emb(), seeds={"Money": ["budget"], "Meetings": ["agenda"]},
                            exclude_terms=["Funding"])
    assert {t.name for t in tc.themes_} >= {"Money", "Meetings"}
    for t in tc.themes_:
        assert not {"helen", "baxter", "funding"} & set(t.label)


def test_cli_seed_file_places_codes_and_adopts_by_the_seeded_name(seeded_project, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from qdakit.cli import app
    from qdakit.cli.themes import register

    if not any(getattr(c.callback, "__name__", "") == "themes" for c in app.registered_commands):
        register(app)
    monkeypatch.setattr("qdakit.themes.project_themes.default_embedder", lambda project: emb())
    seeds = tmp_path / "themes.yaml"
    seeds.write_text("themes:\n  - name: Money\n    codes: [budget]\n  - name: Meetings\n    codes: [agenda]\n"
                     "  - name: People\n    codes: [recruiting]\n  - name: Weather\n", encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["themes", "-p", str(seeded_project.path), "--seed", str(seeds), "--new-codes"])
    assert r.exit_code == 0, r.output
    assert "seeded by you" in r.output and "Where each code went" in r.output
    assert "placed here by the researcher" in r.output
    assert "Code names weighted" in r.output
    assert "Weather: no code was placed here" in r.output
    before = seeded_project.codings()
    r = runner.invoke(app, ["themes", "-p", str(seeded_project.path), "--adopt", "1", "--coder", "SM"])
    assert r.exit_code == 0, r.output
    assert {c.name for c in seeded_project.codebook.children("Money")} == {"budget", "grants", "cuts"}
    pd.testing.assert_frame_equal(seeded_project.codings(), before)  # no human coding touched
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - codes: [budget]\n", encoding="utf-8")
    r = runner.invoke(app, ["themes", "-p", str(seeded_project.path), "--seed", str(bad)])
    # a QdakitError: `qdakit` (cli.main) prints it as one line, no traceback
    assert isinstance(r.exception, CodebookError) and "theme 1 has no name" in str(r.exception)


@pytest.mark.parametrize("module", ["clusterer", "cooccurrence", "seeding"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"qdakit.themes.{module}"))
    assert result.attempted > 0 and result.failed == 0


# -- the code names as a second channel, their weight chosen by leave one seed out ----------------------
def _two_topics(informative: str, rng_seed: int = 0):
    """Eight codes in two themes: either their vectors or their names tell the themes apart, the other is noise."""
    rng = np.random.default_rng(rng_seed)
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    topic = np.eye(32)[[0, 1]]  # theme directions
    clear = topic[truth] + 0.1 * rng.normal(size=(8, 32))
    noise = rng.normal(size=(8, 32))
    X, N = (clear, noise) if informative == "vectors" else (noise, clear)
    unit = lambda V: V / np.linalg.norm(V, axis=1, keepdims=True)  # noqa: E731
    return unit(X), unit(N), unit(topic + 0.1 * rng.normal(size=(2, 32))), truth


@pytest.mark.parametrize("informative, expected", [("vectors", 0.0), ("names", 1.0)])
def test_leave_one_seed_out_gives_the_names_weight_only_where_they_tell_themes_apart(informative, expected):
    X, N, A, truth = _two_topics(informative)
    seed = np.full(8, -1)
    seed[[0, 1, 4, 5]] = truth[[0, 1, 4, 5]]
    # no theme nodes: only the codes decide; ties go to the smaller weight
    w, recovered = choose_name_weight(X, seed, None, 2, N, None, candidates=(0.0, 1.0))
    assert w == expected
    assert recovered == 1.0


def test_leaving_a_seed_out_matches_propagating_without_it():
    X, N, A, truth = _two_topics("names", rng_seed=3)
    seed = np.array([0, 0, -1, -1, 1, -1, -1, -1])
    for w in (0.0, 0.5):
        _, recovered = choose_name_weight(X, seed, A, 2, N, A, candidates=(w,), anchor_weight=2.0)
        by_hand = []
        for i in (0, 1, 4):
            hidden = seed.copy()
            hidden[i] = -1
            F = propagate(X, hidden, A, 2, names=N, name_anchors=A, name_weight=w, anchor_weight=2.0)
            by_hand.append(F[i].argmax() == seed[i])
        assert recovered == pytest.approx(np.mean(by_hand))


def test_names_place_codes_whose_vectors_cannot():
    X, N, A, truth = _two_topics("names")
    codes = [f"c{i}" for i in range(8)]
    seeds = [ThemeSeed("First", codes=("c0",)), ThemeSeed("Second", codes=("c4",))]
    by_names = place_codes(codes, X, seeds, A, names=N, name_weight=1.0)
    assert [seeds.index(next(s for s in seeds if s.name == p.theme)) for p in by_names] == truth.tolist()
    assert by_names[0].seeded and by_names[0].confidence == 1.0  # the researcher's seed stays put
    auto = place_codes(codes, X, seeds, A, names=N)  # "auto": the seeds choose the weight
    assert [p.theme for p in auto] == [p.theme for p in by_names]
    with pytest.raises(ValueError, match="'auto'"):
        place_codes(codes, X, seeds, A, names=N, name_weight="names")


def test_no_seed_code_means_the_middle_weight():
    X, N, A, _ = _two_topics("names")
    assert choose_name_weight(X, np.full(8, -1), A, 2, N, A) == (NO_SEED_NAME_WEIGHT, 0.0)


def test_clusterer_reports_the_weight_the_names_got_and_refuses_a_bad_one():
    segs, codings, codebook = problem()
    seeds = {"Money": ["budget", "grants"], "Meetings": ["agenda", "minutes"], "People": ["recruiting"]}
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook, seeds=seeds)
    assert tc.seed_name_weight_ in NAME_WEIGHTS
    placed = {p.code: p.theme for p in tc.placements_}
    assert all(placed[c] == t for t, cs in seeds.items() for c in cs)
    fixed = ThemeClusterer("codes", embedder=emb(), name_weight=0.5).fit(segs, codings, codebook, seeds=seeds)
    assert fixed.seed_name_weight_ == 0.5
    with pytest.raises(ValueError, match="name_weight='names'"):
        ThemeClusterer("codes", embedder=emb(), name_weight="names").fit(segs, codings, codebook, seeds=seeds)
