"""Tests of qdakit.embed.finetune: the contrastive pairs, the codings hash, the cached fine-tuning."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import qdakit.embed.finetune as ft
from qdakit.embed import DEFAULT_MODEL_ID, SentenceTransformerEmbedder
from qdakit.embed.finetune import FineTuneError, codings_hash, contrastive_pairs, fine_tuned_embedder
from qdakit.errors import QdakitError


def test_doctests() -> None:
    assert doctest.testmod(ft, raise_on_error=False).failed == 0


LABELS = [{"cost"}, {"cost", "time"}, {"time"}, {"staff"}, {"staff", "cost"}, {"weather"}]


def test_pairs_targets_are_jaccard_and_never_self() -> None:
    A, B, target = contrastive_pairs(LABELS, 4, seed=1)
    assert len(A) == len(B) == len(target) == 4 * len(LABELS)
    assert np.all(A != B)
    for a, b, t in zip(A, B, target, strict=True):
        inter, union = LABELS[a] & LABELS[b], LABELS[a] | LABELS[b]
        assert t == pytest.approx(len(inter) / len(union))
    # the even-numbered partners share a code with the anchor where another segment holds one
    shared = [bool(LABELS[a] & LABELS[b]) for k, (a, b) in enumerate(zip(A, B, strict=True)) if k % 4 in (0, 2)]
    sharable = [i for i in A[::2] if any(LABELS[i] & LABELS[j] for j in range(len(LABELS)) if j != i)]
    assert sum(shared) >= len(sharable)
    # the same seed draws the same pairs
    A2, B2, _ = contrastive_pairs(LABELS, 4, seed=1)
    assert np.array_equal(A, A2) and np.array_equal(B, B2)


def test_pairs_need_two_segments() -> None:
    with pytest.raises(FineTuneError, match="at least 2") as e:
        contrastive_pairs([{"cost"}], 4)
    assert isinstance(e.value, QdakitError)


def test_hash_follows_codings_not_their_order() -> None:
    texts = ["a b", "c d"]
    h = codings_hash(texts, [{"x"}, {"y"}], DEFAULT_MODEL_ID, {"lr": 1})
    assert h == codings_hash(texts[::-1], [{"y"}, {"x"}], DEFAULT_MODEL_ID, {"lr": 1})
    assert h != codings_hash(texts, [{"x"}, {"x"}], DEFAULT_MODEL_ID, {"lr": 1})
    assert h != codings_hash(texts, [{"x"}, {"y"}], DEFAULT_MODEL_ID, {"lr": 2})
    assert h != codings_hash(texts, [{"x"}, {"y"}], "other-model", {"lr": 1})


def test_codings_must_name_known_segments() -> None:
    segs = pd.DataFrame({"id": ["s1"], "text": ["hello"]})
    with pytest.raises(FineTuneError, match="not in `segments`"):
        fine_tuned_embedder(segs, pd.DataFrame({"segment_id": ["s9"], "code": ["x"]}),
                            SentenceTransformerEmbedder(), show_progress=False)


@pytest.mark.realmodel
def test_fine_tuning_moves_the_model_and_is_cached(tmp_path: Path) -> None:
    texts = ["The council cut our funding last year.", "We lost money because the budget was reduced.",
             "Meetings every month keep partners informed.", "We share news with partners at a monthly meeting.",
             "Funding cuts meant fewer meetings.", "The budget paid for the monthly partner meeting."]
    codes = [["money"], ["money"], ["meet"], ["meet"], ["money", "meet"], ["money", "meet"]]
    segs = pd.DataFrame({"id": [f"s{i}" for i in range(6)], "text": texts})
    cod = pd.DataFrame([(f"s{i}", c) for i, cs in enumerate(codes) for c in cs], columns=["segment_id", "code"])
    base = SentenceTransformerEmbedder()
    emb = fine_tuned_embedder(segs, cod, base, cache_dir=tmp_path, pairs_per_text=4, lr=1e-4, batch_size=8,
                              show_progress=False)
    assert emb.model_id.startswith(DEFAULT_MODEL_ID + "+ft-") and emb.dim == 384
    X, X0 = emb.encode(texts), base.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(X, X0, atol=1e-3)  # the weights moved
    assert (tmp_path / emb.model_id.split("+")[-1] / "config.json").exists()
    again = fine_tuned_embedder(segs, cod, base, cache_dir=tmp_path, pairs_per_text=4, lr=1e-4, batch_size=8,
                                show_progress=False)
    assert again.model_id == emb.model_id and again._st is None  # loaded from the cache, not trained
    np.testing.assert_allclose(again.encode(texts), X, atol=1e-4)
    other = fine_tuned_embedder(segs, cod.iloc[1:], base, cache_dir=tmp_path, pairs_per_text=4, lr=1e-4,
                                batch_size=8, show_progress=False)
    assert other.model_id != emb.model_id
