"""Agreement on a project: between human coders, and between the machine and humans.

The statistics live in :mod:`qdakit.agreement` (pure functions over DataFrames);
this module takes them to a :class:`~qdakit.Project`:

* :func:`codings_for` gathers the codings of the named coders; the name
  ``"machine"`` (or ``machine_name``) stands for the machine's suggestions with
  a score at or above ``threshold``, so the machine is compared on the same
  footing as a human coder;
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

#: the coder name that stands for the machine's suggestions
MACHINE = "machine"


def codings_for(
    project: Project,
    coders: Sequence[str],
    *,
    threshold: float = 0.5,
    machine_name: str = MACHINE,
) -> pd.DataFrame:
    """Active codings of ``coders``; ``machine_name`` maps to suggestions scoring >= ``threshold``.

    Suggestions count whatever their review status: this measures what the
    machine proposed, not what humans kept.
    """
    human = [c for c in coders if c != machine_name]
    codings = project.codings()
    known = set(codings["coder"])
    unknown = [c for c in human if c not in known]
    if unknown:
        raise CodingError(f"no codings by {', '.join(unknown)} in {project.path}; coders with codings: "
                          f"{', '.join(sorted(known)) or 'none'}")
    frame = codings[codings["coder"].isin(human)]
    if machine_name in coders:
        sugg = project.suggestions()
        sugg = sugg[sugg["score"] >= threshold]
        if sugg.empty:
            raise CodingError(f"no machine suggestions scoring >= {threshold} in {project.path}; run "
                              "`qdakit precode` first or lower --threshold")
        segs = project.segments()[["id", "transcript_id"]].rename(columns={"id": "segment_id"})
        machine = sugg.merge(segs, on="segment_id")[["segment_id", "transcript_id", "code"]].copy()
        machine["coder"] = machine_name
        machine["start"] = pd.array([pd.NA] * len(machine), dtype="Int64")
        machine["end"] = pd.array([pd.NA] * len(machine), dtype="Int64")
        machine["id"] = -(sugg["id"].to_numpy())
        machine["memo"] = ""
        frame = pd.concat([frame, machine[[c for c in frame.columns if c in machine.columns]]],
                          ignore_index=True)
    return frame


def agreement(
    project: Project,
    coders: Sequence[str],
    *,
    level: str = "segment",
    by: str = "code",
    codes: Sequence[str] | None = None,
    metrics: Sequence[str] = ("percent", "cohen", "krippendorff", "gwet_ac1"),
    threshold: float = 0.5,
    units: str = "coded_by_all",
) -> pd.DataFrame:
    """Agreement between coders on a project.

    Parameters
    ----------
    project : Project
    coders : names of two or more coders (``"machine"`` = the suggestions)
    level : ``"segment"`` (presence of each code on each segment) or
        ``"character"`` (as NVivo's coding comparison: characters coded or not)
    by : ``"code"`` (a row per code plus a pooled row), ``"transcript"``,
        ``"question"`` or any attribute column (segment level only)
    codes : restrict to these codes (default: every code either coder used)
    metrics : segment level: any of :data:`qdakit.agreement.METRICS`
    threshold : score from which a suggestion counts as the machine's coding
    units : ``"coded_by_all"`` (segments each coder coded), ``"coded_by_any"``
        or ``"all"`` (every non-researcher segment)
    """
    segments = project.segments()
    if units == "all":
        segments = segments[~segments["is_researcher"]]
    codings = codings_for(project, coders, threshold=threshold)
    if level == "segment":
        return segment_agreement(segments, codings, list(coders), codes=codes, by=by, metrics=metrics,
                                 units=units)
    if level == "character":
        if by != "code":
            raise ValueError("character-level agreement is reported per code and transcript; use --by code")
        lengths = {t.id: len(t.text) for t in project.iter_transcripts()}
        return character_agreement(lengths, segments, codings, list(coders), codes=codes)
    raise ValueError(f"level {level!r}: use 'segment' or 'character'")


def disagreement_table(
    project: Project,
    coders: Sequence[str],
    *,
    codes: Sequence[str] | None = None,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """Each segment where the coders differ, with its text, each coder's codes and the definitions.

    An empty ``agreed_codes`` column is added: fill it in at the resolution
    meeting (codes separated by ``;``) and read it back with
    :func:`resolve_from_table`.
    """
    codebook = pd.DataFrame([{"name": c.name, "description": c.description} for c in project.codebook],
                            columns=["name", "description"])
    table = disagreements(project.segments(), codings_for(project, coders, threshold=threshold),
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
