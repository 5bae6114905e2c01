"""End to end on real human-coded data in ../shared/data (skipped when absent).

Run with ``-s`` to print the figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qdakit.agreement import (
    character_agreement,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise,
    segment_agreement,
)

QUESTIONS = ["N2", "N3", "N4", "Q11", "Q12", "Q14", "Q16", "Q18", "Q26", "Q28", "Q31", "Q32", "Q5", "Q8"]


def test_proctoring_pooled_agreement_per_question_file(proctoring):
    segments, codings = proctoring
    rows = []
    for question in QUESTIONS:
        table = segment_agreement(segments[segments["transcript_id"] == question], codings,
                                  ["primary", "secondary"])
        rows.append(table.iloc[-1].rename(question))
    per_file = pd.DataFrame(rows)
    print("\nproctoring: pooled over codes, per question file (answers coded by both coders)")
    print(per_file.drop(columns="code").to_string(float_format="{:.3f}".format))
    assert (per_file["code"] == "(pooled)").all()
    assert per_file["n_segments"].sum() == 301
    assert per_file["percent"].between(0.9, 1).all()
    assert per_file["cohen"].between(0.6, 1).all()
    # segment_agreement(by="transcript") gives the same rows in one call
    by_file = segment_agreement(segments, codings, ["primary", "secondary"], by="transcript")
    by_file = by_file.set_index("transcript_id")
    for question in QUESTIONS:
        assert by_file.loc[question, "cohen"] == pytest.approx(per_file.loc[question, "cohen"])
        assert by_file.loc[question, "n_units"] == per_file.loc[question, "n_units"]
    overall = by_file.loc["(all)"]
    print(f"all files: units {int(overall['n_units'])}, percent {overall['percent']:.3f}, "
          f"cohen {overall['cohen']:.3f}, alpha {overall['krippendorff']:.3f}, AC1 {overall['gwet_ac1']:.3f}")
    assert overall["cohen"] == pytest.approx(0.819851, abs=1e-6)
    assert overall["n_units"] == 8294


def test_proctoring_per_code_disagreements_and_characters(proctoring):
    segments, codings = proctoring
    q8 = segments[segments["transcript_id"] == "Q8"]
    per_code = segment_agreement(q8, codings, ["primary", "secondary"])
    assert len(per_code) == per_code["code"].nunique()
    table = disagreements(q8, codings, ["primary", "secondary"])
    assert per_code.iloc[:-1]["mixed"].max() <= len(table) <= per_code.iloc[-1]["mixed"]
    assert (table["codes_primary"] != table["codes_secondary"]).all()
    # answers as one continuum per question file: whole-answer codings at character level
    lengths = {q: int(segments.loc[segments["transcript_id"] == q, "end"].max()) for q in ["Q8"]}
    chars = character_agreement(lengths, segments, codings, ["primary", "secondary"])
    assert chars["agreement"].between(0, 1).all()


def _annomi_table(annomi, interlocutor, column):
    rows = annomi[annomi["interlocutor"] == interlocutor]
    return rows.pivot(index=["transcript_id", "utterance_id"], columns="annotator_id", values=column)


@pytest.mark.parametrize(("interlocutor", "column", "pairwise_kappa", "fleiss"), [
    ("therapist", "main_therapist_behaviour", 0.736735, 0.736539),
    ("client", "client_talk_type", 0.470314, 0.466889),
])
def test_annomi_ten_coders(annomi, interlocutor, column, pairwise_kappa, fleiss):
    table = _annomi_table(annomi, interlocutor, column)
    assert table.shape[1] == 10 and table.notna().all().all()
    pairs = pairwise(cohen_kappa, table)
    assert len(pairs) == 45
    fleiss_result = fleiss_kappa(table)
    alpha = krippendorff_alpha(table)
    ac1 = gwet_ac1(table)
    print(f"\nAnnoMI {column}: {len(table)} utterances x 10 coders; mean pairwise Cohen kappa "
          f"{pairs['value'].mean():.3f} (range {pairs['value'].min():.3f}-{pairs['value'].max():.3f}); "
          f"Fleiss kappa {fleiss_result.value:.3f} (SE {fleiss_result.se:.3f}); "
          f"Krippendorff alpha {alpha.value:.3f}; Gwet AC1 {ac1.value:.3f}")
    assert pairs["value"].mean() == pytest.approx(pairwise_kappa, abs=1e-6)
    assert fleiss_result.value == pytest.approx(fleiss, abs=1e-6)
    assert alpha.value == pytest.approx(fleiss, abs=2e-3)  # alpha ~ Fleiss for many units


def test_annomi_therapist_behaviour_matches_the_issue(annomi):
    table = _annomi_table(annomi, "therapist", "main_therapist_behaviour")
    assert round(pairwise(cohen_kappa, table)["value"].mean(), 2) == 0.74
    assert np.isclose(fleiss_kappa(table).value, 0.74, atol=0.005)
