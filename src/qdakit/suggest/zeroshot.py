"""Zero-shot scoring from the codebook alone (private helpers of :mod:`qdakit.suggest`).

Each code that has more than a name (a description, inclusion notes or example
quotes) gets prototype texts; a segment's similarity to a code is the cosine to their
normalised mean (``"mean"``, the default) or the maximum cosine over them
(``"max"``). Similarities are centred and scaled per code over the segments
seen at fit time (a definition that is vaguely similar to everything should
not win everywhere), and a softmax over the codes turns them into scores in
[0, 1] that sum to one over the placeable codes: a relative score, not a
probability.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qdakit.model import Code

__all__ = ["Prototypes", "build_prototypes", "prototype_texts", "similarities", "softmax_scores"]


def prototype_texts(code: Code) -> list[str]:
    """The texts that stand for ``code``: 'name: description', inclusion notes, examples.

    Empty when the code has nothing but a name (zero-shot cannot place it).
    """
    texts: list[str] = []
    desc = code.description.strip()
    incl = code.inclusion.strip()
    examples = [e.strip() for e in code.examples if e and e.strip()]
    if not (desc or incl or examples):
        return []
    texts.append(f"{code.name}: {desc}" if desc else code.name)
    if incl:
        texts.append(incl)
    texts.extend(examples)
    return texts


@dataclass(frozen=True)
class Prototypes:
    """Prototype vectors of the placeable codes.

    ``codes`` are the placeable code names; ``vectors[i]`` has shape (k_i, d);
    ``texts[i]`` are the k_i texts they came from.
    """

    codes: tuple[str, ...]
    vectors: tuple[np.ndarray, ...]
    texts: tuple[tuple[str, ...], ...]


def build_prototypes(codes: Sequence[Code], embed: Callable[[list[str]], np.ndarray]) -> Prototypes:
    names, vecs, texts = [], [], []
    all_texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for code in codes:
        t = prototype_texts(code)
        if not t:
            continue
        names.append(code.name)
        texts.append(tuple(t))
        spans.append((len(all_texts), len(all_texts) + len(t)))
        all_texts.extend(t)
    V = embed(all_texts) if all_texts else np.zeros((0, 1), dtype=np.float32)
    vecs = [V[a:b] for a, b in spans]
    return Prototypes(tuple(names), tuple(vecs), tuple(texts))


def similarities(E: np.ndarray, protos: Prototypes, how: str) -> np.ndarray:
    """Cosine similarity of each row of ``E`` (unit rows) to each placeable code: (n, n_codes)."""
    out = np.zeros((E.shape[0], len(protos.codes)), dtype=np.float32)
    for j, P in enumerate(protos.vectors):
        if how == "max":
            out[:, j] = (E @ P.T).max(axis=1)
        elif how == "mean":
            m = P.mean(axis=0)
            m = m / max(float(np.linalg.norm(m)), 1e-12)
            out[:, j] = E @ m
        else:
            raise ValueError(f"zero_shot={how!r}; use 'max' or 'mean'")
    return out


def softmax_scores(S: np.ndarray, mu: np.ndarray, sd: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax over codes of the per-code standardised similarities divided by ``temperature``."""
    if S.shape[1] == 0:
        return S
    Z = (S - mu) / sd / temperature
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    return P / P.sum(axis=1, keepdims=True)
