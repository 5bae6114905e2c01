"""Exemplar quotes: typical of their theme and from different participants.

For each theme (or code), the passages coded with it are embedded; a passage is
*typical* when it is close to the centroid of all of them. Quotes are picked in
order of typicality, skipping participants already quoted until every
participant has had a turn, so the exemplars are both typical and varied; a
participant is :func:`qdakit.project.views.person` (the participant id, else
the speaker within their transcript). A segment gives one quote per theme,
however many coders or codes of the theme marked it.
A quote is what the coder marked: the coded span when the coding has one, the
segment otherwise, trimmed at a sentence boundary to ``max_words`` with an
ellipsis where cut (:func:`trim_quote`); a passage is quoted under one theme
only unless ``repeat=True``. Each quote is attributed from the participant's
attributes, e.g. ``(Participant P01, LA, Yr1)``, and can be anonymised on the
way out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qdakit.project import Project
from qdakit.project.views import attribution, person

__all__ = ["exemplar_quotes", "attribution", "trim_quote"]

_SENTENCE_END = re.compile(r"[.?!…][\"'”’)]*(?=\s+[\"'“‘(]?[A-Z0-9\[])")
ELLIPSIS = "…"


def trim_quote(text: str, max_words: int = 60) -> str:
    """``text`` cut to at most ``max_words`` words at a sentence boundary, with an ellipsis where cut.

    Whole sentences are kept from the start while they fit; if the first
    sentence alone is too long it is cut at a word. A quote that starts inside
    a sentence (the coder marked part of one) opens with an ellipsis too.

    >>> trim_quote("One two. Three four five. Six.", max_words=5)
    'One two. Three four five. …'
    """
    text = " ".join(text.split())
    if not text:
        return text
    lead = ELLIPSIS + " " if text[0].islower() else ""
    words = text.split()
    if len(words) <= max_words:
        return lead + text
    cuts = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    sentences, start = [], 0
    for c in cuts:
        sentences.append(text[start:c].strip())
        start = c
    kept: list[str] = []
    n = 0
    for s in sentences:
        k = len(s.split())
        if n + k > max_words:
            break
        kept.append(s)
        n += k
    if not kept:
        body = " ".join(words[:max_words]).rstrip(",;:-–—")
    else:
        body = " ".join(kept)
    return f"{lead}{body} {ELLIPSIS}"


def _passages(project: Project, coder: str | None) -> pd.DataFrame:
    """Coded passages: the coded span if there is one, else the whole segment (researchers' turns left out)."""
    codings = project.codings(coder=coder)
    segments = project.segments().rename(columns={"id": "segment_id", "start": "seg_start", "end": "seg_end"})
    merged = codings.drop(columns=["transcript_id"]).merge(segments, on="segment_id")
    merged = merged[~merged["is_researcher"].astype(bool)]
    texts = {t.id: t.text for t in project.iter_transcripts()}
    spans = []
    for r in merged.itertuples():
        if pd.notna(r.start) and pd.notna(r.end):
            spans.append(texts[r.transcript_id][int(r.start):int(r.end)])
        else:
            spans.append(r.text)
    merged = merged.assign(quote=[s.strip() for s in spans])
    codebook = project.codebook
    merged["theme"] = [codebook.root_of(c) for c in merged["code"]]
    merged["person"] = person(merged).fillna("segment:" + merged["segment_id"])
    # the same passage coded by two coders is one passage
    return merged.drop_duplicates(["segment_id", "code", "quote"]).reset_index(drop=True)


def exemplar_quotes(
    project: Project,
    *,
    level: str = "theme",
    n: int = 3,
    embedder: Any = None,
    coder: str | None = None,
    anonymiser: Any = None,
    attributes: Sequence[str] = ("sector", "wave"),
    min_words: int = 6,
    max_words: int = 60,
    repeat: bool = False,
) -> pd.DataFrame:
    """Up to ``n`` exemplar quotes per theme (or code).

    Parameters
    ----------
    project : Project
    level : ``"theme"`` or ``"code"``
    n : quotes per theme
    embedder : an :class:`~qdakit.embed.Embedder`; default the bundled
        sentence-transformers model with the project's embedding cache
    coder : quote only this coder's codings (default: every coder's)
    anonymiser : an :class:`~qdakit.analysis.anonymise.Anonymiser` applied to each quote
    attributes : attribute columns shown in the attribution
    min_words : shorter passages are not quoted (a "yes" is not an exemplar)
    max_words : longer passages are trimmed at a sentence boundary, with an
        ellipsis where cut (see :func:`trim_quote`)
    repeat : allow the same passage under two themes (default: a passage is
        quoted under one theme only, the first in codebook order that picks it)

    Returns
    -------
    DataFrame
        Columns: theme (or code), rank, quote, attribution, participant,
        segment_id, typicality (cosine similarity to the theme's centroid).
    """
    if level not in ("theme", "code"):
        raise ValueError(f"level {level!r}: use 'theme' or 'code'")
    passages = _passages(project, coder)
    passages = passages[passages["quote"].str.split().str.len() >= min_words].reset_index(drop=True)
    columns = [level, "rank", "quote", "attribution", "participant", "segment_id", "typicality"]
    if passages.empty:
        return pd.DataFrame(columns=columns)
    if embedder is None:
        from qdakit.embed import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder

        embedder = CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache.for_project(project.path))
    vectors = embedder.encode(passages["quote"].tolist())
    rows = []
    used: set[str] = set()
    order_of = {c.name: i for i, c in enumerate(project.codebook)}
    for name, group in sorted(passages.groupby(level, sort=False), key=lambda g: order_of.get(g[0], 1 << 30)):
        if not repeat:
            group = group[~group["segment_id"].isin(used)]
            if group.empty:
                continue
        X = vectors[group.index.to_numpy()]
        centroid = X.mean(axis=0)
        norm = np.linalg.norm(centroid)
        sims = X @ (centroid / norm) if norm > 0 else np.zeros(len(X))
        order = np.argsort(-sims, kind="stable")
        chosen: list[int] = []
        seen: set[str] = set()
        quoted: set[str] = set()  # one passage per segment: a span and its whole turn are one passage
        for pass_ in (0, 1):  # first distinct participants, then fill up if too few
            for i in order:
                who, seg_id = group.iloc[i]["person"], group.iloc[i]["segment_id"]
                if i in chosen or seg_id in quoted or (pass_ == 0 and who in seen):
                    continue
                chosen.append(i)
                seen.add(who)
                quoted.add(seg_id)
                if len(chosen) == n:
                    break
            if len(chosen) == n:
                break
        for rank, i in enumerate(chosen, start=1):
            r = group.iloc[i]
            used.add(r["segment_id"])
            quote = trim_quote(r["quote"], max_words)
            quote = anonymiser.transform(quote) if anonymiser is not None else quote
            rows.append({level: name, "rank": rank, "quote": quote, "attribution": attribution(r, attributes),
                         "participant": r["participant"], "segment_id": r["segment_id"],
                         "typicality": float(sims[i])})
    return pd.DataFrame(rows, columns=columns)
