"""Issue 20: a report that never misleads (captions, major/minor, empty sections, coder filter, researchers)."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from qdakit import Code, Codebook, CodingError, Project
from qdakit.analysis import content, plots
from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.report import build_report
from qdakit.embed import FakeEmbedder
from support import make_transcript

THEMES = ["Communication", "Balance of resources", "Clear leadership"]


@pytest.fixture
def study(tmp_path):
    """Two interviews (one wave), each a researcher 'R' asking and a participant answering; coded by JR and UX."""
    items = []
    for k, who in enumerate(["Helen Baxter", "Tom Okafor"]):
        turns = []
        for i in range(4):
            turns += [("R", f"Question {i} for you?"),
                      (who, f"We meet every month at the hall. The minutes go round by email, slowly. "
                            f"Point {i} of {k} matters a lot to us.")]
        t, segs = make_transcript(f"int{k}", turns)
        segs = [replace(s, participant="R1" if s.speaker == "R" else f"P0{k + 1}") for s in segs]
        items.append((replace(t, attributes={"sector": "LA", "wave": "Yr1"}), segs))
    p = Project.create(tmp_path / "s.qdakit")
    p.add_transcripts(items)
    p.set_participant_attributes("R1", {"role": "researcher"})
    p.load_codebook(Codebook([Code(n) for n in THEMES]))
    for k in range(2):
        for i in range(4 if k == 0 else 2):  # Tom never speaks of leadership: the participants differ
            p.code(f"int{k}#{2 * i + 1}", THEMES[i % 3], "JR")
        p.code(f"int{k}#1", "Clear leadership", "UX")
        p.code(f"int{k}#0", "Communication", "JR")  # a researcher's turn: never a participant's point
    yield p
    p.close()


def _report(study, tmp_path, **kw):
    anon = Anonymiser(None, participants={"Helen Baxter": "P01", "Tom Okafor": "P02"})
    out = build_report(study, tmp_path / "r.html", anonymiser=anon, embedder=FakeEmbedder(), **kw)
    return out.read_text(encoding="utf-8")


def _cards(html):
    return dict((label, value) for value, label in re.findall(r"<div class='card'><b>([^<]*)</b>([^<]*)</div>", html))


def test_sd_whiskers_are_captioned_as_the_spread_across_themes(study, tmp_path):
    html = _report(study, tmp_path)
    assert "<figcaption>Bars: ±1 SD of the theme counts across themes" in html
    assert "not an uncertainty of each bar" in html


def test_bootstrap_intervals_are_captioned_as_such(study, tmp_path):
    html = _report(study, tmp_path, errorbars="bootstrap")
    assert "95% interval of each count from resampling participants" in html
    assert "±1 SD" not in html.split("<figcaption>")[1]


def test_few_codings_are_not_called_major_or_minor(study, tmp_path):
    html = _report(study, tmp_path)
    assert "too few codings to classify" in html
    assert ">major<" not in html and ">minor<" not in html


def test_sections_without_data_are_one_line(study, tmp_path):
    html = _report(study, tmp_path)  # by="question" in a study of interviews, and one wave
    assert "<b>Themes by question</b>: not shown; no coded segment has a value for &#x27;question&#x27;" in html
    assert "<b>Change between waves</b>: not shown; the coded segments come from one wave only (Yr1)" in html
    assert "<h2>Change between waves" not in html and "<h2>Themes by question" not in html


def test_coder_filter_in_every_title_and_count(study, tmp_path):
    html = _report(study, tmp_path, coder="UX", by="sector")
    assert "All codings" not in html and "all coders" not in html
    titles = re.findall(r"<h2>([^<]*)</h2>", html)
    assert titles and all("UX" in t for t in titles)
    cards = _cards(html)
    assert cards["codings by UX"] == "2" and cards["coder"] == "UX"


def test_researchers_are_not_participants(study, tmp_path):
    assert study.summary()["participants"] == 2 and study.summary()["researchers"] == 1  # R1 is a researcher
    assert _cards(_report(study, tmp_path))["participants"] == "2"
    units = content.coded_units(study)
    assert "R1" not in set(units["participant"])


def test_frequencies_same_clear_error_for_a_missing_grouping(study):
    with pytest.raises(CodingError, match=r"cannot group by 'question': no coded segment has a value for it\. "
                                          r"Group by one of: .*sector"):
        content.frequencies(study)  # the default by="question", in a study without questions
    with pytest.raises(CodingError, match=r"cannot group by 'sectr': no coded segment has a value for it"):
        content.frequencies(study, by="sectr")


def test_classify_needs_enough_codings():
    import pandas as pd
    freq = pd.DataFrame({"question": ["Q1"] * 5, "theme": list("abcde"), "count": [1, 1, 1, 0, 0]})
    out = content.classify_themes(freq, by="question")
    assert set(out["class"]) == {content.TOO_FEW}
    big = freq.assign(count=[12, 8, 2, 1, 0])
    assert list(content.classify_themes(big, by="question")["class"]) == ["major", "major", "minor", "minor", "minor"]
    assert set(content.classify_themes(big, by="question", min_total=100)["class"]) == {content.TOO_FEW}


def test_themes_that_all_hold_the_same_count_are_not_all_called_minor():
    import pandas as pd
    freq = pd.DataFrame({"question": ["Q1"] * 3 + ["Q2"] * 3, "theme": list("abcabc"),
                         "count": [9, 9, 9, 12, 8, 7]})
    out = content.classify_themes(freq, by="question")
    assert list(out["class"]) == [content.ALL_EQUAL] * 3 + ["major", "minor", "minor"]
    overall = content.classify_themes(freq[freq["question"] == "Q1"], by=None)
    assert set(overall["class"]) == {content.ALL_EQUAL}


def test_bootstrap_counts_bracket_the_counts(study):
    b = content.bootstrap_counts(study, coder="JR", n_boot=300, seed=1)
    assert (b["low"] <= b["count"]).all() and (b["count"] <= b["high"]).all()
    assert (b["high"] - b["low"]).max() > 0  # two participants: resampling them moves the counts
    again = content.bootstrap_counts(study, coder="JR", n_boot=300, seed=1)
    assert b.equals(again)


def test_theme_bars_caption_and_options():
    import pandas as pd
    freq = pd.DataFrame({"theme": ["a", "b"], "count": [4, 2], "percent": [66.7, 33.3], "low": [2.0, 0.0],
                         "high": [6.0, 5.0]})
    fig = plots.theme_bars(freq, title="t", errorbars="bootstrap")
    assert any("resampling participants" in t.get_text() for t in fig.texts)
    fig = plots.theme_bars(freq, title="t")
    assert any("±1 SD of the theme counts across themes" in t.get_text() for t in fig.texts)
    with pytest.raises(ValueError, match="sd, bootstrap, none"):
        plots.theme_bars(freq, title="t", errorbars="ci")


def test_bootstrap_resamples_within_each_group(study):
    study.set_participant_attributes("P02", {"sector": "VCS"})
    b = content.bootstrap_counts(study, by="sector", coder="JR", n_boot=200).set_index(["sector", "theme"])
    # each sector has one participant: nothing to resample, so each interval is the count itself
    assert (b["low"] == b["count"]).all() and (b["high"] == b["count"]).all()
