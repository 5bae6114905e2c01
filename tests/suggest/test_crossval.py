"""Out-of-fold machine codings: no segment is coded by a model that saw its transcript."""

from __future__ import annotations

import pandas as pd
import pytest

from qdakit import CodingError
from qdakit.embed import FakeEmbedder
from qdakit.suggest import CodeSuggester
from qdakit.suggest.crossval import MACHINE, learning_codings, out_of_fold, project_machine_codings
from qdakit.suggest.training import project_frames
from support import BATCH_PARAMS, code_transcripts, partnership_project


class SpySuggester(CodeSuggester):
    """A CodeSuggester that records the transcripts of everything it is fitted on, and what it codes."""

    log: list[dict[str, object]] = []

    def fit(self, segments, codebook, codings=None, rejections=None, *, context=None, reviewed=None):
        every = context if context is not None else segments
        tid = dict(zip(every["id"], every["transcript_id"], strict=True))
        self.entry = {"segments": set(segments["transcript_id"]),
                      "context": set(context["transcript_id"]) if context is not None else set(),
                      "codings": {tid[s] for s in codings["segment_id"]} if codings is not None else set(),
                      "coded": []}
        SpySuggester.log.append(self.entry)
        return super().fit(segments, codebook, codings, rejections, context=context, reviewed=reviewed)

    def suggest(self, segments, top_k=3, *, context=None):
        self.entry["coded"] += list(segments["transcript_id"])
        return super().suggest(segments, top_k, context=context)


@pytest.fixture
def coded(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit", n_transcripts=6)
    code_transcripts(p, range(5), coder="JR")
    code_transcripts(p, range(5), coder="SM")
    yield p
    p.close()


def test_a_segment_is_never_coded_by_a_model_that_saw_its_transcript(coded):
    SpySuggester.log = []
    data = project_frames(coded)
    emb = FakeEmbedder(dim=64)
    machine = out_of_fold(data.segments, coded.codebook, data.codings, context=data.context, n_splits=5,
                          make_suggester=lambda: SpySuggester(emb, **BATCH_PARAMS))
    assert len(SpySuggester.log) == 5
    for entry in SpySuggester.log:
        held = set(entry["coded"])
        assert held, "every fold codes its held-out transcript"
        # nothing of a held-out transcript reached the fit: segments, neighbours or codings
        assert not held & (entry["segments"] | entry["context"] | entry["codings"])
    # every human-coded segment gets exactly one fold, and its model is that fold's
    units = set(data.codings["segment_id"])
    assert set(machine["segment_id"]) == units
    assert machine.groupby("segment_id")["fold"].nunique().eq(1).all()
    folds = machine.attrs["folds"].set_index("fold")
    for row in machine.itertuples():
        assert row.transcript_id in folds.loc[row.fold, "held_out"].split(", ")
        assert row.model == folds.loc[row.fold, "model"]
    assert (machine["coder"] == MACHINE).all()
    assert machine.attrs["run"].startswith("crossval:")


def test_thresholds_are_the_fold_suggesters_own(coded):
    data = project_frames(coded)
    emb = FakeEmbedder(dim=64)
    machine = out_of_fold(data.segments, coded.codebook, data.codings, context=data.context, n_splits=2,
                          make_suggester=lambda: CodeSuggester(emb, **BATCH_PARAMS))
    folds = machine.attrs["folds"]
    coded_rows = machine.dropna(subset=["code"])
    assert len(coded_rows)
    for row in coded_rows.itertuples():  # each machine coding scores at or above its fold's threshold
        assert row.score >= folds.loc[row.fold, "thresholds"][row.code]


def test_predict_rule_codes_every_unit_once(coded):
    data = project_frames(coded)
    machine = out_of_fold(data.segments, coded.codebook, data.codings, context=data.context, n_splits=2,
                          rule="predict", make_suggester=lambda: CodeSuggester(FakeEmbedder(dim=64), **BATCH_PARAMS))
    assert machine.groupby("segment_id").size().eq(1).all()
    with pytest.raises(ValueError, match="rule='best'"):
        out_of_fold(data.segments, coded.codebook, data.codings, rule="best")


def test_one_coded_transcript_cannot_be_cross_validated(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit")
    code_transcripts(p, (0,))
    data = project_frames(p)
    with pytest.raises(CodingError, match="at least two transcripts"):
        out_of_fold(data.segments, p.codebook, data.codings, context=data.context)


def test_project_machine_codings_are_stored_for_agreement_only_and_refreshed_when_labels_change(coded):
    emb = FakeEmbedder(dim=64)
    before_codings, before_sugg = coded.codings(), coded.suggestions()
    first = project_machine_codings(coded, embedder=emb, n_splits=3, **BATCH_PARAMS)
    assert len(first) and first["run"].nunique() == 1
    pd.testing.assert_frame_equal(coded.codings(), before_codings)  # no human coding, no suggestion
    pd.testing.assert_frame_equal(coded.suggestions(), before_sugg)
    again = project_machine_codings(coded, embedder=emb, n_splits=3, **BATCH_PARAMS)
    assert again["created"].tolist() == first["created"].tolist()  # current: not made again
    coded.mark_reviewed(["t5#1"], "JR")  # new human labels: the stored ones are stale
    third = project_machine_codings(coded, embedder=emb, n_splits=3, **BATCH_PARAMS)
    assert "t5#1" in set(third["segment_id"]) and third["labels"].iloc[0] != first["labels"].iloc[0]


def test_learning_codings_learn_from_a_growing_share(coded):
    shares = list(learning_codings(coded, fractions=(0.5, 1.0), embedder=FakeEmbedder(dim=64), **BATCH_PARAMS))
    assert [f for f, _, _ in shares] == [0.5, 1.0]
    (_, half_m, half), (_, all_m, full) = shares
    assert (half < full).all() and set(half_m["segment_id"]) == set(all_m["segment_id"])


def test_reviewed_units_get_machine_codings_and_count_as_negatives(coded):
    coded.mark_reviewed(["t5#1", "t5#3"], "JR")
    data = project_frames(coded)
    SpySuggester.log = []
    machine = out_of_fold(data.segments, coded.codebook, data.codings, reviewed=data.reviewed,
                          context=data.context, n_splits=3,
                          make_suggester=lambda: SpySuggester(FakeEmbedder(dim=64), **BATCH_PARAMS))
    assert {"t5#1", "t5#3"} <= set(machine["segment_id"])
    trained_with_t5 = [e for e in SpySuggester.log if "t5" in e["segments"]]
    assert trained_with_t5 and all("t5" not in e["coded"] for e in trained_with_t5)
