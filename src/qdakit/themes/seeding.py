"""Seeded theme building: the researcher names themes and places a few codes; qdakit places the rest.

The researcher is authoritative. They state candidate themes by a name (and, if they
like, a sentence) and/or by putting a few codes in them; :func:`place_codes` puts every
other code in the theme it fits best, or says that none fits (a candidate *new* theme),
each placement with a confidence and a reason a person can check: the nearest member
codes and the passages the code shares with the theme's codes.

How a code is placed
--------------------
Label propagation (Zhou et al. 2004) over the graph of codes whose edges are the
positive similarities of the codes. The seed codes are fixed to their themes, and each
theme's name and sentence enter the graph as one more node, fixed to its theme (its
edges weighted ``anchor_weight``, 2: a name pulls like two codes), so a theme with no
seed code still attracts the codes that read like its name. With
:math:`P = D^{-1/2} W D^{-1/2}` and one-hot seeds :math:`Y`,
:math:`F = (I - \\alpha P)^{-1} Y`; a code goes to :math:`\\arg\\max_t F_{it}`, with
confidence :math:`F_{it} / \\sum_s F_{is}` (the share of the evidence that points to
that theme). A code whose cosine to its best theme's centroid (seeds, placed codes,
name) is below ``min_fit`` is proposed for a new theme instead.

Two similarity channels make the edges: the code vectors (the clusterer's: the centred
centroid of the code's segments, blended with its definition) and the code *names*
(with descriptions), the theme names joining the name channel; an edge is
``(cos_vectors + w cos_names) / (1 + w)``. Code and theme names are centred on the mean
code name first, so that the study's topic, which every name shares, does not make
every name look alike. How much the names count differs from study to study (names
like "Dancing" and "Driving" say where they belong; "slow" and "fear" do not), so ``w``
is chosen per call from the researcher's own seeds: each seed code is hidden in turn
and placed back by the other seeds and the theme names; the weight among 0, 0.5, 1
that puts most of them back in their own theme wins (ties: the smaller). Propagation
is linear in the seeds, so that costs one matrix inverse per weight. With no seed code
(theme names only) nothing can be left out and the weight is 0.5.

On the two human-grouped data sets of ``benchmarks/themes_suite.py`` (100 random draws
of the seeds), from one seed code and the name per theme it puts 0.58 (proctoring) and
0.38 (shuffle_music) of the other codes in their human theme, nearest centroid 0.55 and
0.35 (the earlier placement, without the name channel: 0.57 and 0.36); from two seed codes
per theme 0.62 and 0.46 (nearest centroid 0.53 and 0.38); from the theme names alone
0.56 and 0.33. That is far under the 0.7 we aimed for, and no better than nearest
centroid with the names hidden: even with *every other* code's theme known, nearest
centroid on the code vectors places only 0.66 and 0.51 of them (on the code names 0.41
and 0.71), so one seed per theme cannot get there with these representations.
Placements are a first draft for the researcher to check.

References
----------
D. Zhou, O. Bousquet, T. N. Lal, J. Weston, B. Schoelkopf, "Learning with local and
global consistency", NIPS 2004.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qdakit.errors import CodebookError

__all__ = ["NAME_WEIGHTS", "NO_SEED_NAME_WEIGHT", "Placement", "ThemeSeed", "centre_names", "choose_name_weight",
           "name_weight_for", "place_codes", "propagate", "read_seeds", "seed_themes", "seeds_from"]


@dataclass(frozen=True)
class ThemeSeed:
    """A theme as the researcher states it: a name, an optional sentence, and seed codes (any may be empty
    but not both the sentence-less name and the codes; a bare name is a seed too)."""

    name: str
    description: str = ""
    codes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What is embedded for the theme's own node: its name and sentence."""
        return f"{self.name}. {self.description}".strip() if self.description else self.name


@dataclass(frozen=True)
class Placement:
    """Where one code went. ``seeded``: the researcher put it there; else qdakit did.

    ``theme`` is the theme's name, or None when no theme fits (``new`` is then
    True and ``proposed_theme`` numbers the candidate new theme it would join).
    """

    code: str
    theme: str | None
    confidence: float
    fit: float  # cosine to the theme's centroid (seed codes, placed codes and name)
    seeded: bool = False
    nearest: tuple[str, ...] = ()  # the theme's member codes nearest to this one
    shared_segments: int = 0  # segments this code shares with the theme's codes
    new: bool = False
    proposed_theme: int | None = None

    @property
    def reason(self) -> str:
        if self.seeded:
            return "placed here by the researcher"
        near = ", ".join(self.nearest) or "the theme's name"
        what = "fits no seeded theme well" if self.new else f"closest to {near}"
        shared = f"; shares {self.shared_segments} segment(s) with the theme's codes" if self.shared_segments else ""
        return f"{what} (fit {self.fit:.2f}, confidence {self.confidence:.2f}){shared}"


def seeds_from(seeds: Mapping[str, Any] | Sequence[ThemeSeed]) -> list[ThemeSeed]:
    """Normalise what a researcher may pass: ``{"Funding": ["grants", "budget"]}``,
    ``{"Funding": {"description": "...", "codes": [...]}}``, ``{"Funding": "money and its absence"}``
    or a list of :class:`ThemeSeed`.

    >>> seeds_from({"Funding": ["grants"], "Trust": "how partners rely on each other"})[1]
    ThemeSeed(name='Trust', description='how partners rely on each other', codes=())
    """
    out: list[ThemeSeed] = []
    if isinstance(seeds, Mapping):
        for name, value in seeds.items():
            if isinstance(value, ThemeSeed):
                out.append(value)
            elif isinstance(value, str):
                out.append(ThemeSeed(str(name), value))
            elif isinstance(value, Mapping):
                unknown = set(value) - {"description", "codes"}
                if unknown:
                    raise CodebookError(f"theme {name!r}: unknown key(s) {', '.join(sorted(unknown))}; "
                                        "a seeded theme takes 'description' and 'codes'")
                out.append(ThemeSeed(str(name), str(value.get("description") or ""),
                                     tuple(str(c) for c in value.get("codes") or ())))
            elif value is None:
                out.append(ThemeSeed(str(name)))
            else:
                out.append(ThemeSeed(str(name), "", tuple(str(c) for c in value)))
    else:
        out = [s if isinstance(s, ThemeSeed) else ThemeSeed(str(s)) for s in seeds]
    names = [s.name.strip() for s in out]
    if not out:
        raise CodebookError("no seeded theme given; name at least one theme (seeds={'Funding': ['grants']})")
    if any(not n for n in names):
        raise CodebookError("a seeded theme has an empty name; give every theme a name")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CodebookError(f"theme name(s) given twice: {', '.join(dup)}")
    where: dict[str, str] = {}
    for s in out:
        for c in s.codes:
            if c in where and where[c] != s.name:
                raise CodebookError(f"code {c!r} is seeded in two themes ({where[c]!r} and {s.name!r}); "
                                    "put it in one")
            where[c] = s.name
    return out


def read_seeds(path: str | os.PathLike[str]) -> list[ThemeSeed]:
    """Read seeded themes from a YAML file::

        themes:
          - name: Funding
            description: money, and what its absence stops
            codes: [grants, budget]
          - name: Trust

    (a mapping ``name: [codes]`` at the top level is read too).
    """
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodebookError(f"{p}: cannot read the seeded themes ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CodebookError(f"{p}:{where} is not valid YAML ({getattr(exc, 'problem', exc)}); "
                            "see `qdakit themes --help` for the format") from None
    if isinstance(data, Mapping) and "themes" in data:
        data = data["themes"]
    if isinstance(data, list):
        mapping: dict[str, Any] = {}
        for i, item in enumerate(data, 1):
            if not isinstance(item, Mapping) or not item.get("name"):
                raise CodebookError(f"{p}: theme {i} has no name; each theme needs 'name:' "
                                    "(and optionally 'description:' and 'codes:')")
            if str(item["name"]) in mapping:
                raise CodebookError(f"{p}: theme {item['name']!r} is given twice")
            mapping[str(item["name"])] = {k: v for k, v in item.items() if k != "name"}
        data = mapping
    if not isinstance(data, Mapping):
        raise CodebookError(f"{p}: expected a list of themes under 'themes:', each with a name")
    try:
        return seeds_from(data)
    except CodebookError as exc:
        raise CodebookError(f"{p}: {exc}") from None


def _unit(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=-1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


#: the code-name weights the leave-one-seed-out choice considers (``name_weight="auto"``)
NAME_WEIGHTS = (0.0, 0.5, 1.0)
#: the code-name weight when there is no seed code to leave out (themes by their names only)
NO_SEED_NAME_WEIGHT = 0.5


def _operator(X: np.ndarray, anchors: np.ndarray | None, names: np.ndarray | None, name_anchors: np.ndarray | None,
              name_weight: float, anchor_weight: float, alpha: float) -> np.ndarray:
    """``(I - alpha P)^-1`` over the code graph plus one node per theme name (see :func:`propagate`)."""
    V = np.vstack([X, anchors]) if anchors is not None else X
    W = V @ V.T
    if names is not None and name_weight > 0:
        Vn = np.vstack([names, name_anchors]) if anchors is not None and name_anchors is not None else names
        W = (W + name_weight * (Vn @ Vn.T)) / (1.0 + name_weight)
    W = np.clip(W, 0.0, None)
    np.fill_diagonal(W, 0.0)
    n = len(X)
    if anchors is not None:
        W[n:, :] *= anchor_weight
        W[:, n:] *= anchor_weight
    d = W.sum(axis=1)
    d = np.where(d > 0, d, 1.0)
    P = W / np.sqrt(np.outer(d, d))
    return np.linalg.inv(np.eye(len(V)) - alpha * P)


def _seed_matrix(n: int, seed_theme: np.ndarray, n_themes: int, with_anchors: bool) -> np.ndarray:
    Y = np.zeros((n + (n_themes if with_anchors else 0), n_themes))
    rows = np.flatnonzero(seed_theme >= 0)
    Y[rows, seed_theme[rows]] = 1.0
    if with_anchors:
        Y[n + np.arange(n_themes), np.arange(n_themes)] = 1.0
    return Y


def propagate(X: np.ndarray, seed_theme: np.ndarray, anchors: np.ndarray | None, n_themes: int,
              alpha: float = 0.8, *, names: np.ndarray | None = None, name_anchors: np.ndarray | None = None,
              name_weight: float = 0.0, anchor_weight: float = 1.0) -> np.ndarray:
    """Label propagation over the positive-similarity graph of ``X`` (unit rows) plus one anchor node per theme.

    ``seed_theme[i]`` is the theme of item ``i`` or -1; ``anchors`` ``(n_themes, d)`` (unit rows,
    or None for no theme node). With ``names`` (unit vectors of the code names) and ``name_weight``
    > 0, the similarity of two nodes is ``(cos_X + name_weight cos_names) / (1 + name_weight)``,
    the theme nodes entering the name channel as ``name_anchors``. ``anchor_weight`` scales the
    theme nodes' edges. Returns ``F`` ``(n_items, n_themes)``, non-negative.
    """
    inv = _operator(X, anchors, names, name_anchors, name_weight, anchor_weight, alpha)
    F = inv @ _seed_matrix(len(X), seed_theme, n_themes, anchors is not None)
    return np.clip(F[:len(X)], 0.0, None)


def choose_name_weight(X: np.ndarray, seed_theme: np.ndarray, anchors: np.ndarray | None, n_themes: int,
                       names: np.ndarray, name_anchors: np.ndarray | None, *, alpha: float = 0.8,
                       anchor_weight: float = 1.0, candidates: Sequence[float] = NAME_WEIGHTS) -> tuple[float, float]:
    """Leave one seed out: the weight of the code names under which the most seed codes, each
    hidden in turn, are placed back in their own theme by the other seeds and the theme names.

    Only the researcher's seeds are used (they are the training data). Ties go to the first
    candidate (the smallest weight). Returns ``(weight, share of the seeds recovered)``.
    Propagation is linear in the seeds, so hiding seed ``i`` only subtracts its own column
    of the inverse: one matrix inverse per candidate.
    """
    rows = np.flatnonzero(seed_theme >= 0)
    if len(rows) == 0:  # theme names only: nothing to leave out; the names are then all there is to go by
        return NO_SEED_NAME_WEIGHT, 0.0
    Y = _seed_matrix(len(X), seed_theme, n_themes, anchors is not None)
    best, best_score = float(candidates[0]), -1.0
    for w in candidates:
        inv = _operator(X, anchors, names, name_anchors, float(w), anchor_weight, alpha)
        F = inv[rows] @ Y - inv[rows, rows][:, None] * Y[rows]
        recovered = float((F.argmax(axis=1) == seed_theme[rows]).mean())
        if recovered > best_score + 1e-9:
            best, best_score = float(w), recovered
    return best, best_score


def _check_name_weight(name_weight: float | str) -> None:
    if isinstance(name_weight, str) and name_weight != "auto":
        raise ValueError(f"name_weight={name_weight!r}: give a number >= 0 or 'auto'")


def seed_themes(codes: Sequence[str], seeds: Sequence[ThemeSeed]) -> np.ndarray:
    """The theme (index into ``seeds``) each code was seeded into, -1 where none; unknown seed codes are skipped."""
    theme_of = {c: t for t, s in enumerate(seeds) for c in s.codes}
    return np.array([theme_of.get(c, -1) for c in codes], dtype=int)


def name_weight_for(X: np.ndarray, seed_theme: np.ndarray, anchors: np.ndarray | None, n_themes: int,
                    names: np.ndarray, name_weight: float | str, *, alpha: float = 0.8,
                    anchor_weight: float = 2.0) -> float:
    """``name_weight`` as a number: itself, or for ``"auto"`` the leave-one-seed-out choice of
    :func:`choose_name_weight`. ``names`` and ``anchors`` are already centred (:func:`centre_names`)."""
    _check_name_weight(name_weight)
    if isinstance(name_weight, str):
        return choose_name_weight(X, seed_theme, anchors, n_themes, names, anchors, alpha=alpha,
                                  anchor_weight=anchor_weight)[0]
    return float(name_weight)


def centre_names(names: np.ndarray, anchors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Centre the code-name vectors and the theme-name vectors on the mean code name and re-normalise,
    so that what every name of the study shares (its topic) does not make every name look alike."""
    mu = names.mean(axis=0)
    return _unit(names - mu), (_unit(anchors - mu) if anchors is not None else None)


def _fit(V: np.ndarray, chosen: np.ndarray, anchors: np.ndarray | None, n_themes: int) -> np.ndarray:
    C = np.zeros((n_themes, V.shape[1]))
    np.add.at(C, chosen, V)
    if anchors is not None:
        C += anchors
    return np.asarray((V * _unit(C)[chosen]).sum(axis=1))


def place_codes(codes: Sequence[str], X: np.ndarray, seeds: Sequence[ThemeSeed], anchors: np.ndarray | None,
                incidence: np.ndarray | None = None, *, names: np.ndarray | None = None,
                name_weight: float | str = "auto", anchor_weight: float = 2.0, min_fit: float = 0.0,
                alpha: float = 0.8, n_nearest: int = 3) -> list[Placement]:
    """Place every code in a seeded theme, or mark it as fitting none.

    Parameters
    ----------
    codes : the code names, one per row of ``X``
    X : ndarray (n_codes, d), unit code vectors
    seeds : the researcher's themes; their codes must be among ``codes``
    anchors : ndarray (n_themes, d), unit vectors of each theme's name and sentence, or None
    incidence : ndarray (n_codes, n_segments), 0/1, for the shared-segments part of the reason
    names : ndarray (n_codes, d), optional, unit vectors of the code names (and descriptions): a
        second similarity channel, centred with the theme names on the mean code name
    name_weight : weight of the name channel against ``X``, or ``"auto"``: chosen among
        :data:`NAME_WEIGHTS` by leave one seed out (:func:`choose_name_weight`)
    anchor_weight : how strongly a theme's name node pulls, against one code
    min_fit : a code whose cosine to its best theme's centroid (in both channels, weighted as in
        the graph) is below this fits no theme
    """
    index = {c: i for i, c in enumerate(codes)}
    missing = [c for s in seeds for c in s.codes if c not in index]
    if missing:
        raise CodebookError(f"seed code(s) not among the codes with coded segments: {', '.join(missing)}. "
                            "Check the spelling against the codebook (`qdakit codebook show`).")
    T = len(seeds)
    seed_theme = seed_themes(codes, seeds)
    _check_name_weight(name_weight)
    name_anchors, w = None, 0.0
    if names is not None:
        names, anchors = centre_names(names, anchors)
        name_anchors = anchors
        w = name_weight_for(X, seed_theme, anchors, T, names, name_weight, alpha=alpha, anchor_weight=anchor_weight)
    F = propagate(X, seed_theme, anchors, T, alpha, names=names, name_anchors=name_anchors, name_weight=w,
                  anchor_weight=anchor_weight)
    best = F.argmax(axis=1)
    total = F.sum(axis=1)
    confidence = np.where(total > 0, F[np.arange(len(codes)), best] / np.where(total > 0, total, 1.0), 0.0)
    chosen = np.where(seed_theme >= 0, seed_theme, best)
    fit = _fit(X, chosen, anchors, T)  # cosine to the theme's centroid: its codes (seeded and placed) and its name
    if names is not None and w > 0:  # in both channels, weighted as in the graph
        fit = (fit + w * _fit(names, chosen, name_anchors, T)) / (1.0 + w)
    out = []
    for i, code in enumerate(codes):
        t = int(chosen[i])
        if seed_theme[i] >= 0:
            out.append(Placement(code, seeds[t].name, 1.0, round(float(fit[i]), 4), seeded=True))
            continue
        members = np.flatnonzero((chosen == t) & (np.arange(len(codes)) != i))
        order = members[np.argsort(-(X[members] @ X[i]), kind="stable")][:n_nearest]
        n_shared = 0
        if incidence is not None and len(members):
            n_shared = int(((incidence[i] > 0) & (incidence[members].sum(axis=0) > 0)).sum())
        new = bool(fit[i] < min_fit)
        out.append(Placement(code, None if new else seeds[t].name, round(float(confidence[i]), 4),
                             round(float(fit[i]), 4), nearest=tuple(codes[j] for j in order),
                             shared_segments=n_shared, new=new))
    return out
