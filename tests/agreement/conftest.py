"""Fixtures for the agreement tests: loaders for the real coded data in
../shared/data, skipped with a reason when that folder is absent."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PROCTORING = SHARED_DATA / "proctoring" / "irr_inputs"
ANNOMI = SHARED_DATA / "annomi" / "AnnoMI-full.csv"

@pytest.fixture(scope="session")
def proctoring() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments and codings of the proctoring survey: one transcript per question
    file, one segment per answer, coders "primary" and "secondary"."""
    if not PROCTORING.is_dir():
        pytest.skip(f"real data not present: {PROCTORING} (the shared data folder beside the checkout)")
    segments, codings = [], []
    for primary in sorted(PROCTORING.glob("*(primary).csv")):
        question = re.search(r" - (\w+) \(primary\)\.csv$", primary.name).group(1)
        secondary = primary.with_name(primary.name.replace("(primary)", "(secondary)"))
        for coder, path in (("primary", primary), ("secondary", secondary)):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            # ResponseId repeats once in Q5, so a segment is a row of the file
            ids = question + ":" + frame.index.astype(str)
            if coder == "primary":
                text = frame.iloc[:, 1]
                starts = np.r_[0, np.cumsum(text.str.len() + 1)[:-1]]
                segments.append(pd.DataFrame({
                    "id": ids, "transcript_id": question, "index": frame.index, "speaker": frame["ResponseId"],
                    "participant": frame["ResponseId"], "question": question, "text": text,
                    "start": starts, "end": starts + text.str.len().to_numpy(),
                }))
            code_cols = [c for c in frame.columns if c.startswith("Code")]
            long = frame.assign(segment_id=ids).melt(id_vars=["segment_id"], value_vars=code_cols, value_name="code")
            long = long[long["code"].str.strip() != ""]
            codings.append(pd.DataFrame({"segment_id": long["segment_id"], "code": long["code"].str.strip(),
                                         "coder": coder}))
    segments = pd.concat(segments, ignore_index=True)
    codings = pd.concat(codings, ignore_index=True)
    codings["id"] = np.arange(len(codings))
    codings["transcript_id"] = codings["segment_id"].str.split(":").str[0]
    codings["start"] = pd.array([None] * len(codings), dtype="Int64")
    codings["end"] = pd.array([None] * len(codings), dtype="Int64")
    codings["memo"] = ""
    return segments, codings


@pytest.fixture(scope="session")
def annomi() -> pd.DataFrame:
    """AnnoMI-full rows of the transcripts coded by all 10 annotators."""
    if not ANNOMI.is_file():
        pytest.skip(f"real data not present: {ANNOMI} (the shared data folder beside the checkout)")
    data = pd.read_csv(ANNOMI)
    coders = data.groupby("transcript_id")["annotator_id"].nunique()
    return data[data["transcript_id"].isin(coders[coders == 10].index)]
