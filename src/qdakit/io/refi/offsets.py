"""Which unit a REFI-QDA file counts selection positions in, found per source and proved.

REFI-QDA 1.5 (section 10.2) counts positions in Unicode code points of the
plain-text file, from 0. Real exports differ: NVivo for Windows counts UTF-16
code units over text with ``\\r\\n`` line ends (an emoji is two, a line end
is two); ATLAS.ti and MAXQDA write ``\\r\\n`` but count it as one character.
Read with the wrong unit, every span after the first emoji or line break
drifts, silently.

:func:`fit_schemes` tries four schemes (:data:`SCHEMES`) over one source,
each a unit (code points or UTF-16 units) over the text as stored (``\\r\\n``
counted as two) or over LF text (``\\r\\n`` counted as one):

* a scheme under which any position falls outside the text is ruled out;
* positions that split a surrogate pair or a ``\\r\\n`` count as misaligned;
* the *alignment share* is the share of selection starts and ends that fall
  on a word or punctuation boundary of the text (not between two letters or
  digits; every position next to a CJK ideograph, kana or hangul counts as a
  boundary, since those scripts do not mark words); *chance* is the share of
  all positions of the text that are boundaries.

:func:`pooled_scheme` finds the scheme that aligns over all sources of a file
together (one tool wrote them all), and :func:`choose_scheme` picks each
source's scheme: the highest share wins, ties go to the pooled scheme, then to
the tool's known scheme (:func:`scheme_for_origin`), then to the standard. It
must *align*: a share of at least :data:`MIN_SHARE_ALONE`, or at least
:data:`MIN_SHARE` and far above chance (one-sided binomial test, p below
:data:`MAX_P_VALUE`). A source too short to decide keeps the pooled scheme.
When no scheme aligns the caller refuses the file rather than import shifted
codings.

Examples
--------
>>> stored = "Ann: 😀 we met.\\r\\nBob: 我们 met too."   # as NVivo for Windows stores it
>>> lf = stored.replace("\\r\\n", "\\n")
>>> truth = [lf.index("we"), lf.index("met."), lf.index("我们"), len(lf) - 1]
>>> utf16 = [len(stored[:len(lf[:t].replace("\\n", "\\r\\n"))].encode("utf-16-le")) // 2 for t in truth]
>>> fits, chance = fit_schemes(stored, utf16)
>>> found = choose_scheme(fits, chance, ["codepoints"])
>>> found.name, found.share, next(f for f in fits if f.name == "utf16").index.tolist() == truth
('utf16', 1.0, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SCHEMES", "OffsetMap", "OffsetScheme", "SchemeFit", "choose_scheme", "fit_schemes", "pooled_scheme",
           "scheme_for_origin"]

#: scheme name -> (unit, line ends): unit is "codepoints" or "utf16"; line ends "as stored" or "LF"
SCHEMES: dict[str, tuple[str, bool]] = {
    "codepoints": ("codepoints", False),      # the standard: code points of the file as stored
    "codepoints-lf": ("codepoints", True),    # ATLAS.ti, MAXQDA: \r\n counted as one
    "utf16": ("utf16", False),                # NVivo for Windows: UTF-16 units, \r\n as two
    "utf16-lf": ("utf16", True),
}
LABELS = {"codepoints": "code points, the standard", "codepoints-lf": "code points, \\r\\n as one",
          "utf16": "UTF-16 units, \\r\\n as two", "utf16-lf": "UTF-16 units, \\r\\n as one"}
#: a share this high aligns whatever chance is (a few selections, all on boundaries)
MIN_SHARE_ALONE = 0.9
#: below this share nothing aligns
MIN_SHARE = 0.6
#: a source with few selections aligns at this share under the scheme that aligned project-wide
MIN_SHARE_POOLED = 0.5
#: the one-sided binomial p-value a share between MIN_SHARE and MIN_SHARE_ALONE must beat
MAX_P_VALUE = 1e-3

_CJK = ("\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
        "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff")
#: a run of letters, digits and combining marks, outside the scripts that do not mark words
_WORD_RUN = re.compile(f"(?:(?![{_CJK}])[\\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+")


def scheme_for_origin(origin: str | None) -> str:
    """The scheme a tool is known to write, from the project's ``origin`` (a tie-break only)."""
    o = (origin or "").casefold()
    if "nvivo" in o and "mac" not in o:
        return "utf16"
    if "atlas" in o or "maxqda" in o:
        return "codepoints-lf"
    return "codepoints"


@dataclass(frozen=True)
class OffsetScheme:
    """The scheme found for one source and the evidence for it.

    ``share`` is the share of the ``positions`` (selection starts and ends)
    on word or punctuation boundaries, ``chance`` the share expected of
    positions drawn at random from the text; ``others`` maps each other scheme
    still in range to its share; ``ambiguous`` is False when every scheme in
    range puts every position at the same place (the text has no ``\\r\\n``
    and no character beyond U+FFFF before the last position); ``tied`` names
    the schemes that would put the spans elsewhere yet align as well (too few
    selections to tell them apart).
    """

    name: str
    share: float
    chance: float
    positions: int
    p_value: float
    aligned: bool
    ambiguous: bool
    others: dict[str, float]
    tied: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the import report."""
        if not self.positions:
            return f"offsets in {self.name}: no selections to check"
        line = (f"offsets in {self.name} ({LABELS[self.name]}): {self.share:.0%} of {self.positions} selection "
                f"starts and ends on word boundaries (chance {self.chance:.0%}")
        if not self.ambiguous:
            return line + "; every scheme agrees on this text)"
        line += "".join(f"; {k} {v:.0%}" for k, v in self.others.items()) + ")"
        if self.tied:
            line += (f"; {', '.join(self.tied)} would place the spans elsewhere and align as well: too few "
                     "selections to tell, chosen by the file's other sources, else the exporting tool, "
                     "else the standard")
        return line


class OffsetMap:
    """Positions of one scheme mapped to code points of the LF text (what qdakit stores)."""

    def __init__(self, stored: str, scheme: str) -> None:
        unit, lf = SCHEMES[scheme]
        text = stored.replace("\r\n", "\n") if lf else stored
        cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        width = np.where(cps > 0xFFFF, 2, 1) if unit == "utf16" else np.ones(len(cps), dtype=np.int64)
        self.cum = np.concatenate([[0], np.cumsum(width)]).astype(np.int64)  # unit position of each index
        if lf:
            self.crlf_before = np.zeros(len(cps) + 1, dtype=np.int64)
            self.mid_crlf = np.zeros(len(cps) + 1, dtype=bool)
        else:
            cr = (cps[:-1] == 0x0D) & (cps[1:] == 0x0A) if len(cps) > 1 else np.zeros(0, dtype=bool)
            cr = np.concatenate([cr, [False]]) if len(cps) else cr  # \r of each \r\n
            self.crlf_before = np.concatenate([[0], np.cumsum(cr)]).astype(np.int64)
            self.mid_crlf = np.concatenate([[False], cr])  # index i sits between \r and \n
        self.length = int(self.cum[-1])

    def map(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(LF index, in range, splits nothing) for each position."""
        pos = np.asarray(positions, dtype=np.int64)
        inside = (pos >= 0) & (pos <= self.length)
        idx = np.searchsorted(self.cum, np.clip(pos, 0, self.length), side="left")
        exact = inside & (self.cum[idx] == pos) & ~self.mid_crlf[idx]
        return idx - self.crlf_before[idx], inside, exact


def _boundaries(text: str) -> np.ndarray:
    """``b[p]`` is True when position p of ``text`` (0 to ``len(text)``) is not inside a word."""
    runs = np.array([m.span() for m in _WORD_RUN.finditer(text)], dtype=np.int64).reshape(-1, 2)
    inside = np.zeros(len(text) + 2, dtype=np.int64)
    np.add.at(inside, runs[:, 0] + 1, 1)
    np.add.at(inside, runs[:, 1], -1)
    return np.cumsum(inside)[:len(text) + 1] <= 0


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(p)
            + (n - i) * math.log1p(-p) for i in range(k, n + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


@dataclass
class SchemeFit:
    """How one scheme fits one source's positions: ``on`` of ``n`` on boundaries."""

    name: str
    on: int
    n: int
    index: np.ndarray  # the positions as code points of the LF text
    mapping: OffsetMap

    @property
    def share(self) -> float:
        return self.on / self.n if self.n else 1.0


def fit_schemes(stored: str, positions: Sequence[int]) -> tuple[list[SchemeFit], float]:
    """Every scheme under which all ``positions`` lie in ``stored``, and the chance share of the text.

    ``stored`` is the source's text as stored in the archive (BOM removed, line
    ends kept); ``positions`` every selection start and end, as written.
    """
    pos = np.asarray(list(positions), dtype=np.int64)
    bounds = _boundaries(stored.replace("\r\n", "\n"))
    chance = float(bounds[1:-1].mean()) if len(bounds) > 2 else 1.0
    fits = []
    for name in SCHEMES:
        mapping = OffsetMap(stored, name)
        idx, inside, exact = mapping.map(pos)
        if inside.all():
            on = exact & bounds[np.clip(idx, 0, len(bounds) - 1)]
            fits.append(SchemeFit(name, int(on.sum()), len(pos), idx, mapping))
    return fits, chance


def passes(on: int, n: int, chance: float) -> tuple[bool, float]:
    """Whether ``on`` of ``n`` positions on boundaries is alignment, and the binomial p-value."""
    if not n:
        return True, 1.0
    share, p_value = on / n, _binom_sf(on, n, chance)
    return share >= MIN_SHARE_ALONE or (share >= MIN_SHARE and p_value < MAX_P_VALUE), p_value


def pooled_scheme(per_source: Sequence[tuple[list[SchemeFit], float]], prefer: str) -> str | None:
    """The scheme that aligns best over all sources together (a scheme out of range in a source
    counts all its positions there as misaligned); None if it does not align."""
    best: tuple[float, int, str] | None = None
    ranks = {s: i for i, s in enumerate([prefer, *(s for s in SCHEMES if s != prefer)])}
    total = sum(fits[0].n for fits, _ in per_source if fits)
    for name in SCHEMES:
        on = n = 0
        weighted = 0.0
        for fits, chance in per_source:
            fit = next((f for f in fits if f.name == name), None)
            size = fit.n if fit else (fits[0].n if fits else 0)
            on += fit.on if fit else 0
            n += size
            weighted += chance * size
        if not n:
            continue
        ok, _ = passes(on, n, weighted / n)
        key = (on / n, -ranks[name], name)
        if ok and (best is None or key > best):
            best = key
    return None if best is None or not total else best[2]


def choose_scheme(fits: list[SchemeFit], chance: float, order: Sequence[str],
                  project_scheme: str | None = None) -> OffsetScheme | None:
    """The scheme for one source: the best share, ties broken by ``order``.

    ``project_scheme`` (the pooled scheme, which aligned over all sources; put
    it first in ``order``) is left only for a scheme whose better share here is
    significant on its own (binomial p below :data:`MAX_P_VALUE`). The result is
    aligned when its own evidence passes, or, for ``project_scheme``, when at
    least :data:`MIN_SHARE_POOLED` of its positions are on boundaries.
    None when no scheme keeps every position inside the text.
    """
    if not fits:
        return None
    rank: dict[str, int] = {}
    for s in [*order, *SCHEMES]:
        rank.setdefault(s, len(rank))
    best = max(fits, key=lambda f: (f.share, -rank.get(f.name, 99)))
    ok, p_value = passes(best.on, best.n, chance)
    pooled = next((f for f in fits if f.name == project_scheme), None)
    if pooled is not None and best is not pooled and p_value >= MAX_P_VALUE:
        best = pooled  # too little evidence here to leave the scheme of the whole project
        ok, p_value = passes(best.on, best.n, chance)
    if not ok and best is pooled:
        ok = best.share >= MIN_SHARE_POOLED
    ambiguous = any(not np.array_equal(f.index, best.index) for f in fits)
    others = {f.name: f.share for f in fits if f.name != best.name}
    tied = tuple(f.name for f in fits if f.share == best.share and not np.array_equal(f.index, best.index))
    return OffsetScheme(best.name, best.share, chance, best.n, p_value, ok, ambiguous, others, tied)
