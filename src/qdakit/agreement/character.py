"""Character-level agreement, as NVivo's coding comparison query computes it."""

from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from qdakit.agreement._base import AgreementError
from qdakit.agreement.coding import ALL, check_coders, require_columns
from qdakit.agreement.unitizing import unitizing_alpha
from qdakit.errors import UndefinedStatisticWarning

__all__ = ["character_agreement"]

TRANSCRIPTS = ("coded_by_all", "all")


def _sides(coders: Sequence[Any]) -> list[list[Any]]:
    sides = [[c] if isinstance(c, str) or not isinstance(c, Sequence) else list(c) for c in coders]
    if len(sides) != 2 or not all(sides):
        raise AgreementError(
            "character_agreement compares two coders, or two groups of coders: pass "
            f"coders=('ann', 'bob') or coders=(['ann', 'cy'], ['bob']), got {coders!r}"
        )
    both = set(sides[0]) & set(sides[1])
    if both:
        raise AgreementError(f"coder(s) {sorted(map(str, both))} are on both sides of the comparison")
    return sides


def _spans(
    transcript_lengths: Mapping[str, int], segments: pd.DataFrame, codings: pd.DataFrame, sides: list[list[Any]]
) -> pd.DataFrame:
    """One row per coding: side (0/1), code, transcript_id, start, end (local offsets)."""
    require_columns(segments, "segments", ["id", "transcript_id", "start", "end"])
    require_columns(codings, "codings", ["segment_id", "code", "coder", "start", "end"])
    side_of = {c: s for s, group in enumerate(sides) for c in group}
    mine = codings[codings["coder"].isin(side_of)].copy()
    seg = segments.assign(id=segments["id"].astype(str)).set_index("id")[["transcript_id", "start", "end"]]
    mine["segment_id"] = mine["segment_id"].astype(str)
    mine = mine[mine["segment_id"].isin(seg.index)]
    span_seg = seg.loc[mine["segment_id"]]
    start = pd.to_numeric(mine["start"]).to_numpy(dtype=float)
    end = pd.to_numeric(mine["end"]).to_numpy(dtype=float)
    whole = np.isnan(start) | np.isnan(end)
    start = np.where(whole, span_seg["start"].to_numpy(dtype=float), start)
    end = np.where(whole, span_seg["end"].to_numpy(dtype=float), end)
    out = pd.DataFrame({
        "id": mine["id"].to_numpy() if "id" in mine.columns else np.arange(len(mine)),
        "side": mine["coder"].map(side_of).to_numpy(),
        "code": mine["code"].to_numpy(),
        "transcript_id": span_seg["transcript_id"].to_numpy(),
        "start": start.astype(np.int64),
        "end": end.astype(np.int64),
    })
    out = out[out["transcript_id"].isin(list(transcript_lengths))]
    length = out["transcript_id"].map(transcript_lengths).to_numpy()
    bad = (out["start"].to_numpy() < 0) | (out["end"].to_numpy() > length) | (out["start"] >= out["end"]).to_numpy()
    if bad.any():
        row = out[bad].iloc[0]
        raise AgreementError(
            f"coding {row['id']!r} spans characters {row['start']}-{row['end']}, outside transcript "
            f"{row['transcript_id']!r} of length {transcript_lengths[row['transcript_id']]}; "
            "offsets are absolute, half-open character positions in the transcript text"
        )
    return out


def _coverage(starts: np.ndarray, ends: np.ndarray, total: int) -> np.ndarray:
    diff = np.zeros(total + 1, dtype=np.int32)
    np.add.at(diff, starts, 1)
    np.add.at(diff, ends, -1)
    return np.cumsum(diff[:-1]) > 0


def _kappa(both, only_a, only_b, neither):
    """Cohen's kappa of a 2 x 2 table given as arrays of counts (NaN where p_e = 1)."""
    n = both + only_a + only_b + neither
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (both + neither) / n
        pa, pb = (both + only_a) / n, (both + only_b) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        return np.where(np.abs(1.0 - pe) < 1e-12, np.nan, (po - pe) / (1 - pe))


def character_agreement(
    transcript_lengths: Mapping[str, int],
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    coders: Sequence[Any],
    *,
    codes: Sequence[str] | None = None,
    transcripts: str = "coded_by_all",
) -> pd.DataFrame:
    """Per code per transcript, agreement over characters coded / not coded by two coders.

    As NVivo's coding comparison query: a character is coded by a coder when
    any of the coder's codings of the code covers it (a coding with no
    ``start``/``end`` covers its whole segment); percent agreement is
    ``(both + neither) / n_chars`` and Cohen's kappa is computed on the 2 x 2
    table of characters (so longer transcripts weigh more), with chance
    agreement ``p_A p_B + (1 - p_A)(1 - p_B)`` from each coder's coded share.
    Krippendorff's unitizing alpha on the coders' spans is given beside it.

    Parameters
    ----------
    transcript_lengths : mapping of transcript id -> int
        ``len(transcript.text)`` for each transcript to compare.
    segments, codings : pandas.DataFrame
        As for :func:`segment_agreement`; ``segments`` needs ``start``/``end``
        and ``codings`` needs ``start``/``end`` (nullable absolute offsets).
    coders : pair
        Two coders, or two groups of coders (a character counts as coded by a
        group when any member coded it, as NVivo's user groups).
    codes : sequence of str, optional
        Codes to compare; default every code either side used.
    transcripts : {"coded_by_all", "all"}
        Compare the transcripts both sides coded (default), or every
        transcript in ``transcript_lengths``.

    Returns
    -------
    pandas.DataFrame
        One row per (code, transcript) that either side coded with the code,
        then one ``(all)`` row per code over every compared transcript:
        ``code``, ``transcript_id``, ``n_chars``, ``a_chars``, ``b_chars``,
        ``both_chars``, ``only_a_chars``, ``only_b_chars``, ``neither_chars``,
        ``agree_chars``, ``disagree_chars``, ``agreement`` (0-1), ``kappa``,
        ``u_alpha``. NVivo shows kappa 1 when both coded the same whole
        transcript; here that is undefined (NaN, with a warning).

    References
    ----------
    QSR International. NVivo help: "Run a coding comparison query" (how the
    percentage agreement and the kappa coefficient are calculated).

    Examples
    --------
    >>> segments = pd.DataFrame({"id": ["s1", "s2"], "transcript_id": "t1",
    ...                          "start": [0, 50], "end": [50, 100]})
    >>> codings = pd.DataFrame({"segment_id": ["s1", "s1"], "code": ["cost", "cost"],
    ...                         "coder": ["ann", "bob"], "start": [None, 10], "end": [None, 50]})
    >>> table = character_agreement({"t1": 100}, segments, codings, ["ann", "bob"])
    >>> table[["transcript_id", "both_chars", "only_a_chars", "agreement", "kappa"]]
      transcript_id  both_chars  only_a_chars  agreement  kappa
    0            t1          40            10        0.9    0.8
    1         (all)          40            10        0.9    0.8
    """
    if transcripts not in TRANSCRIPTS:
        raise AgreementError(f"transcripts must be one of {TRANSCRIPTS}, got {transcripts!r}")
    sides = _sides(coders)
    check_coders(codings, [c for group in sides for c in group], at_least=2)
    spans = _spans(transcript_lengths, segments, codings, sides)
    if transcripts == "coded_by_all":
        per_side = [set(spans.loc[spans["side"] == s, "transcript_id"]) for s in (0, 1)]
        scope = [t for t in transcript_lengths if t in per_side[0] and t in per_side[1]]
    else:
        scope = list(transcript_lengths)
    scope = [t for t in sorted(scope, key=str) if int(transcript_lengths[t]) > 0]
    lengths = np.array([int(transcript_lengths[t]) for t in scope], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]] if scope else np.zeros(0, np.int64)
    total = int(lengths.sum())
    spans = spans[spans["transcript_id"].isin(scope)]
    position = {t: i for i, t in enumerate(scope)}
    spans = spans.assign(t=spans["transcript_id"].map(position).astype(np.int64))
    code_list = sorted(pd.unique(spans["code"]).tolist(), key=str) if codes is None else list(codes)
    columns = ["code", "transcript_id", "n_chars", "a_chars", "b_chars", "both_chars", "only_a_chars",
               "only_b_chars", "neither_chars", "agree_chars", "disagree_chars", "agreement", "kappa", "u_alpha"]
    if not scope or not code_list:
        return pd.DataFrame(columns=columns)
    blocks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        for code in code_list:
            rows = spans[spans["code"] == code]
            g_start = offsets[rows["t"].to_numpy()] + rows["start"].to_numpy()
            g_end = g_start + (rows["end"] - rows["start"]).to_numpy()
            side = rows["side"].to_numpy()
            cov = [_coverage(g_start[side == s], g_end[side == s], total) for s in (0, 1)]
            a = np.add.reduceat(cov[0].astype(np.int64), offsets)
            b = np.add.reduceat(cov[1].astype(np.int64), offsets)
            both = np.add.reduceat((cov[0] & cov[1]).astype(np.int64), offsets)
            used = (a + b) > 0
            tids = np.array(scope, dtype=object)[used]
            by_place = {key: list(zip(g["start"], g["end"], strict=True)) for key, g in rows.groupby(["t", "side"])}
            u_alpha = [
                unitizing_alpha(
                    [by_place.get((position[t], s), []) for s in (0, 1)], transcript_lengths[t]
                ).value
                for t in tids
            ]
            pooled = unitizing_alpha(
                [list(zip(g_start[side == s], g_end[side == s], strict=True)) for s in (0, 1)], total
            ).value
            block = pd.DataFrame({
                "code": code,
                "transcript_id": list(tids) + [ALL],
                "n_chars": np.r_[lengths[used], total],
                "a_chars": np.r_[a[used], a.sum()],
                "b_chars": np.r_[b[used], b.sum()],
                "both_chars": np.r_[both[used], both.sum()],
                "u_alpha": u_alpha + [pooled],
            })
            blocks.append(block)
    out = pd.concat(blocks, ignore_index=True)
    out["only_a_chars"] = out["a_chars"] - out["both_chars"]
    out["only_b_chars"] = out["b_chars"] - out["both_chars"]
    out["neither_chars"] = out["n_chars"] - out["a_chars"] - out["b_chars"] + out["both_chars"]
    out["agree_chars"] = out["both_chars"] + out["neither_chars"]
    out["disagree_chars"] = out["only_a_chars"] + out["only_b_chars"]
    out["agreement"] = out["agree_chars"] / out["n_chars"]
    cells = ("both_chars", "only_a_chars", "only_b_chars", "neither_chars")
    out["kappa"] = _kappa(*(out[c].to_numpy(dtype=float) for c in cells))
    out = out[columns]
    out.attrs["coders"] = [list(s) for s in sides]
    undefined = out[out["kappa"].isna() | out["u_alpha"].isna()]
    if len(undefined):
        shown = "; ".join(f"{r.code}/{r.transcript_id}" for r in undefined.head(8).itertuples())
        warnings.warn(
            f"{len(undefined)} row(s) have undefined kappa or u_alpha (NaN): {shown}. Both "
            "sides coded the whole transcript (or no unit) there, so chance agreement is 1",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
    return out
