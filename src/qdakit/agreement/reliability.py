"""Agreement on a project: between human coders, and between the machine and humans.

The statistics live in :mod:`qdakit.agreement` (pure functions over DataFrames);
this module takes them to a :class:`~qdakit.Project`:

* :func:`codings_for` gathers the codings of the named coders (and the
  segments they read and left uncoded); the name ``"machine"`` stands for the
  machine coder's out-of-fold codings, so the machine is compared with the
  humans on the same units, as one more coder;
* :func:`agreement` compares coders at segment or character level, per code,
  per transcript, per question or per attribute;
* :func:`disagreement_table` lists the segments where coders differ, for the
  resolution meeting; :func:`resolve` and :func:`resolve_from_table` record
  the codes agreed there as human codings by the named resolver (the coders'
  own codings are kept as they were).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from qdakit.agreement.character import character_agreement
from qdakit.agreement.coding import disagreements, segment_agreement
from qdakit.errors import CodingError
from qdakit.io.output import unneutralise
from qdakit.model import Coding
from qdakit.project import Project

__all__ = ["MACHINE", "codings_for", "agreement", "disagreement_table", "resolve", "resolve_from_table"]

#: the coder name that stands for the machine's cross-validated codings
MACHINE = "machine"


def codings_for(
    project: Project,
    coders: Sequence[str],
    *,
    machine_name: str = MACHINE,
) -> pd.DataFrame:
    """Active codings of ``coders``, and what they read and left uncoded; ``machine_name`` is the machine.

    A human's reviewed marks without a coding of theirs (:meth:`Project.mark_reviewed`)
    come as rows with ``code`` missing: the coder read the segment and no code
    applies, so it is a unit of agreement for them. ``machine_name`` stands for
    the machine coder's stored out-of-fold codings (:meth:`Project.machine_codings`,
    made by :func:`qdakit.suggest.crossval.project_machine_codings`): on each
    segment a human coded or read, what a model fitted without that segment's
    transcript coded there, at the thresholds pre-coding uses. Suggestions
    never count as the machine's codings (the machine suggests only where no
    human has coded, so they would overlap the humans on no unit).
    """
    human = [c for c in coders if c != machine_name]
    codings = project.codings()
    reviewed = project.reviewed(uncoded=True)
    known = set(codings["coder"]) | set(reviewed["coder"])
    unknown = [c for c in human if c not in known]
    if unknown:
        raise CodingError(f"no codings by {', '.join(unknown)} in {project.path}; coders with codings: "
                          f"{', '.join(sorted(known)) or 'none'}")
    frame = codings[codings["coder"].isin(human)]
    parts = [frame, _blank_rows(reviewed[reviewed["coder"].isin(human)], frame.columns)]
    if machine_name in coders:
        machine = project.machine_codings()
        if machine.empty:
            raise CodingError(f"no machine codings in {project.path}; make them with `qdakit agree -c "
                              f"{(human or ['JR'])[0]} -c machine` (which cross-validates the machine first) or "
                              "qdakit.suggest.crossval.project_machine_codings(project)")
        parts.append(_blank_rows(machine.assign(coder=machine_name), frame.columns))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts[1:]) else frame
    return out.reset_index(drop=True)


def _blank_rows(rows: pd.DataFrame, columns: pd.Index) -> pd.DataFrame:
    """``rows`` (segment_id, transcript_id, code?, coder) with the other coding columns empty."""
    out = pd.DataFrame({"segment_id": rows["segment_id"].to_numpy(), "transcript_id": rows["transcript_id"].to_numpy(),
                        "code": rows["code"].to_numpy() if "code" in rows.columns else None,
                        "coder": rows["coder"].to_numpy()})
    for col in columns:
        if col not in out.columns:
            out[col] = pd.array([pd.NA] * len(out), dtype="Int64") if col in ("id", "start", "end", "supersedes") \
                else None
    return out[list(columns)]


def agreement(
    project: Project,
    coders: Sequence[str],
    *,
    level: str = "segment",
    by: str = "code",
    codes: Sequence[str] | None = None,
    metrics: Sequence[str] = ("percent", "cohen", "krippendorff", "gwet_ac1"),
    units: str = "coded_by_all",
) -> pd.DataFrame:
    """Agreement between coders on a project.

    Parameters
    ----------
    project : Project
    coders : names of two or more coders (``"machine"`` = the machine's out-of-fold codings,
        see :func:`codings_for`)
    level : ``"segment"`` (presence of each code on each segment) or
        ``"character"`` (as NVivo's coding comparison: characters coded or not)
    by : ``"code"`` (a row per code plus a pooled row), ``"transcript"``,
        ``"question"`` or any attribute column (segment level only)
    codes : restrict to these codes (default: every code either coder used)
    metrics : segment level: any of :data:`qdakit.agreement.METRICS`
    units : ``"coded_by_all"`` (segments each coder coded or read), ``"coded_by_any"``
        or ``"all"`` (every non-researcher segment)
    """
    segments = project.segments()
    if units == "all":
        segments = segments[~segments["is_researcher"]]
    codings = codings_for(project, coders)
    if level == "segment":
        return segment_agreement(segments, codings, list(coders), codes=codes, by=by, metrics=metrics,
                                 units=units)
    if level == "character":
        if by != "code":
            raise ValueError("character-level agreement is reported per code and transcript; use --by code")
        lengths = {t.id: len(t.text) for t in project.iter_transcripts()}
        return character_agreement(lengths, segments, codings[codings["code"].notna()], list(coders), codes=codes)
    raise ValueError(f"level {level!r}: use 'segment' or 'character'")


def disagreement_table(
    project: Project,
    coders: Sequence[str],
    *,
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each segment where the coders differ, with its text, each coder's codes and the definitions.

    An empty ``agreed_codes`` column is added: fill it in at the resolution
    meeting (codes separated by ``;``) and read it back with
    :func:`resolve_from_table`.
    """
    codebook = pd.DataFrame([{"name": c.name, "description": c.description} for c in project.codebook],
                            columns=["name", "description"])
    table = disagreements(project.segments(), codings_for(project, coders),
                          list(coders), codebook, codes=codes)
    table["agreed_codes"] = ""
    return table


def resolve(project: Project, segment_id: str, codes: Iterable[str], *, coder: str,
            memo: str = "resolved after discussion") -> list[Coding]:
    """Record the codes agreed for a segment as codings by the resolver (a named human).

    The disagreeing coders' codings are kept unchanged, so agreement before
    resolution can still be reported.
    """
    if not coder or not coder.strip():
        raise CodingError("a resolution needs the name of the person who resolved it (coder=...)")
    return project.add_codings([Coding(segment_id, c, coder, memo=memo) for c in codes])


def resolve_from_table(project: Project, path: str | Path, *, coder: str) -> list[Coding]:
    """Read a filled-in disagreement table (CSV/Excel) and record every ``agreed_codes`` cell.

    All rows are checked before anything is written; rows with an empty
    ``agreed_codes`` cell are left unresolved.
    """
    p = Path(path)
    frame = (pd.read_excel(p, dtype=str) if p.suffix.lower() in {".xlsx", ".xlsm"}
             else pd.read_csv(p, dtype=str, keep_default_na=False)).fillna("")
    frame = frame.map(unneutralise)  # `agree --out` neutralised cells a spreadsheet would run as formulas
    if "segment_id" not in frame.columns or "agreed_codes" not in frame.columns:
        raise CodingError(f"{p}: needs the columns segment_id and agreed_codes (as written by "
                          "`qdakit agree --out`)")
    codebook = project.codebook
    new: list[Coding] = []
    for line, row in enumerate(frame.to_dict("records"), start=2):
        agreed = [c.strip() for c in str(row["agreed_codes"]).split(";") if c.strip()]
        for code in agreed:
            if code not in codebook:
                raise CodingError(f"{p}, line {line}: agreed code {code!r} is not in the codebook")
        new.extend(Coding(row["segment_id"], c, coder, memo="resolved after discussion") for c in agreed)
    return project.add_codings(new)
