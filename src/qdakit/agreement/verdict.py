"""Is the machine as good as a second coder? Per-code verdicts with bootstrap intervals.

The machine is compared with human coders the way one coder is compared with
another: on the units every coder (human and machine) read, each code is a
binary variable (present / absent), and Cohen's kappa is computed for every
pair of coders. For a code,

* ``machine_kappa`` is the mean kappa of the machine with each human;
* ``human_kappa`` is the mean kappa over the pairs of humans;
* ``difference = machine_kappa - human_kappa``: below zero, the machine agrees
  with the humans less than they agree with each other. With two humans A and
  B this is the mean of kappa(machine, A) - kappa(B, A) and kappa(machine, B) -
  kappa(A, B): the machine put in the place of each coder in turn.

Intervals are percentile bootstrap intervals, resampling units with
replacement; every coder pair sees the same resample, so the interval of the
difference accounts for the pairs being measured on the same units. The
verdict:

* ``"only the machine"``: the machine applied a code no human applied on these units;
* ``"too few to judge"``: the humans applied the code on fewer than
  ``min_positives`` units (default 10), or in fewer than ``min_transcripts``
  transcripts (default 3); a kappa from two coded units says nothing, so no
  verdict is given and readers should not print its interval;
* ``"never applied"``: the humans applied the code, the machine never did;
* ``"guessing"``: the interval of ``machine_kappa`` includes 0;
* ``"below humans"``: the interval of ``difference`` lies below 0;
* ``"as humans"``: neither (the machine is not measurably worse than a second
  human coder on this code);
* ``"no human level"``: fewer than two humans, and the machine is not guessing;
* ``"undefined"``: the code is absent (or present everywhere) for everyone.

Input is the long codings DataFrame the project gives (``segment_id``,
``code``, ``coder``); a row whose ``code`` is missing says that the coder read
the segment and applied no code (see :meth:`qdakit.Project.mark_reviewed`).

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
and Psychological Measurement*, 20, 37-46.
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._base import AgreementError

__all__ = ["NO_JUDGEMENT", "UNFLAGGED", "VERDICTS", "binary_kappas", "machine_verdict", "pairwise_kappas",
           "verdict_sentences"]

VERDICTS = ("as humans", "below humans", "guessing", "never applied", "only the machine", "no human level",
            "too few to judge", "undefined")
#: verdicts that judge nothing: shown without an interval and without a warning mark
NO_JUDGEMENT = ("too few to judge", "undefined")
#: verdicts that flag nothing about the machine (the others are shown with a warning mark)
UNFLAGGED = ("as humans", "no human level", *NO_JUDGEMENT)


def binary_kappas(X: np.ndarray, pairs: Sequence[tuple[int, int]], weights: np.ndarray | None = None) -> np.ndarray:
    """Cohen's kappa of binary ratings for coder pairs, under unit weights.

    Parameters
    ----------
    X : ndarray of shape (n_units, n_coders), values 0 or 1
    pairs : column pairs (a, b)
    weights : ndarray of shape (n_draws, n_units), optional
        How often each unit is drawn (a bootstrap resample per row);
        default one row of ones (the data as they are).

    Returns
    -------
    ndarray of shape (n_draws, n_pairs)
        ``(p_o - p_e) / (1 - p_e)`` with ``p_e = p_a p_b + (1 - p_a)(1 - p_b)``;
        NaN where ``p_e == 1`` (the code is all present or all absent for both).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
    and Psychological Measurement*, 20, 37-46.

    Examples
    --------
    >>> X = np.array([[1, 1], [0, 0], [1, 0], [0, 0]])
    >>> round(float(binary_kappas(X, [(0, 1)])[0, 0]), 3)
    0.5
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.ones((1, X.shape[0])) if weights is None else np.asarray(weights, dtype=np.float64)
    n = W.sum(axis=1, keepdims=True)
    if not pairs:
        return np.zeros((W.shape[0], 0))
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    p_a, p_b = (W @ X[:, a]) / n, (W @ X[:, b]) / n
    p_o = (W @ (X[:, a] == X[:, b]).astype(np.float64)) / n
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = (p_o - p_e) / (1 - p_e)
    return np.where(1 - p_e > 1e-12, k, np.nan)


def _units(codings: pd.DataFrame, coders: Sequence[str]) -> tuple[pd.Index, pd.DataFrame]:
    for col in ("segment_id", "code", "coder"):
        if col not in codings.columns:
            raise AgreementError(f"the codings DataFrame lacks column {col!r}; it has {list(codings.columns)}")
    mine = codings[codings["coder"].isin(coders)]
    missing = [c for c in coders if c not in set(mine["coder"])]
    if missing:
        raise AgreementError(f"coder(s) {missing} coded or read no segment; coders present: "
                             f"{sorted(map(str, set(codings['coder'])))}")
    read = mine.groupby("segment_id")["coder"].nunique()
    units = pd.Index(sorted(read.index[read == len(coders)].astype(str)), name="segment_id")
    return units, mine[mine["segment_id"].astype(str).isin(units) & mine["code"].notna()]


def _presence(units: pd.Index, coded: pd.DataFrame, coders: Sequence[str], code: str) -> np.ndarray:
    X = np.zeros((len(units), len(coders)), dtype=np.int8)
    rows = coded[coded["code"] == code]
    X[units.get_indexer(rows["segment_id"].astype(str)), pd.Index(coders).get_indexer(rows["coder"])] = 1
    return X


def _interval(draws: np.ndarray, ci: float) -> tuple[float, float]:
    ok = draws[~np.isnan(draws)]
    if len(ok) < 10:
        return float("nan"), float("nan")
    lo, hi = np.percentile(ok, [50 * (1 - ci), 50 * (1 + ci)])
    return float(lo), float(hi)


def _check(humans: Sequence[str], machine: str, n_boot: int, ci: float) -> list[str]:
    humans = [humans] if isinstance(humans, str) else list(humans)
    if not humans or machine in humans or len(set(humans)) != len(humans):
        raise AgreementError(f"name one or more different human coders besides {machine!r}, got {humans!r}")
    if int(n_boot) < 1 or not 0 < ci < 1:
        raise AgreementError(f"n_boot={n_boot!r}, ci={ci!r}: give n_boot >= 1 and ci in (0, 1), e.g. 0.95")
    return humans


def pairwise_kappas(codings: pd.DataFrame, coders: Sequence[str], *, codes: Sequence[str] | None = None,
                    n_boot: int = 1000, ci: float = 0.95, random_state: int | None = 0) -> pd.DataFrame:
    """Cohen's kappa with a bootstrap interval for every pair of ``coders``, per code.

    Units are the segments every one of ``coders`` coded or read. Returns one
    row per (code, coder_a, coder_b): ``n_units``, ``kappa``, ``ci_low``,
    ``ci_high``.
    """
    coders = list(coders)
    units, coded = _units(codings, coders)
    codes = sorted(coded["code"].astype(str).unique()) if codes is None else list(codes)
    pairs = list(itertools.combinations(range(len(coders)), 2))
    W = np.random.default_rng(random_state).multinomial(len(units), np.full(len(units), 1 / max(len(units), 1)),
                                                        size=int(n_boot)) if len(units) else None
    rows = []
    for code in codes:
        X = _presence(units, coded, coders, code)
        point = binary_kappas(X, pairs)[0] if len(units) else np.full(len(pairs), np.nan)
        draws = binary_kappas(X, pairs, W) if W is not None else np.full((1, len(pairs)), np.nan)
        for p, (a, b) in enumerate(pairs):
            lo, hi = _interval(draws[:, p], ci)
            rows.append({"code": code, "coder_a": coders[a], "coder_b": coders[b], "n_units": len(units),
                         "kappa": float(point[p]), "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["code", "coder_a", "coder_b", "n_units", "kappa", "ci_low", "ci_high"])


def machine_verdict(codings: pd.DataFrame, humans: Sequence[str], machine: str = "machine", *,
                    codes: Sequence[str] | None = None, n_boot: int = 1000, ci: float = 0.95,
                    random_state: int | None = 0, min_positives: int = 10,
                    min_transcripts: int = 3) -> pd.DataFrame:
    """Per code: the machine's agreement with each human beside the humans' with each other.

    Parameters
    ----------
    codings : DataFrame
        Columns ``segment_id``, ``code``, ``coder``; ``code`` missing = read,
        no code. The machine's rows carry the coder name ``machine``.
    humans : names of the human coders (one or more)
    machine : the machine's coder name
    codes : codes to judge (default: every code anyone applied on the units)
    n_boot, ci, random_state : bootstrap resamples, coverage and seed
    min_positives, min_transcripts : the least evidence for a verdict: units a
        human coded with the code, and the transcripts they lie in (counted
        when ``codings`` has a ``transcript_id`` column); below either, the
        verdict is ``"too few to judge"``

    Returns
    -------
    DataFrame
        One row per code: ``code``, ``n_units``, ``human_present`` (units
        some human coded with it), ``human_transcripts`` (the transcripts of
        those units; NaN without a ``transcript_id`` column), ``machine_present``, ``machine_kappa``,
        ``machine_low``, ``machine_high``, ``human_kappa``, ``human_low``,
        ``human_high``, ``difference``, ``diff_low``, ``diff_high``,
        ``verdict`` (see the module docstring), then ``machine_vs_<human>``
        for each human and, with two humans, ``<B>_vs_<A>`` beside them.
        ``attrs["humans"]``, ``attrs["machine"]`` and ``attrs["ci"]`` record
        the call.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall (percentile intervals, resampling units).

    Examples
    --------
    >>> codings = pd.DataFrame({
    ...     "segment_id": ["s1", "s1", "s1", "s2", "s2", "s2", "s3", "s3", "s3", "s4", "s4", "s4"],
    ...     "code": ["cost", "cost", "cost", None, None, None, "cost", None, "cost", None, None, None],
    ...     "coder": ["A", "B", "machine"] * 4})
    >>> v = machine_verdict(codings, ["A", "B"], n_boot=50, min_positives=1, min_transcripts=1)
    >>> v[["code", "n_units", "machine_kappa", "human_kappa"]]
       code  n_units  machine_kappa  human_kappa
    0  cost        4           0.75          0.5
    """
    humans = _check(humans, machine, n_boot, ci)
    coders = [*humans, machine]
    units, coded = _units(codings, coders)
    codes = sorted(coded["code"].astype(str).unique()) if codes is None else list(codes)
    m = len(humans)
    machine_pairs = [(m, h) for h in range(m)]
    human_pairs = list(itertools.combinations(range(m), 2))
    W = (np.random.default_rng(random_state).multinomial(len(units), np.full(len(units), 1 / len(units)),
                                                         size=int(n_boot)) if len(units) else None)
    transcript_of = None
    if "transcript_id" in codings.columns:
        first = codings.drop_duplicates("segment_id")
        transcript_of = pd.Series(first["transcript_id"].to_numpy(), index=first["segment_id"].astype(str)
                                  ).reindex(units).to_numpy()
    rows = []
    for code in codes:
        X = _presence(units, coded, coders, code)
        positive = X[:, :m].any(axis=1)
        row: dict[str, object] = {"code": code, "n_units": len(units),
                                  "human_present": int(positive.sum()),
                                  "human_transcripts": float("nan") if transcript_of is None
                                  else int(pd.Series(transcript_of[positive]).nunique()),
                                  "machine_present": int(X[:, m].sum())}
        if len(units):
            km = binary_kappas(X, machine_pairs)[0]
            kh = binary_kappas(X, human_pairs)[0] if human_pairs else np.zeros(0)
            dm = binary_kappas(X, machine_pairs, W)
            dh = binary_kappas(X, human_pairs, W) if human_pairs else None
        else:
            km, kh, dm, dh = np.full(m, np.nan), np.full(len(human_pairs), np.nan), np.full((1, m), np.nan), None
        mk = float(np.mean(km)) if not np.isnan(km).all() else float("nan")
        mk_draws = _nanmean(dm)
        lo, hi = _interval(mk_draws, ci)
        row.update({"machine_kappa": mk, "machine_low": lo, "machine_high": hi})
        if human_pairs:
            hk = float(np.mean(kh)) if not np.isnan(kh).all() else float("nan")
            hk_draws = _nanmean(dh)
            h_lo, h_hi = _interval(hk_draws, ci)
            d_lo, d_hi = _interval(mk_draws - hk_draws, ci)
            row.update({"human_kappa": hk, "human_low": h_lo, "human_high": h_hi, "difference": mk - hk,
                        "diff_low": d_lo, "diff_high": d_hi})
        else:
            row.update({k: float("nan") for k in ("human_kappa", "human_low", "human_high", "difference",
                                                   "diff_low", "diff_high")})
        row["verdict"] = _verdict(row, bool(human_pairs), min_positives, min_transcripts)
        for h, name in enumerate(humans):
            row[f"machine_vs_{name}"] = float(km[h])
        if m == 2:
            row[f"{humans[1]}_vs_{humans[0]}"] = float(kh[0])
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs.update(humans=list(humans), machine=machine, ci=ci)
    return frame


def _nanmean(draws: np.ndarray | None) -> np.ndarray:
    if draws is None:
        return np.zeros(0)
    ok = ~np.isnan(draws)
    with np.errstate(invalid="ignore"):
        return np.where(ok.any(axis=1), np.nansum(draws, axis=1) / np.maximum(ok.sum(axis=1), 1), np.nan)


def _verdict(row: dict[str, object], has_humans: bool, min_positives: int = 10, min_transcripts: int = 3) -> str:
    mk, lo, dhi = row["machine_kappa"], row["machine_low"], row.get("diff_high", float("nan"))
    if mk != mk:  # NaN
        return "undefined"
    if row["human_present"] == 0:
        return "only the machine" if row["machine_present"] else "undefined"
    where = row.get("human_transcripts", float("nan"))
    if row["human_present"] < min_positives or (where == where and where < min_transcripts):  # type: ignore
        return "too few to judge"
    if row["machine_present"] == 0:
        return "never applied"
    if lo != lo or lo <= 0:  # type: ignore[operator]
        return "guessing"
    if not has_humans:
        return "no human level"
    if dhi == dhi and dhi < 0:  # type: ignore[operator]
        return "below humans"
    return "as humans"


def verdict_sentences(verdict: pd.DataFrame) -> list[str]:
    """One plain sentence per code of a :func:`machine_verdict` table, for reports.

    >>> v = pd.DataFrame({"code": ["Funding"], "n_units": [40], "machine_kappa": [0.7], "human_kappa": [0.72],
    ...                   "verdict": ["as humans"], "machine_vs_JR": [0.7], "SM_vs_JR": [0.72]})
    >>> v.attrs.update(humans=["JR", "SM"], machine="machine", ci=0.95)
    >>> verdict_sentences(v)[0]
    'For Funding the machine agrees with JR about as well as SM does (kappa 0.70 against 0.72).'
    """
    humans = list(verdict.attrs.get("humans", []))
    out = []
    for r in verdict.to_dict("records"):
        code, v = r["code"], r["verdict"]
        if v == "only the machine":
            out.append(f"For {code} only the machine applied the code ({r['machine_present']} of {r['n_units']} "
                       "units); the coders never did.")
        elif v == "never applied":
            out.append(f"For {code} the machine never applied the code where the coders did "
                       f"({r['human_present']} of {r['n_units']} units): it has not learned it yet.")
        elif v == "too few to judge":
            where = r.get("human_transcripts", float("nan"))
            out.append(f"For {code} there are too few coded units to judge the machine: the coders applied it on "
                       f"{r['human_present']} unit(s)" + (f" in {int(where)} transcript(s)" if where == where else "")
                       + "; code more segments of it before trusting any figure.")
        elif v == "undefined":
            out.append(f"For {code} agreement is undefined: on the {r['n_units']} units read by everyone "
                       "nobody (or everybody) applied it.")
        elif v == "guessing":
            out.append(f"For {code} the machine is guessing: its agreement with the coders (kappa "
                       f"{r['machine_kappa']:.2f}) is not distinguishable from chance.")
        elif v == "no human level":
            out.append(f"For {code} the machine agrees with {humans[0]} better than chance (kappa "
                       f"{r['machine_kappa']:.2f}); a second human coder would show whether that is enough.")
        elif len(humans) == 2:
            a, b = humans
            words = "about as well as" if v == "as humans" else "less well than"
            out.append(f"For {code} the machine agrees with {a} {words} {b} does (kappa "
                       f"{r[f'machine_vs_{a}']:.2f} against {r[f'{b}_vs_{a}']:.2f}).")
        else:
            words = "about as well as" if v == "as humans" else "less well than"
            out.append(f"For {code} the machine agrees with the coders {words} they agree with each other "
                       f"(mean kappa {r['machine_kappa']:.2f} against {r['human_kappa']:.2f}).")
    return out
