"""Candidate themes: clustering, labels, proposals, adoption, CLI and plot.

The deterministic FakeEmbedder (texts sharing words are close) carries the logic
tests; one test runs the bundled MiniLM end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from qdakit import Code, Codebook, CodebookError, CodingError, NotFittedError, Project
from qdakit.embed import FakeEmbedder
from qdakit.themes import (
    AgglomerativeThemes,
    CandidateTheme,
    CTfidfLabeller,
    HDBSCANThemes,
    KMeansThemes,
    ThemeClusterer,
    adopt,
    adopt_from_listing,
    fit_project_themes,
    load_themes,
    save_themes,
    theme_table,
    themes_path,
)
from qdakit.themes.ctfidf import ctfidf, top_terms
from qdakit.themes.steps import modularity
from support import make_transcript

TOPICS = {
    "funding": "funding budget grant money cuts council finance pot".split(),
    "meetings": "meeting steering agenda minutes monthly chair room town".split(),
    "volunteers": "volunteers recruit training rota youth club evenings helpers".split(),
}


def synth(seed: int = 0, per: int = 6) -> pd.DataFrame:
    """Segments on three topics: each draws 6 of its topic's 8 words (plus two shared words)."""
    rng = np.random.default_rng(seed)
    rows = []
    for topic, pool in TOPICS.items():
        for i in range(per):
            words = list(rng.choice(pool, size=6, replace=False))
            rows.append({"id": f"{topic}{i}", "text": " ".join(["we", "said", *words]), "topic": topic,
                         "participant": f"P{i % 3}", "sector": "LA" if i % 2 else "VCS"})
    return pd.DataFrame(rows)


def emb() -> FakeEmbedder:
    return FakeEmbedder(dim=256)


def code_problem() -> tuple[pd.DataFrame, pd.DataFrame, Codebook]:
    """Six codes: three on funding segments, three on meeting segments."""
    segs = synth(per=9)
    codings = []
    for topic, names in (("funding", ["budget", "grants", "cuts"]), ("meetings", ["agenda", "chairing", "minutes"])):
        ids = segs.loc[segs["topic"] == topic, "id"].tolist()
        for j, name in enumerate(names):
            codings += [(sid, name) for sid in ids[3 * j:3 * j + 3]]
    codebook = Codebook([Code(n) for n in ["budget", "agenda", "grants", "chairing", "cuts", "minutes"]])
    return segs, pd.DataFrame(codings, columns=["segment_id", "code"]), codebook


# -- clustering -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segment_themes_recovered_and_number_chosen(seed):
    segs = synth(seed)
    tc = ThemeClusterer("segments", embedder=emb()).fit(segs)
    assert tc.n_themes_ == 3
    assert adjusted_rand_score(segs["topic"], tc.labels_) == 1.0
    assert [t.id for t in tc.themes_] == [1, 2, 3]
    assert all(t.size == 6 and len(t.quotes) == 3 for t in tc.themes_)


def test_code_themes_recovered_with_cooccurrence_and_definitions():
    segs, codings, codebook = code_problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook)
    groups = sorted(sorted(t.members) for t in tc.themes_)
    assert groups == [["agenda", "chairing", "minutes"], ["budget", "cuts", "grants"]]
    assert tc.items_ == list(codebook.names)  # codebook order
    theme = tc.themes_[0]
    assert len(theme.segments) == 9 and theme.spread["participant"] == {"P0": 3, "P1": 3, "P2": 3}


def test_fixed_number_of_themes():
    tc = ThemeClusterer("segments", embedder=emb(), n_themes=2).fit(synth())
    assert tc.n_themes_ == 2 and sorted(t.size for t in tc.themes_) == [6, 12]


def test_clustering_is_deterministic():
    a = ThemeClusterer("segments", embedder=emb()).fit(synth(3))
    b = ThemeClusterer("segments", embedder=emb()).fit(synth(3))
    assert [t.to_dict() for t in a.themes_] == [t.to_dict() for t in b.themes_]


@pytest.mark.parametrize("clusterer", [
    AgglomerativeThemes("average", select="silhouette"),
    AgglomerativeThemes("complete", select="modularity"),
    KMeansThemes(),
    HDBSCANThemes(min_cluster_size=3),
    AgglomerativeClustering(n_clusters=3),  # a plain scikit-learn clusterer, through fit_predict
])
def test_clustering_step_is_swappable(clusterer):
    segs = synth()
    tc = ThemeClusterer("segments", embedder=emb(), clusterer=clusterer, reducer=PCA(8)).fit(segs)
    assert adjusted_rand_score(segs["topic"], tc.labels_) == 1.0


def test_modularity_of_two_triangles_joined_by_an_edge():
    # the textbook example: m = 7 edges, each triangle
    # holds 3 edges and has degree 7: Q = 2 * (3/7 - (7/14)**2) = 5/14
    W = np.zeros((6, 6))
    for a, b in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]:
        W[a, b] = W[b, a] = 1.0
    assert modularity(W, np.array([0, 0, 0, 1, 1, 1])) == pytest.approx(5 / 14)
    assert modularity(W, np.zeros(6, dtype=int)) == pytest.approx(0.0)
    # cross-check on a weighted graph against networkx (installed with torch)
    rng = np.random.default_rng(0)
    R = np.triu(rng.random((9, 9)), 1)
    R = R + R.T
    labels = rng.integers(0, 3, 9)
    G = nx.from_numpy_array(R)
    parts = [set(np.flatnonzero(labels == c).tolist()) for c in set(labels.tolist())]
    assert modularity(R, labels) == pytest.approx(nx.community.modularity(G, parts, weight="weight"))


def test_modularity_cut_finds_the_number_of_groups():
    # three groups of codes, alike within (0.6) and not across (-0.1): the best cut is 3 themes
    groups = np.repeat([0, 1, 2], [4, 3, 2])
    S = np.where(groups[:, None] == groups[None, :], 0.6, -0.1)
    np.fill_diagonal(S, 1.0)
    labels = AgglomerativeThemes("complete", select="modularity").cluster(np.eye(9), S)
    assert adjusted_rand_score(groups, labels) == 1.0


def test_hdbscan_refuses_a_fixed_number():
    with pytest.raises(ValueError, match="chooses the number of themes itself"):
        ThemeClusterer("segments", embedder=emb(), clusterer=HDBSCANThemes(), n_themes=3).fit(synth())


def test_scikit_learn_conventions():
    tc = ThemeClusterer("codes", embedder=emb(), n_themes=2, definition_weight=0.3)
    assert tc.get_params()["definition_weight"] == 0.3 and not hasattr(tc, "labels_")
    assert clone(tc).get_params()["n_themes"] == 2
    with pytest.raises(NotFittedError):
        tc.propose_merges()
    segs, codings, codebook = code_problem()
    assert tc.fit(segs, codings, codebook) is tc
    with pytest.raises(ValueError, match="needs the codings"):
        ThemeClusterer("codes", embedder=emb()).fit(segs)
    with pytest.raises(ValueError, match="'segments' or 'codes'"):
        ThemeClusterer("themes", embedder=emb()).fit(segs)  # type: ignore[arg-type]


def test_short_segments_are_not_clustered():
    segs = pd.concat([synth(), pd.DataFrame({"id": ["hi", "empty"], "text": ["Yes, fine.", "  "]})])
    tc = ThemeClusterer("segments", embedder=emb()).fit(segs)
    assert "hi" not in tc.items_ and "empty" not in tc.items_ and len(tc.items_) == 18


# -- labels ---------------------------------------------------------------------------
def test_ctfidf_labels_hold_the_distinctive_words():
    segs = synth()
    tc = ThemeClusterer("segments", embedder=emb()).fit(segs)
    for t in tc.themes_:
        topic = segs.set_index("id").loc[t.members[0], "topic"]
        assert t.label and set(t.label) <= set(TOPICS[topic]) | {"minute", "volunteer", "helper", "evening",
                                                                   "cut", "meeting", "recruit", "train"}
        assert "say" not in t.label and "we" not in t.label


def test_ctfidf_weighs_a_class_exclusive_term_highest():
    W, vocab = ctfidf([["webcam", "webcam", "exam", "student"], ["privacy", "exam", "student"]])
    assert top_terms(W, vocab, 1) == [["webcam"], ["privacy"]]
    assert (W >= 0).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=8), min_size=1,
                max_size=5))
def test_ctfidf_is_nonnegative_and_zero_for_absent_terms(classes):
    W, vocab = ctfidf(classes)
    assert W.shape == (len(classes), len(vocab)) and (W >= 0).all()
    for c, terms in enumerate(classes):
        for j, term in enumerate(vocab):
            if term not in terms:
                assert W[c, j] == 0


def test_labeller_leaves_out_given_names():
    labels = CTfidfLabeller(stop_words=["sandra"]).label(
        ["Sandra chairs the steering meeting", "funding grant cut"], np.array([0, 1]))
    assert "sandra" not in labels[0] and "steering" in labels[0]


# -- proposals ------------------------------------------------------------------------
def test_merge_proposed_for_near_duplicate_cooccurring_codes():
    segs, codings, codebook = code_problem()
    budget = codings[codings["code"] == "budget"]
    dup = budget.assign(code="money")  # applied to the same segments as "budget"
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, pd.concat([codings, dup]))
    merges = tc.propose_merges()
    assert [m.codes for m in merges] == [("budget", "money")]
    assert merges[0].shared_segments == 3 and merges[0].cooccurrence == pytest.approx(1.0)
    assert "3 segments carry both" in merges[0].reason


def test_no_merge_without_cooccurrence():
    segs, codings, codebook = code_problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook)
    # budget and grants read alike (same topic) but never share a segment
    assert tc.propose_merges(min_similarity=0.0) == []


def test_split_proposed_for_a_code_with_two_clear_subgroups():
    segs, codings, codebook = code_problem()
    broad = pd.DataFrame({"segment_id": segs["id"][segs["topic"] != "volunteers"], "code": "partnership"})
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, pd.concat([codings, broad]))
    splits = tc.propose_splits()
    assert [s.code for s in splits] == ["partnership"]
    halves = {frozenset(segs.set_index("id").loc[list(g), "topic"]) for g in splits[0].groups}
    assert halves == {frozenset({"funding"}), frozenset({"meetings"})}
    assert splits[0].silhouette >= 0.25 and all(splits[0].labels)


def test_outlier_segments_fit_no_theme():
    segs, codings, codebook = code_problem()
    odd = pd.DataFrame({"id": ["odd"], "text": ["the weather forecast says rain and thunder tomorrow"]})
    tc = ThemeClusterer("codes", embedder=emb()).fit(pd.concat([segs, odd]),
                                                    pd.concat([codings, pd.DataFrame({"segment_id": ["odd"],
                                                                                      "code": ["budget"]})]))
    assert tc.outliers_["segment_id"].tolist() == ["odd"]


# -- adoption -------------------------------------------------------------------------
@pytest.fixture
def themed(tmp_path: Path) -> Project:
    """A project whose segments and codings are the synthetic code problem."""
    segs, codings, _ = code_problem()
    p = Project.create(tmp_path / "themes.qdakit")
    turns = {}
    for r in segs.itertuples():
        turns.setdefault(r.participant, []).append(("Interviewer", "Tell me more?"))
        turns[r.participant].append((f"Speaker{r.participant}", r.text))
    p.add_transcripts([make_transcript(who, t) for who, t in turns.items()])
    text_to_id = {s.text: s.id for s in p.iter_segments()}
    old_to_new = {r.id: text_to_id[r.text] for r in segs.itertuples()}
    p.load_codebook(Codebook([Code("Partnership"), *(Code(c, parent="Partnership")
                                                     for c in ["budget", "agenda", "grants"]),
                              Code("chairing"), Code("cuts"), Code("minutes")]))
    for r in codings.itertuples():
        p.code(old_to_new[r.segment_id], r.code, coder="JR")
    yield p
    p.close()


def test_adopt_codes_theme_changes_codebook_only_when_called(themed):
    before_cb, before_codings = themed.codebook.to_records(), themed.codings()
    tc = fit_project_themes(themed, of="codes", embedder=emb())
    assert themed.codebook.to_records() == before_cb  # listing changed nothing
    funding = next(t for t in tc.themes_ if "budget" in t.members)
    code = adopt(themed, funding, "Money", coder="SM", description="Resources of every kind.")
    cb = themed.codebook
    assert code.name == "Money" and code.parent is None
    assert "Adopted by SM" in code.description and code.description.startswith("Resources of every kind.")
    assert {c.name for c in cb.children("Money")} == {"budget", "grants", "cuts"}
    assert cb["agenda"].parent == "Partnership"  # the other theme's codes are untouched
    after = themed.codings()
    pd.testing.assert_frame_equal(after, before_codings)
    assert themed.summary()["suggestions_pending"] == 0


def test_adopted_theme_goes_under_the_common_parent(themed):
    tc = fit_project_themes(themed, of="codes", embedder=emb(), n_themes=4)
    theme = CandidateTheme(99, "codes", ("budget",), ("budget", "grants"), (1.0, 1.0), ())
    assert tc.n_themes_ == 4
    adopt(themed, theme, "Funding streams", coder="SM")
    assert themed.codebook["Funding streams"].parent == "Partnership"
    assert themed.codebook["grants"].parent == "Funding streams"


def test_adopt_segments_theme_stores_pending_suggestions_not_codings(themed):
    n_codings = len(themed.codings())
    tc = fit_project_themes(themed, of="segments", embedder=emb())
    theme = tc.themes_[0]
    adopt(themed, theme, "Volunteering", coder="SM")
    pending = themed.suggestions(status="pending")
    assert sorted(pending["segment_id"]) == sorted(theme.members) and set(pending["code"]) == {"Volunteering"}
    assert pending["score"].between(0, 1).all() and len(themed.codings()) == n_codings
    assert "adopted by SM" in pending["reason"].iloc[0]


def test_failed_adoption_leaves_the_project_as_it_was(themed):
    tc = fit_project_themes(themed, of="codes", embedder=emb())
    before = themed.codebook.to_records()
    with pytest.raises(CodingError, match="named human coder"):
        adopt(themed, tc.themes_[0], "Money", coder=" ")
    with pytest.raises(CodebookError, match="already in the codebook"):
        adopt(themed, tc.themes_[0], "partnership", coder="SM")
    gone = CandidateTheme(7, "codes", (), ("budget", "no such code"), (1.0, 1.0), ())
    with pytest.raises(CodebookError, match="no longer in the codebook"):
        adopt(themed, gone, "Money", coder="SM")
    assert themed.codebook.to_records() == before


def test_listing_saved_and_adopted_by_id(themed, tmp_path):
    tc = fit_project_themes(themed, of="codes", embedder=emb())
    path = save_themes(themes_path(themed.path), tc)
    assert path.name == "themes.qdakit.themes.json"
    saved = load_themes(path)
    assert [t.to_dict() for t in saved.themes] == [t.to_dict() for t in tc.themes_]
    adopt_from_listing(themed, 2, "Second", coder="SM")
    assert json.loads(path.read_text())["adopted"]["2"]["coder"] == "SM"
    with pytest.raises(CodebookError, match="already adopted"):
        adopt_from_listing(themed, 2, "Again", coder="SM")
    with pytest.raises(CodebookError, match="no candidate theme 9"):
        adopt_from_listing(themed, 9, "Nine", coder="SM")
    table = theme_table(tc.themes_)
    assert list(table["id"]) == [1, 2] and "members" in table.columns


# -- command line and plot -----------------------------------------------------------
def themes_app() -> typer.Typer:
    from qdakit.cli import app
    from qdakit.cli.themes import register

    if not any(c.name == "themes" or getattr(c.callback, "__name__", "") == "themes"
               for c in app.registered_commands):
        register(app)
    return app


def test_cli_lists_plots_and_adopts(themed, tmp_path, monkeypatch):
    monkeypatch.setattr("qdakit.themes.project_themes.default_embedder", lambda project: emb())
    runner, app = CliRunner(), themes_app()
    png = tmp_path / "themes.png"
    r = runner.invoke(app, ["themes", "-p", str(themed.path), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert "Candidate themes of 6 codes (2 themes" in r.output and "budget" in r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = themed.codebook.to_records()
    r = runner.invoke(app, ["themes", "-p", str(themed.path), "--adopt", "1"])
    assert r.exit_code != 0 and themed.codebook.to_records() == before
    r = runner.invoke(app, ["themes", "-p", str(themed.path), "--adopt", "1", "--name", "Theme one",
                            "--coder", "SM"])
    assert r.exit_code == 0, r.output
    assert "SM adopted theme 1 as Theme one" in r.output
    listed = load_themes(themes_path(themed.path)).theme(1)
    assert {c.name for c in themed.codebook.children("Theme one")} == set(listed.members)
    r = runner.invoke(app, ["themes", "-p", str(themed.path), "--of", "segments", "--k", "3"])
    assert r.exit_code == 0 and "Candidate themes of 27 segments (3 themes, as asked)" in r.output


def test_theme_map_writes_a_png(tmp_path):
    from qdakit.analysis.plots import theme_map

    tc = ThemeClusterer("segments", embedder=emb()).fit(synth())
    for method in ("pca", "tsne"):
        fig = theme_map(tc.item_vectors_, tc.labels_, {t.id: t.title for t in tc.themes_}, method=method)
        out = tmp_path / f"map-{method}.png"
        fig.savefig(out)
        assert out.stat().st_size > 10_000
    segs, codings, codebook = code_problem()
    tc = ThemeClusterer("codes", embedder=emb()).fit(segs, codings, codebook)
    fig = theme_map(tc.item_vectors_, tc.labels_, {t.id: t.title for t in tc.themes_}, names=tc.items_)
    assert {t.get_text() for t in fig.axes[0].texts} >= set(codebook.names)


# -- the real model -------------------------------------------------------------------
@pytest.mark.realmodel
def test_real_model_end_to_end(project):
    from qdakit.embed import SentenceTransformerEmbedder

    texts = {"funding": ["Funding was cut again this year and the grant pot is tiny.",
                         "The council budget shrank, so money for the project is short."],
             "meetings": ["The steering group meets monthly and the chair sets the agenda.",
                          "Minutes of the meeting go round a week later, if at all."]}
    rows = [{"id": f"{k}{i}", "text": t, "participant": f"P{i}"} for k, ts in texts.items() for i, t in enumerate(ts)]
    segs = pd.DataFrame(rows)
    codings = pd.DataFrame({"segment_id": segs["id"], "code": ["cuts", "budget", "agenda", "minutes"]})
    tc = ThemeClusterer("codes", embedder=SentenceTransformerEmbedder(), n_themes=2).fit(segs, codings)
    groups = sorted(sorted(t.members) for t in tc.themes_)
    assert groups == [["agenda", "minutes"], ["budget", "cuts"]]
    assert all(t.label for t in tc.themes_)
    listed = fit_project_themes(project, of="segments", embedder=SentenceTransformerEmbedder(), min_words=3)
    assert listed.n_themes_ >= 1
    adopt(project, listed.themes_[0], "Everything", coder="JR")
    assert "Everything" in project.codebook and project.codings().empty
