"""Features of the supervised suggester.

* :func:`prepare` turns a segments DataFrame into aligned ids, texts, groups
  (transcripts) and neighbouring turns (context);
* :class:`FeatureBuilder` makes one sparse row per segment: the segment's
  embedding, the embeddings of its neighbouring turns, their cosine with it,
  word overlap with the previous turn, cheap shape features (question mark,
  broken-off turn, length) and TF-IDF word uni- and bigrams that keep ``?`` and
  mark the first and last words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import is_not
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

if TYPE_CHECKING:
    pass

__all__ = ["FeatureBuilder", "Prepared", "default_classifier", "prepare"]


def default_classifier() -> LogisticRegression:
    """L2 logistic regression, classes weighted to balance; Platt-calibrated on grouped out-of-fold scores.

    Balanced class weights (``benchmarks/suggest_suite.py``): shuffle_music mean kappa
    0.402 against 0.387 unweighted, proctoring 0.225 against 0.199; AnnoMI, with four
    frequent codes, 0.713 against 0.722. The calibration undoes the shift in scores.
    """
    return LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")


# --------------------------------------------------------------------------------------
# segments -> aligned arrays with context
# --------------------------------------------------------------------------------------
@dataclass
class Prepared:
    ids: list[str]
    texts: list[str]
    groups: np.ndarray
    order: np.ndarray  # position within the transcript (the ``index`` column, else the row number)
    before: list[list[str | None]]  # before[k][i]: the (k+1)-th previous turn of segment i
    after: list[list[str | None]]
    has_context: bool

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: np.ndarray | list[int]) -> Prepared:
        r = list(rows)
        return Prepared([self.ids[i] for i in r], [self.texts[i] for i in r], self.groups[r], self.order[r],
                        [[b[i] for i in r] for b in self.before], [[a[i] for i in r] for a in self.after],
                        self.has_context)


def _is_empty(text: Any) -> bool:
    return not isinstance(text, str) or not text.strip()


def prepare(segments: pd.DataFrame, context: pd.DataFrame | None, n_before: int,
            n_after: int) -> tuple[Prepared, list[str]]:
    """Aligned texts and neighbouring turns of the non-empty rows of ``segments``.

    Neighbours come from ``context`` (default: ``segments``), ordered by
    ``transcript_id`` then ``index``; empty turns are skipped there too.
    Returns the prepared table and the ids of the empty segments that were left out.
    """
    for col in ("id", "text"):
        if col not in segments.columns:
            raise ValueError(f"segments need columns 'id' and 'text' (missing {col!r}); "
                             f"got {list(segments.columns)}. Pass Project.segments().")
    ids = segments["id"].astype(str).tolist()
    texts = segments["text"].tolist()
    empty = [i for i, t in zip(ids, texts, strict=True) if _is_empty(t)]
    keep = [k for k, t in enumerate(texts) if not _is_empty(t)]
    ids = [ids[k] for k in keep]
    texts = [str(texts[k]).strip() for k in keep]
    has_tid = "transcript_id" in segments.columns
    groups = (segments["transcript_id"].astype(str).to_numpy()[keep] if has_tid
              else np.asarray(ids, dtype=object))
    order = (pd.to_numeric(segments["index"], errors="coerce").fillna(-1).to_numpy()[keep]
             if "index" in segments.columns else np.asarray(keep, dtype=float))
    ctx = segments if context is None else context
    has_context = (n_before + n_after > 0 and {"transcript_id", "index", "id", "text"} <= set(ctx.columns))
    before: list[list[str | None]] = [[None] * len(ids) for _ in range(n_before)]
    after: list[list[str | None]] = [[None] * len(ids) for _ in range(n_after)]
    if has_context:
        c = ctx[["id", "transcript_id", "index", "text"]].copy()
        c = c[~c["text"].map(_is_empty)]
        c = c.sort_values(["transcript_id", "index"], kind="stable")
        c["id"] = c["id"].astype(str)
        c["text"] = c["text"].astype(str).str.strip()
        # rows are now in reading order, transcript by transcript: a neighbour is the row k steps
        # away if it belongs to the same transcript
        text_at = c["text"].tolist()
        tid_at = c["transcript_id"].tolist()
        row_of = dict(zip(c["id"].tolist(), range(len(c)), strict=True))
        for i, sid in enumerate(ids):
            r = row_of.get(sid)
            if r is None:
                continue
            for k in range(n_before):
                if r - k - 1 >= 0 and tid_at[r - k - 1] == tid_at[r]:
                    before[k][i] = text_at[r - k - 1]
            for k in range(n_after):
                if r + k + 1 < len(text_at) and tid_at[r + k + 1] == tid_at[r]:
                    after[k][i] = text_at[r + k + 1]
    return Prepared(ids, texts, groups, order, before, after, has_context), empty


# --------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------
_TOKEN = r"(?u)\b\w+\b|[?!]"
_CONTENT_WORD = re.compile(r"[a-z']{3,}")  # words of three or more letters
_STOP = frozenset(
    "i you he she it we they a an the and or but so to of in on at for with is are was were be been am "
    "do does did that this there what how yeah um uh like just know mean okay right really well mm hmm "
    "not no yes your my me can will would could have has had about get got if as because them their our "
    "us his her its then than very".split())


def _mark(text: str) -> str:
    return f"xxbos {text} xxeos"


_SENTENCE_END = re.compile(r"[.!?]+")


def _shapes(texts: Sequence[str]) -> np.ndarray:
    """Question marks, leading/trailing dashes, length and sentence count of each text: ``(n, 7)``."""
    rows = []
    for text in texts:
        t = text.strip()
        q = t.count("?")
        rows.append((t.endswith("?"), q > 0, min(q, 3) / 3, t[:1] in "-\u2013\u2014", t[-1:] in "-\u2013\u2014\u2026",
                     len(t), min(len(_SENTENCE_END.findall(t)), 10) / 5))
    out = np.array(rows, dtype=np.float64).reshape(len(rows), 7)
    out[:, 5] = np.log1p(out[:, 5]) / 5
    return out.astype(np.float32)


def _content(text: str | None) -> set[str]:
    if not text:
        return set()
    return set(_CONTENT_WORD.findall(text.lower())) - _STOP


def _overlaps(texts: Sequence[str], others: Sequence[str | None]) -> np.ndarray:
    """Content words each text shares with its neighbour: ``(n, 3)`` (share of each side's words, any)."""
    rows = []
    for text, other in zip(texts, others, strict=True):
        a, b = _content(text), _content(other)
        n = len(a & b)
        rows.append((n / (len(a) + 1), n / (len(b) + 1), n > 0))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 3).astype(np.float32)


_is_not_none = partial(is_not, None)


class _WordBigramTfidf(TfidfVectorizer):
    """``TfidfVectorizer`` whose word uni- and bigram analyzer is a single comprehension.

    Same tokens, in the same order, as scikit-learn's own analyzer for these
    settings (lowercase, ``token_pattern``, ``ngram_range=(1, 2)``, no stop
    words); any other setting falls back to it. Tokenising is a large part of
    scoring texts whose embeddings are cached (a batch re-run).
    """

    def _plain(self) -> bool:
        return (self.analyzer == "word" and self.ngram_range == (1, 2) and self.lowercase
                and self.stop_words is None and self.preprocessor is None and self.tokenizer is None
                and not self.strip_accents and self.input == "content")

    def build_analyzer(self) -> Callable[[str], list[str]]:
        if not self._plain():
            return super().build_analyzer()
        # the same tokens: scanning left to right, a run of word characters starts at a word
        # boundary anyway; without the two \b checks the scan is a quarter faster
        find = re.compile(r"\w+|[?!]" if self.token_pattern == _TOKEN else self.token_pattern).findall

        def analyze(doc: str) -> list[str]:
            tokens = find(doc.lower())
            return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]

        return analyze

    def transform(self, raw_documents: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows as scikit-learn computes them, counted without a dict per document.

        Counting each document's features in a dict of its own was the larger
        part of ``transform``; here the known features' columns are listed for
        all documents at once and duplicates summed by the sparse matrix. The
        weighting is scikit-learn's: ``1 + log(tf)`` when sublinear, times
        ``idf_``, then the row norm.
        """
        if not self._plain() or self.binary or not hasattr(self, "vocabulary_") or isinstance(raw_documents, str):
            return super().transform(raw_documents)
        column = self.vocabulary_.get
        analyze = self.build_analyzer()
        cols: list[int] = []
        ends = [0]
        for doc in raw_documents:
            cols.extend(filter(_is_not_none, map(column, analyze(doc))))
            ends.append(len(cols))
        X = sparse.csr_matrix((np.ones(len(cols), dtype=self.dtype), np.asarray(cols, dtype=np.int64),
                               np.asarray(ends, dtype=np.int64)), shape=(len(ends) - 1, len(self.vocabulary_)))
        X.sum_duplicates()
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        return normalize(X, norm=self.norm, copy=False) if self.norm is not None else X


@dataclass
class FeatureBuilder:
    """Sparse feature rows for segments; fit learns the TF-IDF vocabulary."""

    lexical: bool = True
    n_before: int = 1
    n_after: int = 0
    embedding_weight: float = 0.5
    shapes: bool = True
    tfidf_: Any = field(default=None, repr=False)

    def fit(self, texts: list[str], tfidf: Any = None) -> FeatureBuilder:
        """Learn the TF-IDF vocabulary of ``texts`` (when lexical), or take ``tfidf``, one already fitted on them."""
        if self.lexical and tfidf is not None:
            self.tfidf_ = tfidf
        elif self.lexical:
            self.tfidf_ = _WordBigramTfidf(ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN,
                                          min_df=2 if len(texts) >= 200 else 1, max_features=200_000,
                                          dtype=np.float32)
            self.tfidf_.fit([_mark(t) for t in texts])
        return self

    def transform(self, prep: Prepared, embed: Callable[[list[str]], np.ndarray]) -> sparse.csr_matrix:
        E = embed(prep.texts)
        w = self.embedding_weight
        blocks: list[np.ndarray] = [w * E]
        dense_extra = [_shapes(prep.texts)] if self.shapes else []
        for neighbours in [*prep.before, *prep.after]:
            N = _embed_optional(neighbours, embed, E.shape[1])
            blocks.append(w * N)
            dense_extra.append((E * N).sum(axis=1, keepdims=True))
        if prep.before:
            dense_extra.append(_overlaps(prep.texts, prep.before[0]))
        dense = np.hstack(blocks + dense_extra).astype(np.float32)
        T = self.tfidf_.transform([_mark(t) for t in prep.texts]) if self.tfidf_ is not None else None
        return _beside(T, dense)


def _beside(T: sparse.csr_matrix | None, D: np.ndarray) -> sparse.csr_matrix:
    """``[T, D]`` as one CSR matrix, every entry of the dense block ``D`` stored (zeros too).

    The same matrix as ``sparse.hstack([T, D as CSR], format="csr")``, built in
    one pass: the hstack (and ``csr_matrix(D)``'s scan for zeros) cost more than
    scoring with it. Each row holds T's entries of that row, then D's.
    """
    n, d = D.shape
    if T is None:
        T = sparse.csr_matrix((n, 0), dtype=np.float32)
    if T.shape[0] != n:
        raise ValueError(f"{T.shape[0]} sparse rows beside {n} dense rows")
    lens = np.diff(T.indptr)
    indptr = T.indptr.astype(np.int64) + np.arange(n + 1, dtype=np.int64) * d
    index_type = np.int32 if max(int(indptr[-1]), T.shape[1] + d) < np.iinfo(np.int32).max else np.int64
    in_T = np.arange(T.nnz, dtype=np.int64) + np.repeat(np.arange(n, dtype=np.int64) * d, lens)
    in_D = np.ones(int(indptr[-1]), dtype=bool)
    in_D[in_T] = False
    data = np.empty(int(indptr[-1]), dtype=np.result_type(T.dtype, D.dtype))
    indices = np.empty(int(indptr[-1]), dtype=index_type)
    data[in_T], indices[in_T] = T.data, T.indices
    data[in_D] = D.ravel()
    indices[in_D] = np.tile(np.arange(T.shape[1], T.shape[1] + d, dtype=index_type), n)
    return sparse.csr_matrix((data, indices, indptr.astype(index_type)), shape=(n, T.shape[1] + d))


def _embed_optional(texts: list[str | None], embed: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    rows = [i for i, t in enumerate(texts) if t]
    if rows:
        out[rows] = embed([texts[i] for i in rows])  # type: ignore[misc]
    return out
