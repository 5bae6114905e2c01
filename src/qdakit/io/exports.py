"""Spreadsheets for reading and reporting: a quotation table and a code-by-case matrix.

(Codings made in a spreadsheet are imported by :mod:`qdakit.io.codings`.)

Examples
--------
>>> import tempfile, pathlib
>>> from qdakit import Project, Transcript, Segment, Codebook, Code
>>> from qdakit.io.exports import code_by_case_matrix, quotation_table
>>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "d.qdakit") as p:
...     t = Transcript("t1", "t1", "Ann: We email on Fridays.")
...     _ = p.add_transcripts([(t, [Segment("t1#0", "t1", 0, "Ann", "We email on Fridays.", 5, 25, participant="P1")])])
...     _ = p.load_codebook(Codebook([Code("Communication"), Code("Email", parent="Communication")]))
...     _ = p.code("t1#0", "Email", coder="JR", start=8, end=13)
...     quotation_table(p)[["code", "theme", "quote"]].values.tolist()
...     code_by_case_matrix(p).to_dict("index")
[['Email', 'Communication', 'email']]
{'P1': {'Communication': 0, 'Email': 1}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.errors import ExportError
from qdakit.io.output import write_table
from qdakit.project import Project

__all__ = ["quotation_table", "write_quotations", "code_by_case_matrix"]

_BASE = ["transcript", "segment_id", "speaker", "participant", "code", "theme", "coder", "quote",
         "start", "end", "memo", "coding_id"]


def quotation_table(project: Project) -> pd.DataFrame:
    """One row per active human coding, with the quoted text and its context.

    Returns
    -------
    DataFrame
        Columns ``transcript`` (name), ``segment_id``, ``speaker``,
        ``participant``, ``code``, ``theme`` (the code's top-level ancestor),
        ``coder``, ``quote`` (the coded span, or the whole segment), ``start``,
        ``end`` (offsets of the quote in the transcript text), ``memo``,
        ``coding_id``, then one column per attribute (the transcript's,
        overlaid by the participant's). Rows in transcript and text order.
    """
    codings = project.codings()
    segs = project.segments().set_index("id")
    if codings.empty:
        return pd.DataFrame(columns=_BASE)
    codebook = project.codebook
    texts = {t.id: t.text for t in project.iter_transcripts()}
    attr_cols = [c for c in segs.columns if c not in
                 {"transcript_id", "transcript", "index", "speaker", "participant", "question", "text",
                  "start", "end", "start_time", "end_time", "is_researcher"}]
    rows = []
    for c in codings.to_dict("records"):
        s = segs.loc[c["segment_id"]]
        whole = pd.isna(c["start"])
        start, end = (int(s["start"]), int(s["end"])) if whole else (int(c["start"]), int(c["end"]))
        rows.append({
            "transcript": s["transcript"], "segment_id": c["segment_id"], "speaker": s["speaker"],
            "participant": s["participant"], "code": c["code"], "theme": codebook.root_of(c["code"]),
            "coder": c["coder"], "quote": texts[s["transcript_id"]][start:end], "start": start, "end": end,
            "memo": c["memo"], "coding_id": c["id"], "_order": (s["transcript_id"], int(s["index"]), start),
        } | {a: s[a] for a in attr_cols})
    positions = {t: i for i, t in enumerate(texts)}
    rows.sort(key=lambda r: (positions[r["_order"][0]], *r["_order"][1:], r["coding_id"]))
    df = pd.DataFrame.from_records([{k: v for k, v in r.items() if k != "_order"} for r in rows])
    return df[_BASE + attr_cols].reset_index(drop=True)


def write_quotations(project: Project, path: str | Path, *, anonymiser: Any = None) -> Path:
    """Write :func:`quotation_table` to ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx``.

    With an :class:`~qdakit.analysis.anonymise.Anonymiser`, the quotes are pseudonymised
    and the speaker column is replaced by the participant id, so the file can be
    shared; the offsets still point into the original transcripts.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ExportError(f"{p}: cannot write quotations as {suffix or '(no suffix)'!r}; "
                                "use a .csv or .xlsx file name")
    df = quotation_table(project)
    if anonymiser is not None:
        df["quote"] = anonymiser.transform_many(df["quote"].tolist())
        df["speaker"] = df["participant"]
    # atomic; formulas neutralised in CSV, text cells in XLSX; unwritable characters replaced (qdakit.io.output)
    return write_table(df, p, sheet_name="quotations").path


def code_by_case_matrix(project: Project, *, case: str = "participant", coder: str | None = None) -> pd.DataFrame:
    """Which codes occur for which case: 1 if any coding of the code touches the case, else 0.

    Parameters
    ----------
    project : Project
    case : ``"participant"`` (default), ``"speaker"``, ``"transcript"``, or the
        name of an attribute (e.g. ``"sector"``) to group by its values
    coder : count only this coder's codings (default: any coder)

    Returns
    -------
    DataFrame
        Shape (n_cases, n_codes), integers 0/1; rows are the cases (sorted),
        columns every code of the codebook in codebook order. Cases are the
        values of ``case`` over the non-researcher segments and the coded
        segments; segments without a value (e.g. no participant) are left out.
    """
    segs = project.segments()
    column = "transcript" if case == "transcript" else case
    if column not in segs.columns or column in {"id", "text", "start", "end", "index"}:
        attrs = sorted(set(segs.columns) - {"id", "transcript_id", "text", "start", "end", "index",
                                            "start_time", "end_time", "is_researcher", "question"})
        raise ExportError(f"no case column {case!r}; use one of: {', '.join(attrs)}")
    codings = project.codings(coder=coder)
    codes = list(project.codebook.names)
    value = segs.set_index("id")[column]
    coded = codings.assign(case=codings["segment_id"].map(value)).dropna(subset=["case"])
    cases = set(segs.loc[~segs["is_researcher"].astype(bool), column].dropna()) | set(coded["case"])
    index = sorted(map(str, cases))
    matrix = (pd.crosstab(coded["case"].astype(str), coded["code"]).clip(upper=1) if len(coded)
              else pd.DataFrame(index=pd.Index([], dtype=str)))
    return matrix.reindex(index=index, columns=codes, fill_value=0).astype(int).rename_axis(
        index=case, columns="code")
